import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { readDirectBatch } from "./direct-read.js";
import { EventStoreError } from "./errors.js";

/** The bounded direct batch read: a batch whose end never comes is an error, not a hang. */
describe.skipIf(!servicesAvailable())("readDirectBatch", () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    nc = await connect({ servers: testServices("direct").natsUrl });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc?.drain();
  });

  it("fails with EventStoreError when the end-of-batch never arrives", async () => {
    // A responder standing in for a server whose end-of-batch status got lost: one message, then nothing.
    const stream = `FAKE_${Date.now()}`;
    const sub = nc.subscribe(`$JS.API.DIRECT.GET.${stream}`, {
      callback: (_err, msg) => {
        const h = headers();
        h.set("Nats-Stream", stream);
        h.set("Nats-Subject", "x.y");
        h.set("Nats-Sequence", "1");
        h.set("Nats-Time-Stamp", new Date().toISOString());
        h.set("Nats-Num-Pending", "1");
        h.set("Nats-Last-Sequence", "0");
        msg.respond("{}", { headers: h });
      },
    });
    await nc.flush();
    await expect(readDirectBatch(jsm, stream, { seq: 1, batch: 10, timeoutMs: 500 })).rejects.toBeInstanceOf(EventStoreError);
    sub.unsubscribe();
  });
});
