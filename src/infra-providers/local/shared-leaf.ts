import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { freePort } from "../../localstack/index.js";
import { HostStateError } from "../provider.js";
import { leafChild, supervisedDir, supervisorSpec, type SupervisionTimings } from "./host-spec.js";
import { writeHostLeafConfig } from "./leaf.js";
import { ensureSupervisor, spawnSupervisor, stopSupervised, waitForSupervisedPort } from "./supervisor-process.js";

/** The shared leaf's saved state (`leaf.json`): its port survives restarts, so hosts keep their URL. */
const SharedLeafState = z.object({ v: z.literal(1), port: z.number().int().positive(), url: z.string().min(1) });

/**
 * One plain leaf server for many local hosts (scale tests without auth; in operator mode a leaf carries
 * one node's traffic only, R-NATS-4, so the provider refuses a shared leaf there): `<hostsDir>/_shared-leaf/`, supervised like a
 * host, started with the first host that asks for it and stopped with the last one.
 */
export class SharedLeaf {
  private readonly dir: string;
  private pending: Promise<string> | undefined;

  constructor(
    hostsDir: string,
    private readonly o: {
      natsServerBin: () => string;
      hubLeafUrls: readonly string[];
      timings: SupervisionTimings;
      startTimeoutMs: number;
    },
  ) {
    this.dir = join(hostsDir, "_shared-leaf");
  }

  /** The shared leaf's client URL, starting (or re-attaching) it first. */
  ensure(): Promise<string> {
    this.pending ??= this.start().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async start(): Promise<string> {
    const d = supervisedDir(this.dir);
    const statePath = join(this.dir, "leaf.json");
    const saved = await this.read(statePath);
    if (saved) {
      await ensureSupervisor(d);
      await waitForSupervisedPort(d, saved.port, "the shared leaf", this.o.startTimeoutMs);
      return saved.url;
    }
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const port = await freePort();
    const leafDir = join(this.dir, "leaf");
    const conf = await writeHostLeafConfig({ leafDir, serverName: `leaf-shared-${port}`, port, hubLeafUrls: this.o.hubLeafUrls });
    const spec = supervisorSpec({
      name: "shared-leaf",
      runDir: d.runDir,
      timings: this.o.timings,
      children: [leafChild({ natsServerBin: this.o.natsServerBin(), conf, leafDir, log: join(this.dir, "logs", "leaf.log") })],
    });
    await spawnSupervisor(d, spec);
    await waitForSupervisedPort(d, port, "the shared leaf", this.o.startTimeoutMs);
    const url = `nats://127.0.0.1:${port}`;
    await writeFile(`${statePath}.tmp`, JSON.stringify({ v: 1, port, url }), { mode: 0o600 });
    await rename(`${statePath}.tmp`, statePath);
    return url;
  }

  /** Stops the shared leaf and removes its directory (when no host uses it any more). */
  async stop(): Promise<void> {
    if (!existsSync(this.dir)) return;
    await stopSupervised(supervisedDir(this.dir), this.o.timings.stopGraceMs);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async read(path: string): Promise<z.infer<typeof SharedLeafState> | undefined> {
    if (!existsSync(path)) return undefined;
    const parsed = SharedLeafState.safeParse(JSON.parse(await readFile(path, "utf8")));
    if (!parsed.success) throw new HostStateError(`${path} does not match the shared leaf schema: ${parsed.error.message}`);
    return parsed.data;
  }
}
