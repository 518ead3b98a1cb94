/** The raw baseline of bench/api.ts: a bare Hono route that parses a JSON body and answers 201. */
import { Hono } from "hono";
import { serve } from "@hono/node-server";

const app = new Hono();
app.post("/bare", async (c) => {
  const body = await c.req.json<Record<string, unknown>>();
  return c.json({ id: crypto.randomUUID(), status: "pending_payment", ...body }, 201);
});
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) => console.log(`bare ready at http://127.0.0.1:${info.port}`));
