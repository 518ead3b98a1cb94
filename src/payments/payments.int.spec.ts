import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import { testServices, servicesAvailable, type TestServices } from "../../test/support/services.js";
import { createEventStore, type EventStore } from "../eventstore/event-store.js";
import type { StoredEvent } from "../eventstore/envelope.js";
import { InvalidTransitionError, NotFoundError } from "../domain/errors.js";
import { loadChainProfiles, type ChainProfileRegistry } from "../chain-profiles/index.js";
import { createLogger } from "../observability/logger.js";
import { createSubscriptionService, type SubscriptionService } from "../subscriptions/service.js";
import { nodeIdForSubscription } from "../domain/subscription/subscription.js";
import { startPaymentsRole, type PaymentsRole } from "../roles/payments.js";
import { createPaymentService, type PaymentService } from "./service.js";
import { createLocalPaymentProvider } from "./provider.js";
import { ensurePaymentsStream } from "./stream.js";
import { noopIdempotencyStore } from "./idempotency.js";
import { UnknownPaymentError } from "./errors.js";
import { lineItemSubscriptionId } from "./processor.js";
import { until } from "../../test/support/until.js";

const logger = createLogger({ role: "test", level: "silent" });
const ctx = { actor: "user:test", correlationId: "corr-pay" };
const DAY = 24 * 3600 * 1000;

/** One isolated system: a namespace, its event store, services, and payments roles started on demand. */
async function system(label: string) {
  const s = testServices(label);
  const conns: NatsConnection[] = [];
  const roles: PaymentsRole[] = [];
  const open = async () => {
    const nc = await connect({ servers: s.natsUrl });
    conns.push(nc);
    const store = await createEventStore(nc, { names: s.names });
    return { nc, store };
  };
  const { nc, store } = await open();
  await store.ensureStream();
  await ensurePaymentsStream(store.jsm, s.names);
  const profiles = await loadChainProfiles();
  const redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 3 });
  return {
    s,
    nc,
    store,
    profiles,
    redis,
    subscriptions: createSubscriptionService({ store, profiles }),
    payments: createPaymentService({ store, providerName: "local" }),
    provider: createLocalPaymentProvider({ store }),
    /** A payments role on its own connection, as a separate process would have. */
    async startRole(opts: Partial<Parameters<typeof startPaymentsRole>[0]> = {}) {
      const c = await open();
      const role = await startPaymentsRole({ nc: c.nc, store: c.store, redis, names: s.names, logger, profiles, nakDelayMs: 50, ...opts });
      roles.push(role);
      return role;
    },
    async events(category: string, type?: string): Promise<StoredEvent[]> {
      const out: StoredEvent[] = [];
      for await (const e of store.read(1, { filter: s.names.categorySubjects(category) })) if (!type || e.type === type) out.push(e);
      return out;
    },
    consumerInfo: () => store.jsm.consumers.info(s.names.paymentsStream, s.names.paymentsConsumer),
    async close() {
      for (const r of roles) await r.stop();
      for (const c of conns) await c.drain().catch(() => {});
      redis.disconnect();
    },
  };
}
type System = Awaited<ReturnType<typeof system>>;

async function pending(sys: { subscriptions: SubscriptionService }, userId: string, durationDays = 7) {
  return (await sys.subscriptions.createSubscription({ userId, chainProfileId: "demo", nodeType: "full", durationDays }, ctx, new Date()))
    .subscription;
}

