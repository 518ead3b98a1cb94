/**
 * Our append (validation, envelope, per-aggregate expectation, ConcurrencyError mapping) vs a raw
 * JetStream publish with the same expectation and message id, measured in the same run on the same
 * server: N aggregates appended to concurrently, each aggregate's events in order.
 */
import { connect, headers } from "@nats-io/transport-node";
import { createEventStore, NO_STREAM, type StreamRevision, namesFor } from "../src/eventstore/index.js";
import { benchNamespace, fmt, pool } from "./support.js";

export async function benchAppend(opts: { natsUrl: string; aggregates?: number; eventsPerAggregate?: number; inFlight?: number }) {
  const aggregates = opts.aggregates ?? 4_000;
  const perAgg = opts.eventsPerAggregate ?? 5;
  const inFlight = opts.inFlight ?? 256;
  const nc = await connect({ servers: opts.natsUrl });
  const now = new Date();
  const data = (id: string) => ({
    subscriptionId: id,
    userId: "user-0001",
    chainProfileId: "ethereum-mainnet",
    nodeType: "full",
    durationDays: 30,
    provider: "hetzner",
    region: "fsn1",
    instanceType: "ax52",
    expiresAt: now.toISOString(),
    createdAt: now.toISOString(),
  });
  const ctx = { actor: "user:bench", correlationId: "bench" };
  const ids = Array.from({ length: aggregates }, (_, i) => `agg-${i}`);

  const raw = async () => {
    const names = namesFor(benchNamespace("raw"));
    const store = await createEventStore(nc, { names });
    await store.ensureStream();
    const t = performance.now();
    await pool(ids, inFlight, async (id) => {
      let last = 0;
      for (let k = 0; k < perAgg; k++) {
        const h = headers();
        h.set("Np-Event-Type", "SubscriptionCreated");
        const ack = await store.js.publish(names.eventSubject("subscription", id, "SubscriptionCreated"), JSON.stringify(data(id)), {
          msgID: crypto.randomUUID(),
          headers: h,
          expect: { lastSubjectSequence: last, lastSubjectSequenceSubject: names.aggregateSubjects("subscription", id) },
        });
        last = ack.seq;
      }
    });
    const secs = (performance.now() - t) / 1000;
    await store.jsm.streams.delete(names.eventsStream);
    return (aggregates * perAgg) / secs;
  };
  const ours = async () => {
    const names = namesFor(benchNamespace("ours"));
    const store = await createEventStore(nc, { names });
    await store.ensureStream();
    const t = performance.now();
    await pool(ids, inFlight, async (id) => {
      let rev: StreamRevision = NO_STREAM;
      for (let k = 0; k < perAgg; k++)
        rev = await store.append("subscription", id, [{ type: "SubscriptionCreated", data: data(id) }], { expected: rev, ctx, now });
    });
    const secs = (performance.now() - t) / 1000;
    await store.jsm.streams.delete(names.eventsStream);
    return (aggregates * perAgg) / secs;
  };
  await raw(); // warm-up: JIT, connection, file store
  // Interleaved rounds, best of each, so a noisy neighbour hits both sides alike.
  const rawRates: number[] = [];
  const ourRates: number[] = [];
  for (let round = 0; round < 3; round++) {
    rawRates.push(await raw());
    ourRates.push(await ours());
  }
  const rawRate = Math.max(...rawRates);
  const ourRate = Math.max(...ourRates);
  await nc.drain();
  console.log(
    `append: ${fmt(aggregates * perAgg)} events x 3 rounds (best of each), ${inFlight} aggregates in flight, sync_interval: always`,
  );
  console.log(`  raw JetStream publish (same expectation): ${fmt(rawRate)} events/s`);
  console.log(`  EventStore.append:                         ${fmt(ourRate)} events/s`);
  console.log(`  ratio ours/raw: ${fmt(ourRate / rawRate, 2)} (target >= 0.80)`);
  return { rawRate, ourRate, ratio: ourRate / rawRate };
}
