import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { testServices, servicesAvailable } from "../../test/support/services.js";
import { createEventStore, NO_STREAM, type EventStore } from "../eventstore/event-store.js";
import { startWorkerRole, type WorkerRole } from "../roles/worker.js";
import { createSagaClient, type SagaClient } from "./client.js";
import { captureLogs, waitForEntry } from "./testing/harness.js";
import { z } from "zod";
import { defineSaga } from "./define.js";
import { ProvisionInput, provisionTrigger } from "../sagas/provision/provision.saga.js";

/** A stand-in with the provision saga's name and input: the product trigger is what is under test here. */
const provisionStandIn = defineSaga("provision", { input: ProvisionInput, version: 1 }, async (ctx, input) => {
  const recorded = await ctx.step("RecordProvisionRequest", (hb) => ({
    nodeId: input.nodeId,
    subscriptionId: input.subscriptionId,
    requestKey: hb.idempotencyKey,
  }));
  await ctx.setStatus({ phase: "awaiting-release", nodeId: input.nodeId });
  const release = await ctx.waitForSignal("ProvisionPlaceholderReleased", { schema: z.object({ by: z.string().optional() }).default({}) });
  return { ...recorded, releasedBy: release.by ?? null };
});

const requested = (nodeId: string) => ({
  type: "NodeProvisionRequested",
  data: {
    nodeId,
    subscriptionId: "sub-1",
    userId: "user-1",
    paymentId: "pay-1",
    chainProfileId: "demo",
    nodeType: "full",
    provider: "local",
    region: "local",
    instanceType: "process",
    requestedAt: "2026-01-01T00:00:00.000Z",
  },
});

describe.skipIf(!servicesAvailable())("sagas started by events", () => {
  const s = testServices("sagastart");
  const logs = captureLogs();
  let nc: NatsConnection;
  let store: EventStore;
  let role: WorkerRole;
  let client: SagaClient;
  beforeAll(async () => {
    nc = await connect({ servers: s.natsUrl });
    store = await createEventStore(nc, { names: s.names });
    await store.ensureStream();
    role = await startWorkerRole({
      nc,
      names: s.names,
      logger: logs.logger,
      extraSagas: [provisionStandIn],
      triggers: [provisionTrigger(provisionStandIn)],
    });
    client = await createSagaClient({ nc, names: s.names });
  });
  afterAll(async () => {
    await role?.stop();
    const jsm = await jetstreamManager(nc);
    for (const st of [s.names.sagasStream, s.names.sagaWorkStream, s.names.eventsStream])
      await jsm.streams.delete(st).catch(() => undefined);
    await nc?.drain();
  });

  it("NodeProvisionRequested delivered twice starts provision-<nodeId> exactly once; the saga runs end to end", async () => {
    expect(role.isReady()).toBe(true);
    const ctx = { actor: "system:test", correlationId: "corr-prov" };
    const first = await store.append("node", "n1", [{ ...requested("n1"), id: "evt-1" }], { expected: NO_STREAM, ctx, now: new Date() });
    // The same request a second time (an upstream retry published it again under another id).
    await store.append("node", "n1", [{ ...requested("n1"), id: "evt-2" }], { expected: first, ctx, now: new Date() });
    await logs.waitFor((l) => l.msg === "saga already started by this event" && l.eventId === "evt-2");
    await waitForEntry(nc, s.names.sagaJournal("provision-n1"), () => client.history("provision-n1"), "SignalWaitStarted");

    const waiting = await client.describe("provision-n1");
    expect(waiting).toMatchObject({
      sagaType: "provision",
      status: "waiting",
      waitingFor: "signal ProvisionPlaceholderReleased",
      customStatus: { phase: "awaiting-release", nodeId: "n1" },
    });
    await client.signal("provision-n1", "ProvisionPlaceholderReleased", { by: "test" });
    const end = await client.waitForEnd("provision-n1", { timeoutMs: 30_000 });
    expect(end.status).toBe("completed");
    expect(end.result).toMatchObject({ nodeId: "n1", subscriptionId: "sub-1", releasedBy: "test" });
    const kinds = (await client.history("provision-n1")).map((e) => e.entry.k);
    expect(kinds.filter((k) => k === "SagaStarted")).toHaveLength(1);
    expect(kinds.filter((k) => k === "StepCompleted")).toHaveLength(1);
    expect(logs.lines.filter((l) => l.msg === "saga started by event")).toHaveLength(1);
  });
});
