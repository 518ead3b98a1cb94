import { describe, it, expect } from "vitest";
import { Hono } from "hono";
import { bodyLimit } from "./request.js";
import { onError } from "./errors.js";
import type { AppEnv } from "../deps.js";

/** A POST whose body is a stream and whose Content-Length is declared (as Node's HTTP server hands it over). */
const declared = (body: string, length = Buffer.byteLength(body)) =>
  new Request("http://x/echo", {
    method: "POST",
    body: new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(body));
        c.close();
      },
    }),
    headers: { "content-type": "application/json", "content-length": String(length) },
    duplex: "half",
  } as RequestInit);

describe("bodyLimit", () => {
  const app = new Hono<AppEnv>();
  app.use("*", bodyLimit(100));
  let touchedBeforeHandler = false;
  let touched = false;
  app.post("/echo", async (c) => {
    touchedBeforeHandler = touched;
    return c.json(await c.req.json(), 200);
  });
  app.onError(onError);

  it("judges a declared length from the header alone and leaves the body to the handler", async () => {
    const req = declared(JSON.stringify({ a: 1 }));
    // @hono/node-server builds a web Request and stream the moment `body` is touched (its slow path): watch for it.
    const body = Object.getOwnPropertyDescriptor(Request.prototype, "body")!.get!;
    Object.defineProperty(req, "body", {
      get() {
        touched = true;
        return body.call(req);
      },
    });
    const res = await app.request(req);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ a: 1 });
    expect(touchedBeforeHandler).toBe(false);
  });

  it("refuses a declared length above the limit before anything reads the body", async () => {
    const res = await app.request(declared(JSON.stringify({ a: "x".repeat(200) })));
    expect(res.status).toBe(400);
    expect(res.headers.get("connection")).toBe("close");
    expect(await res.json()).toMatchObject({ error: { code: "payload_too_large" } });
  });
});
