import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServiceSpec } from "../../schemas/agent/index.js";
import { isAlive } from "./proc.js";
import { ProcessRuntime } from "./process.js";

const log = pino({ level: "silent" });
const node = (script: string): ServiceSpec => ({ runtime: "process", command: [process.execPath, "-e", script], env: {} });
/** A node that ignores SIGTERM: STOP must escalate to SIGKILL. */
const stubborn = node("process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')");
const plain = node("setInterval(() => {}, 1000)");

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `process` runtime with real child processes (not NATS: it needs no services). */
describe("process runtime (R-UPG-2)", () => {
  let dir: string;
  const runtimes: ProcessRuntime[] = [];
  const rt = (timing: ConstructorParameters<typeof ProcessRuntime>[0]["timing"] = {}) => {
    const r = new ProcessRuntime({
      chainDir: dir,
      runDir: join(dir, "run"),
      log,
      timing: { restartBaseMs: 50, restartMaxMs: 200, adoptedPollMs: 50, ...timing },
    });
    runtimes.push(r);
    return r;
  };
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "np-proc-"));
  });
  afterEach(async () => {
    for (const r of runtimes.splice(0)) await r.stop(0).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it("restarts a crashed node with backoff and writes the new pid file", async () => {
    const r = rt();
    const { pid } = await r.start(plain);
    process.kill(pid!, "SIGKILL");
    const after = await until(
      () => r.status(),
      (s) => s.running && s.pid !== pid,
    );
    expect(after.restarts).toBe(1);
    const file = JSON.parse(await readFile(join(dir, "run", "node.pid"), "utf8")) as { pid: number };
    expect(file.pid).toBe(after.pid);
  });

  it("a new runtime (a restarted agent) adopts the node from the pid file, and restarts it if it dies", async () => {
    const first = rt();
    const { pid } = await first.start(plain);
    first.detach();
    const second = rt();
    const adopted = await second.recover(plain);
    expect(adopted).toMatchObject({ running: true, pid });
    process.kill(pid!, "SIGKILL");
    const restarted = await until(
      () => second.status(),
      (s) => s.running && s.pid !== pid,
    );
    expect(restarted.restarts).toBe(1);
    expect((await second.start(plain)).alreadyRunning).toBe(true);
  });

  it("STOP sends SIGTERM, then SIGKILL after the grace period; the pid file goes and no restart follows", async () => {
    const r = rt();
    const { pid } = await r.start(stubborn);
    await until(
      () => readFile(join(dir, "run", "node.log"), "utf8").catch(() => ""),
      (t) => t.includes("up"),
    );
    expect(await r.stop(200)).toEqual({ wasRunning: true });
    expect(await isAlive(pid!)).toBe(false);
    await expect(readFile(join(dir, "run", "node.pid"), "utf8")).rejects.toThrow();
    expect(await r.status()).toMatchObject({ running: false, restarting: false });
    expect(await r.stop()).toEqual({ wasRunning: false });
  });

  it("refuses a service of a runtime this host does not run", async () => {
    await expect(rt().start({ ...plain, runtime: "docker" })).rejects.toThrow(/not available/);
  });
});
