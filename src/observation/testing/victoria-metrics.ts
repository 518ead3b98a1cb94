import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, type ManagedProcess } from "../../localstack/process.js";
import { startVictoriaMetrics } from "../../localstack/victoria-metrics.js";

/**
 * A VictoriaMetrics of a spec's own (a temporary data dir, a free port) that the spec can stop and
 * start again on the same port and data, to cut the TSDB away mid-run. `close()` stops it and removes its data.
 */
export async function ownVictoriaMetrics(): Promise<{
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}> {
  const dir = mkdtempSync(join(tmpdir(), "np-vm-"));
  const port = await freePort();
  let proc: ManagedProcess | undefined = await startVictoriaMetrics({ dir, port });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      await proc?.stop();
      proc = undefined;
    },
    async start() {
      proc ??= await startVictoriaMetrics({ dir, port });
    },
    async close() {
      await proc?.stop();
      proc = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Makes samples written so far searchable now (VictoriaMetrics flushes its in-memory parts about once a second). */
export async function forceFlush(url: string): Promise<void> {
  const res = await fetch(`${url}/internal/force_flush`);
  await res.arrayBuffer();
}
