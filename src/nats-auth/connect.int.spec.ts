import { describe, it, expect, beforeAll } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { connectNats } from "./connect.js";

const optionsOf = (nc: NatsConnection) => (nc as unknown as { options: ConnectionOptions }).options;

describe.skipIf(!servicesAvailable())("connectNats", () => {
  let s: TestServices;
  beforeAll(() => {
    s = testServices("nconn");
  });

  it("turns the per-request async stack traces off unless asked for (a stack captured per publish is the command path's CPU)", async () => {
    const env = { NATS_URL: s.natsUrl, NODEPLANE_DATA_DIR: mkdtempSync(join(tmpdir(), "np-nconn-")) };
    const plain = await connectNats(env, { name: "t", auth: null });
    const traced = await connectNats(env, { name: "t", auth: null, noAsyncTraces: false });
    try {
      expect(optionsOf(plain).noAsyncTraces).toBe(true);
      expect(optionsOf(traced).noAsyncTraces).toBe(false);
      // Requests still fail with their error, just without the captured origin.
      await expect(plain.request("nconn.nobody", "x", { timeout: 200 })).rejects.toThrow();
    } finally {
      await plain.close();
      await traced.close();
    }
  });
});
