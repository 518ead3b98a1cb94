import type { JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import { EventStoreError, isNotFound } from "./errors.js";
import { defaults } from "../config/index.js";

/**
 * One direct batch read (`$JS.API.DIRECT.GET`), bounded in time. The client's iterator only times
 * out before the first message; a batch whose end-of-batch status never arrives would otherwise
 * hang its reader forever. Here that becomes an EventStoreError the caller retries.
 * Resolves with the messages (empty when nothing matches).
 */
export async function readDirectBatch(
  jsm: JetStreamManager,
  stream: string,
  opts: { seq: number; batch: number; subject?: string; timeoutMs?: number },
): Promise<StoredMsg[]> {
  const out: StoredMsg[] = [];
  const timeoutMs = opts.timeoutMs ?? defaults.eventStore.directReadTimeoutMs;
  let iter: Awaited<ReturnType<JetStreamManager["direct"]["getBatch"]>> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      iter?.stop();
      reject(new EventStoreError(`direct batch read of ${stream} from ${opts.seq} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  const read = (async () => {
    try {
      iter = await jsm.direct.getBatch(stream, {
        seq: opts.seq,
        batch: opts.batch,
        ...(opts.subject ? { next_by_subj: opts.subject } : {}),
      });
      for await (const m of iter) out.push(m);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    return out;
  })();
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
