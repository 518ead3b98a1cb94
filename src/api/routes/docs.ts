import { createRoute, z } from "@hono/zod-openapi";
import type { Api, RouteModule } from "../deps.js";
import { renderDocsHtml, type OpenApiDoc } from "../docs-html.js";
import { SECURITY } from "./common.js";

export const OPENAPI_PATH = "/api/v1/openapi.json";

const openapiJson = createRoute({
  method: "get",
  path: OPENAPI_PATH,
  tags: ["documentation"],
  summary: "This OpenAPI 3.1 document",
  responses: {
    200: { description: "The document", content: { "application/json": { schema: z.looseObject({}).openapi("OpenApiDocument") } } },
  },
});

const docsPage = createRoute({
  method: "get",
  path: "/docs",
  tags: ["documentation"],
  summary: "Browsable documentation rendered from the OpenAPI document (works offline)",
  responses: { 200: { description: "HTML", content: { "text/html": { schema: z.string() } } } },
});

/** The OpenAPI 3.1 document of everything registered on `app`, with its security schemes (R-API-8). */
export function openApiDocument(app: Api): OpenApiDoc {
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY.bearer, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A JWT (EdDSA) from `nodeplane token`; its `scope` claim lists the scopes",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY.apiKey, {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "An API key from POST /api/v1/api-keys",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", SECURITY.apiKeyAuthorization, {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "The same API key as `Authorization: ApiKey <key>`",
  });
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "nodeplane API",
      version: "1",
      description:
        "Control plane of the managed blockchain-node hosting service. Commands answer with X-Event-Position; queries accept X-Wait-For-Position. Errors are { error: { code, message, details } }.",
    },
  }) as unknown as OpenApiDoc;
}

/** `/api/v1/openapi.json` and `/docs`; call it after every other route module so the document is complete. */
export function docsRoutes(): RouteModule {
  return (app) => {
    let cached: { doc: OpenApiDoc; html: string } | undefined;
    const build = () => {
      if (!cached) {
        const doc = openApiDocument(app);
        cached = { doc, html: renderDocsHtml(doc, OPENAPI_PATH) };
      }
      return cached;
    };
    app.openapi(openapiJson, (c) => c.json(build().doc as unknown as Record<string, unknown>, 200));
    app.openapi(docsPage, (c) => c.html(build().html, 200));
  };
}
