import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { Writable } from "node:stream";
import type { Names } from "../../eventstore/subjects.js";
import { createLogger, type Logger } from "../../observability/logger.js";
import type { AnySaga } from "../define.js";
import { createSagaWorker, type SagaWorker } from "../worker.js";
import { createSagaClient, type SagaClient } from "../client.js";

/** Log lines captured from the runtime, for assertions on what an operator would see. */
export interface CapturedLogs {
  lines: Array<Record<string, unknown>>;
  logger: Logger;
  /** Resolves with the first line (past or future) that matches. */
  waitFor(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** A logger whose JSON lines are kept in memory. */
export function captureLogs(role = "test"): CapturedLogs {
  const lines: Array<Record<string, unknown>> = [];
  const listeners = new Set<(l: Record<string, unknown>) => void>();
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) {
        if (!l.trim()) continue;
        const line = JSON.parse(l) as Record<string, unknown>;
        lines.push(line);
        for (const f of [...listeners]) f(line);
      }
      cb();
    },
  });
  return {
    lines,
    logger: createLogger({ role, level: "debug", destination }),
    waitFor: (match) =>
      new Promise((resolve) => {
        const hit = lines.find(match);
        if (hit) return resolve(hit);
        const f = (l: Record<string, unknown>) => {
          if (match(l)) {
            listeners.delete(f);
            resolve(l);
          }
        };
        listeners.add(f);
      }),
  };
}

/** In-process workers and a client on one namespace; `close` stops them and deletes the namespace's saga streams. */
export async function sagaHarness(
  natsUrl: string,
  names: Names,
  sagas: readonly AnySaga[],
  o: { workers?: number; ackWaitMs?: number } = {},
) {
  const nc: NatsConnection = await connect({ servers: natsUrl });
  const logs = captureLogs();
  const workers: SagaWorker[] = [];
  for (let i = 0; i < (o.workers ?? 1); i++) {
    const w = createSagaWorker({
      nc,
      names,
      sagas,
      logger: logs.logger,
      workerId: `w${i}`,
      ...(o.ackWaitMs ? { ackWaitMs: o.ackWaitMs } : {}),
    });
    await w.start();
    workers.push(w);
  }
  const client: SagaClient = await createSagaClient({ nc, names, sagas });
  return {
    nc,
    client,
    workers,
    logs,
    async close() {
      for (const w of workers) await w.stop({ drainMs: 1_000 });
      const jsm = await jetstreamManager(nc);
      for (const s of [names.sagasStream, names.sagaWorkStream]) await jsm.streams.delete(s).catch(() => undefined);
      await nc.drain().catch(() => undefined);
    },
  };
}

/** A promise with its resolver, for steps the test releases. */
export function gate<T = void>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

/** Resolves once a journal has an entry of `kind` (`count` of them): reads it, then listens to its subject (push, no polling). */
export async function waitForEntry(
  nc: NatsConnection,
  journalSubject: string,
  history: () => Promise<Array<{ entry: { k: string } }>>,
  kind: string,
  count = 1,
): Promise<void> {
  const sub = nc.subscribe(journalSubject);
  try {
    let seen = (await history().catch(() => [])).filter((e) => e.entry.k === kind).length;
    if (seen >= count) return;
    // Entries published between our subscription and the read are counted again: re-read to be exact.
    for await (const m of sub) {
      if ((m.json() as { k?: string }).k !== kind) continue;
      seen = (await history().catch(() => [])).filter((e) => e.entry.k === kind).length;
      if (seen >= count) return;
    }
  } finally {
    sub.unsubscribe();
  }
}
