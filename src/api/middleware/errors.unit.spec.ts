import { describe, it, expect } from "vitest";
import { OpenAPIHono, createRoute, z } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import { ConcurrencyError, EventSchemaError } from "../../eventstore/errors.js";
import { ForbiddenError, InvalidTransitionError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { UnauthorizedError } from "../../auth/principal.js";
import { createLogger } from "../../observability/logger.js";
import type { AppEnv } from "../deps.js";
import { notFound, onError, validationHook } from "./errors.js";
import { bodyLimit, requestId, requestLog } from "./request.js";
import { jsonBody, json } from "../routes/common.js";

/** A bare app with the error seam and a route per error kind: no services involved. */
function seamApp(logLines: string[]) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use("*", requestId());
  app.use(
    "*",
    requestLog(
      createLogger({
        role: "test",
        level: "info",
        destination: {
          write: (l: string) => {
            logLines.push(l);
            return true;
          },
        } as unknown as NodeJS.WritableStream,
      }),
    ),
  );
  app.use("*", bodyLimit(1024));
  const throwers: Record<string, () => never> = {
    transition: () => {
      throw new InvalidTransitionError("subscription", "active", "pending_payment");
    },
    concurrency: () => {
      throw new ConcurrencyError("subscription/s1", 4);
    },
    missing: () => {
      throw new NotFoundError("subscription", "s1");
    },
    forbidden: () => {
      throw new ForbiddenError("scope admin required");
    },
    unauthorized: () => {
      throw new UnauthorizedError();
    },
    validation: () => {
      throw new ValidationError("bad", [{ path: "x" }]);
    },
    schema: () => {
      throw new EventSchemaError("SubscriptionCreated does not match");
    },
    http: () => {
      throw new HTTPException(418, { message: "teapot" });
    },
    boom: () => {
      throw new Error("password=hunter2 at db.internal:5432");
    },
  };
  for (const [name, f] of Object.entries(throwers)) app.get(`/t/${name}`, f);
  app.openapi(
    createRoute({
      method: "post",
      path: "/things",
      request: { body: jsonBody(z.strictObject({ name: z.string().min(1), count: z.number().int() })) },
      responses: { 201: json(z.object({ ok: z.boolean() }), "ok") },
    }),
    (c) => c.json({ ok: true }, 201),
  );
  app.notFound(notFound);
  app.onError(onError);
  return app;
}

const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) => ({
  method: "POST",
  body,
  headers,
});

describe("the error seam", () => {
  const logs: string[] = [];
  const app = seamApp(logs);

  it.each([
    ["transition", 409, "invalid_transition"],
    ["concurrency", 409, "conflict"],
    ["missing", 404, "not_found"],
    ["forbidden", 403, "forbidden"],
    ["unauthorized", 401, "unauthorized"],
    ["validation", 400, "invalid_input"],
    ["schema", 400, "invalid_input"],
    ["http", 400, "invalid_input"],
  ])("maps %s to %i %s", async (name, status, code) => {
    const res = await app.request(`/t/${name}`);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it("answers 500 internal without leaking the cause, with the request id", async () => {
    const res = await app.request("/t/boom", { headers: { "x-request-id": "req-abc" } });
    expect(res.status).toBe(500);
    expect(res.headers.get("x-request-id")).toBe("req-abc");
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: "internal", message: "internal error", details: { requestId: "req-abc" } } });
    expect(text).not.toMatch(/hunter2|5432/);
  });

  it("answers unknown routes with 404 not_found", async () => {
    const res = await app.request("/nope");
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("malformed JSON, wrong types, unknown fields, missing body, wrong content type: 400 invalid_input", async () => {
    for (const req of [
      post("{not json"),
      post(JSON.stringify({ name: 1, count: "x" })),
      post(JSON.stringify({ name: "a", count: 1, extra: 1 })),
      post(""),
      post("name=a", { "content-type": "application/x-www-form-urlencoded" }),
      post(JSON.stringify([1])),
    ]) {
      const res = await app.request("/things", req);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_input" } });
    }
    const res = await app.request("/things", post(JSON.stringify({ name: "", count: 1.5 })));
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path).sort()).toEqual(["count", "name"]);
    expect((await app.request("/things", post(JSON.stringify({ name: "a", count: 1 })))).status).toBe(201);
  });

  it("an oversized body is 400 payload_too_large, declared or streamed", async () => {
    const big = JSON.stringify({ name: "x".repeat(2000), count: 1 });
    const declared = await app.request("/things", post(big));
    expect(declared.status).toBe(400);
    expect(await declared.json()).toMatchObject({ error: { code: "payload_too_large" } });
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const streamed = await app.request("/things", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(400);
    expect(await streamed.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });

  it("generates a request id when none (or a malformed one) is sent, and logs no credentials", async () => {
    const res = await app.request("/t/missing", {
      headers: { authorization: "Bearer s3cr3t-token", "x-api-key": "np_secretkey", "x-request-id": "bad id with spaces" },
    });
    expect(res.headers.get("x-request-id")).toMatch(/^[\w-]+$/);
    expect(res.headers.get("x-request-id")).not.toBe("bad id with spaces");
    expect(logs.join("")).toContain('"path":"/t/missing"');
    expect(logs.join("")).not.toMatch(/s3cr3t|np_secretkey/);
  });
});