describe.skipIf(!servicesAvailable())("createPayment (R-PAY-1)", () => {
  let sys: System;
  let payments: PaymentService;
  beforeAll(async () => {
    sys = await system("paysvc");
    payments = sys.payments;
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("creates a payment for the caller's pending subscriptions and links each", async () => {
    const a = await pending(sys, "u1", 1);
    const b = await pending(sys, "u1", 7);
    const { payment, position } = await payments.createPayment({ userId: "u1", subscriptionIds: [a.id, b.id, a.id] }, ctx, new Date());
    expect(payment).toMatchObject({ status: "pending", userId: "u1", subscriptionIds: [a.id, b.id], provider: "local" });
    expect(position).toBe(await sys.store.lastPosition());
    for (const id of [a.id, b.id]) expect((await sys.subscriptions.loadSubscription(id)).subscription?.paymentId).toBe(payment.id);
  });

  it("refuses missing and foreign (both 404, alike) and non-pending (409) subscriptions, writing nothing", async () => {
    const mine = await pending(sys, "u2", 30);
    const theirs = await pending(sys, "u3", 30);
    const before = await sys.store.lastPosition();
    await expect(
      payments.createPayment({ userId: "u2", subscriptionIds: [mine.id, "sub_missing"] }, ctx, new Date()),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(payments.createPayment({ userId: "u2", subscriptionIds: [mine.id, theirs.id] }, ctx, new Date())).rejects.toBeInstanceOf(
      NotFoundError,
    );
    expect(await sys.store.lastPosition()).toBe(before);
    const { payment } = await payments.createPayment({ userId: "u3", subscriptionIds: [theirs.id] }, ctx, new Date());
    await sys.store.append(
      "subscription",
      theirs.id,
      [
        {
          type: "SubscriptionActivated",
          data: {
            subscriptionId: theirs.id,
            paymentId: payment.id,
            nodeId: nodeIdForSubscription(theirs.id),
            activatedAt: new Date().toISOString(),
            expiresAt: new Date().toISOString(),
          },
        },
      ],
      { expected: await sys.store.load("subscription", theirs.id), ctx, now: new Date() },
    );
    const mid = await sys.store.lastPosition();
    await expect(payments.createPayment({ userId: "u3", subscriptionIds: [theirs.id] }, ctx, new Date())).rejects.toBeInstanceOf(
      InvalidTransitionError,
    );
    expect(await sys.store.lastPosition()).toBe(mid);
  });

  it("the local provider refuses an unknown payment id", async () => {
    await expect(sys.provider.complete("pay_unknown")).rejects.toBeInstanceOf(UnknownPaymentError);
    await expect(sys.provider.fail("not a valid id", "x")).rejects.toBeInstanceOf(UnknownPaymentError);
  });
});

describe.skipIf(!servicesAvailable())("payment consumer: duplicates without the Redis fast path (R-PAY-4)", () => {
  let sys: System;
  beforeAll(async () => {
    sys = await system("paydup");
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("path 1, delivered twice and concurrently to two consumers: one activation and one NodeProvisionRequested per subscription", async () => {
    // No Redis fast path here: the duplicates must be stopped by the event store's expectations.
    await sys.startRole({ idempotency: noopIdempotencyStore, concurrency: 4 });
    await sys.startRole({ idempotency: noopIdempotencyStore, concurrency: 4 });
    const batches = [];
    for (const user of ["dup-a", "dup-b", "dup-c"]) {
      const subs = [await pending(sys, user, 1), await pending(sys, user, 30)];
      const { payment } = await sys.payments.createPayment({ userId: user, subscriptionIds: subs.map((x) => x.id) }, ctx, new Date());
      batches.push({ subs, payment });
    }
    await Promise.all(
      batches.flatMap(({ payment }) => {
        const msg = JSON.stringify({ version: 1, paymentId: payment.id, completedAt: new Date().toISOString() });
        return [1, 2, 3, 4].map((i) => sys.store.js.publish(sys.s.names.paymentCompleted, msg, { msgID: `${payment.id}-copy-${i}` }));
      }),
    );
    for (const { payment } of batches)
      await until("payment completed", async () => (await sys.payments.loadPayment(payment.id)).payment?.status === "completed");
    await until("all copies acked", async () => {
      const i = await sys.consumerInfo();
      return i.num_ack_pending === 0 && i.num_pending === 0;
    });
    const activatedEvents = await sys.events("subscription", "SubscriptionActivated");
    const requestedEvents = await sys.events("node", "NodeProvisionRequested");
    for (const { subs, payment } of batches) {
      for (const sub of subs) {
        expect(activatedEvents.filter((e) => e.aggregateId === sub.id)).toHaveLength(1);
        const requested = requestedEvents.filter((e) => (e.data as { subscriptionId: string }).subscriptionId === sub.id);
        expect(requested).toHaveLength(1);
        expect(requested[0]!.aggregateId).toBe(nodeIdForSubscription(sub.id));
        const state = (await sys.subscriptions.loadSubscription(sub.id)).subscription!;
        expect(state.status).toBe("active");
        expect(Date.parse(state.expiresAt) - Date.parse(state.activatedAt!)).toBe(sub.durationDays * DAY);
      }
      expect((await sys.events("payment", "PaymentCompleted")).filter((e) => e.aggregateId === payment.id)).toHaveLength(1);
    }
    expect((await sys.consumerInfo()).delivered.consumer_seq).toBeGreaterThanOrEqual(12);
  });
});

describe.skipIf(!servicesAvailable())("payment consumer: failures that may pass are NAKed (R-PAY-3)", () => {
  let sys: System;
  beforeAll(async () => {
    sys = await system("payfault");
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("a failing subscription append and a failing NodeProvisionRequested append are NAKed, and the redelivery completes the payment once", async () => {
    // Fault injection on the real store: the first activation append and the first two node appends fail.
    const failures = { subscription: 1, node: 2 };
    const faulty: EventStore = Object.create(sys.store, {
      append: {
        value: async (...args: Parameters<EventStore["append"]>) => {
          const [category, , events] = args;
          const isTarget = (category === "subscription" && events.some((e) => e.type === "SubscriptionActivated")) || category === "node";
          if (isTarget && failures[category as keyof typeof failures] > 0) {
            failures[category as keyof typeof failures]--;
            throw new Error(`injected ${category} append failure`);
          }
          return sys.store.append(...args);
        },
      },
    });
    await sys.startRole({ store: faulty, maxDeliver: 5, nakDelayMs: 50 });
    const sub = await pending(sys, "faulty", 7);
    const { payment } = await sys.payments.createPayment({ userId: "faulty", subscriptionIds: [sub.id] }, ctx, new Date());
    await sys.provider.complete(payment.id);
    await until("payment completed", async () => (await sys.payments.loadPayment(payment.id)).payment?.status === "completed");
    expect(failures).toEqual({ subscription: 0, node: 0 });
    const info = await until("acked", async () => {
      const i = await sys.consumerInfo();
      return i.num_ack_pending === 0 && i.num_pending === 0 && i;
    });
    expect(info.delivered.consumer_seq).toBe(4);
    expect((await sys.events("subscription", "SubscriptionActivated")).filter((e) => e.aggregateId === sub.id)).toHaveLength(1);
    expect(
      (await sys.events("node", "NodeProvisionRequested")).filter((e) => e.aggregateId === nodeIdForSubscription(sub.id)),
    ).toHaveLength(1);
    expect(await sys.events("paymentinbox")).toHaveLength(0);
  });
});

describe.skipIf(!servicesAvailable())("payment consumer (R-PAY-2..4)", () => {
  let sys: System;
  beforeAll(async () => {
    sys = await system("paycons");
    await sys.startRole();
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("the local provider (and the CLI) complete a payment; Redis remembers it, so a redelivery is skipped", async () => {
    const sub = await pending(sys, "cli", 7);
    const { payment } = await sys.payments.createPayment({ userId: "cli", subscriptionIds: [sub.id] }, ctx, new Date());
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["node_modules/tsx/dist/cli.mjs", "src/cli/main.ts", ...args], {
        env: { ...process.env, ...sys.s.env },
        encoding: "utf8",
        timeout: 60_000,
      });
    const unknown = cli("payments", "complete", "pay_nope");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('unknown payment "pay_nope"');
    const ok = cli("payments", "complete", payment.id);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/payment\.completed published/);
    await until("subscription active", async () => (await sys.subscriptions.loadSubscription(sub.id)).subscription?.status === "active");
    await until(
      "idempotency key",
      async () => (await sys.redis.exists(`${sys.s.names.redisPrefix}idempotency:payment.completed:${payment.id}`)) === 1,
    );
    const ttl = await sys.redis.ttl(`${sys.s.names.redisPrefix}idempotency:payment.completed:${payment.id}`);
    expect(ttl).toBeGreaterThan(0);
    const before = await sys.store.lastPosition();
    await sys.store.js.publish(
      sys.s.names.paymentCompleted,
      JSON.stringify({ paymentId: payment.id, completedAt: new Date().toISOString() }),
      { msgID: "again" },
    );
    await until("redelivery acked", async () => {
      const i = await sys.consumerInfo();
      return i.num_ack_pending === 0 && i.num_pending === 0;
    });
    expect(await sys.store.lastPosition()).toBe(before);
  });

  it("a schema-invalid message is acked and recorded once, never redelivered", async () => {
    const ack = await sys.store.js.publish(sys.s.names.paymentCompleted, JSON.stringify({ paymentId: 42, completedAt: "yesterday" }));
    const rejected = await until("rejection recorded", async () =>
      (await sys.events("paymentinbox")).find((e) => (e.data as { streamSequence: number }).streamSequence === ack.seq),
    );
    expect((rejected.data as { reason: string }).reason).toMatch(/schema-invalid payment\.completed: paymentId: .*; completedAt: /);
    await until("acked", async () => {
      const i = await sys.consumerInfo();
      return i.num_ack_pending === 0 && i.num_pending === 0;
    });
    await new Promise((r) => setTimeout(r, 300));
    const info = await sys.consumerInfo();
    expect(info.num_redelivered).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    expect(
      (await sys.events("paymentinbox")).filter((e) => (e.data as { streamSequence: number }).streamSequence === ack.seq),
    ).toHaveLength(1);
  });

  it("path 2: an unknown payment with line items creates, links and activates its subscriptions", async () => {
    const paymentId = "pay_legacy_1";
    const completedAt = new Date().toISOString();
    const lineItems = [
      { chainProfileId: "ethereum-mainnet", nodeType: "archive", durationDays: 30 },
      { chainProfileId: "demo", nodeType: "full", durationDays: 1, subscriptionId: "sub_legacy_given" },
    ];
    await sys.store.js.publish(sys.s.names.paymentCompleted, JSON.stringify({ paymentId, completedAt, userId: "old-client", lineItems }));
    await until("payment completed", async () => (await sys.payments.loadPayment(paymentId)).payment?.status === "completed");
    const { payment } = await sys.payments.loadPayment(paymentId);
    const ids = [lineItemSubscriptionId(paymentId, 0), "sub_legacy_given"];
    expect(payment).toMatchObject({ userId: "old-client", subscriptionIds: ids, activatedSubscriptionIds: ids, provider: "external" });
    const archive = (await sys.subscriptions.loadSubscription(ids[0]!)).subscription!;
    expect(archive).toMatchObject({
      status: "active",
      userId: "old-client",
      provider: "aws",
      instanceType: "i4i.4xlarge",
      paymentId,
      nodeId: nodeIdForSubscription(ids[0]!),
    });
    const nodes = (await sys.events("node", "NodeProvisionRequested")).filter(
      (e) => (e.data as { paymentId: string }).paymentId === paymentId,
    );
    expect(nodes.map((e) => e.aggregateId).sort()).toEqual(ids.map(nodeIdForSubscription).sort());
  });

  it("path 2 without line items, or with an unknown chain profile, is recorded as rejected and acked", async () => {
    const a = await sys.store.js.publish(
      sys.s.names.paymentCompleted,
      JSON.stringify({ paymentId: "pay_orphan", completedAt: new Date().toISOString() }),
    );
    const b = await sys.store.js.publish(
      sys.s.names.paymentCompleted,
      JSON.stringify({
        paymentId: "pay_orphan2",
        completedAt: new Date().toISOString(),
        userId: "x",
        lineItems: [{ chainProfileId: "nope", nodeType: "full", durationDays: 1 }],
      }),
    );
    const reasons = await until("both rejected", async () => {
      const r = (await sys.events("paymentinbox")).filter((e) =>
        [a.seq, b.seq].includes((e.data as { streamSequence: number }).streamSequence),
      );
      return r.length === 2 && r.map((e) => (e.data as { reason: string }).reason);
    });
    expect(reasons.join("\n")).toMatch(/pay_orphan is unknown and the message carries no userId/);
    expect(reasons.join("\n")).toMatch(/unknown chain profile "nope"/);
    expect((await sys.events("subscription")).filter((e) => (e.data as { userId?: string }).userId === "x")).toHaveLength(0);
  });

  it("payment.failed records PaymentFailed and leaves the subscriptions pending; a new payment then activates them", async () => {
    const sub = await pending(sys, "failing", 30);
    const first = (await sys.payments.createPayment({ userId: "failing", subscriptionIds: [sub.id] }, ctx, new Date())).payment;
    await sys.provider.fail(first.id, "card declined");
    await until("payment failed", async () => (await sys.payments.loadPayment(first.id)).payment?.status === "failed");
    expect((await sys.payments.loadPayment(first.id)).payment?.failureReason).toBe("card declined");
    expect((await sys.subscriptions.loadSubscription(sub.id)).subscription?.status).toBe("pending_payment");
    const second = (await sys.payments.createPayment({ userId: "failing", subscriptionIds: [sub.id] }, ctx, new Date())).payment;
    await sys.provider.complete(second.id);
    await until("active", async () => (await sys.subscriptions.loadSubscription(sub.id)).subscription?.status === "active");
    expect((await sys.subscriptions.loadSubscription(sub.id)).subscription?.paymentId).toBe(second.id);
  });
});

describe.skipIf(!servicesAvailable())("payment consumer: a message that is not JSON (R-PAY-3)", () => {
  let sys: System;
  beforeAll(async () => {
    sys = await system("paynak");
  });
  afterAll(async () => {
    await sys?.close();
  });

  it("is NAKed and redelivered until max_deliver, then recorded and no longer delivered", async () => {
    await sys.startRole({ maxDeliver: 3, ackWaitMs: 2_000, nakDelayMs: 100 });
    const ack = await sys.store.js.publish(sys.s.names.paymentCompleted, "{not json");
    const rejected = await until("rejection recorded", async () =>
      (await sys.events("paymentinbox")).find((e) => (e.data as { streamSequence: number }).streamSequence === ack.seq),
    );
    expect((rejected.data as { reason: string }).reason).toMatch(/^gave up after 3 deliveries: not JSON/);
    const delivered = (await sys.consumerInfo()).delivered.consumer_seq;
    expect(delivered).toBe(3);
    await new Promise((r) => setTimeout(r, 2_500));
    const info = await sys.consumerInfo();
    expect(info.delivered.consumer_seq).toBe(3);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });
});
