import { createRoute, z } from "@hono/zod-openapi";
import type { RouteModule } from "../deps.js";
import { json } from "./common.js";

const Alive = z.object({ status: z.literal("ok") }).openapi("Alive");
const Readiness = z.object({ ready: z.boolean(), parts: z.record(z.string(), z.boolean()) }).openapi("Readiness");

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  tags: ["operations"],
  summary: "Liveness: the process answers (no dependency is checked)",
  responses: { 200: json(Alive, "Alive") },
});

const readyz = createRoute({
  method: "get",
  path: "/readyz",
  tags: ["operations"],
  summary: "Readiness: every part (NATS, PostgreSQL, Redis, roles) is ready",
  responses: { 200: json(Readiness, "Ready"), 503: json(Readiness, "Not ready; `parts` says which part is not") },
});

/** `/healthz` and `/readyz` for load balancers and orchestrators. */
export function healthRoutes(): RouteModule {
  return (app, deps) => {
    app.openapi(healthz, (c) => c.json({ status: "ok" as const }, 200));
    app.openapi(readyz, async (c) => {
      let parts: Record<string, boolean>;
      try {
        parts = await deps.readiness();
      } catch (err) {
        c.get("logger").warn({ err }, "readiness check failed");
        parts = { readiness: false };
      }
      const ready = Object.keys(parts).length > 0 && Object.values(parts).every(Boolean);
      return ready ? c.json({ ready, parts }, 200) : c.json({ ready, parts }, 503);
    });
  };
}
