/** The public face of src/api: what the rest of the tree uses. Code outside src/api imports it through here. */
export { createApp } from "./app.js";
export { type Probe } from "./readiness.js";
export { productRoutes } from "./routes/index.js";
export { serveApi } from "./serve.js";
export { type ApiWiring, wireApiDeps } from "./wiring.js";
