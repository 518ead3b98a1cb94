import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { ObservationConfigV1, type CollectorStatus, type ObservationConfig, type SampleWire } from "../schemas/agent/index.js";
import { buildCollectors, CollectorSet, MetricsShipper, renderObservation, SampleBuffer } from "./collectors/index.js";
import type { ChainUser } from "./runtime/chain-user.js";
import { errorMessage, InvalidCommandError } from "./errors.js";
import type { Logger } from "./log.js";
import type { HostVars } from "./template.js";

export interface AgentObservationOptions {
  nodeId: string;
  vars: HostVars;
  chainDir: string;
  chainUser: ChainUser | undefined;
  log: Logger;
  /** Samples kept while the link is down (oldest dropped first). */
  bufferSamples: number;
  publish(data: Uint8Array): void;
  reachable(): boolean;
}

/** Shipping runs at the shortest collector interval, within these bounds. */
const SHIP_MIN_MS = 100;
const SHIP_MAX_MS = 15_000;

/**
 * The agent's side of observation (SPEC R-OBS-1): the collectors CONFIGURE named, a bounded buffer
 * of their samples, and the batches on `agent.<nodeId>.metrics`. A new config replaces the collectors
 * (the buffer stays); none stops them.
 */
export class AgentObservation {
  readonly buffer: SampleBuffer<SampleWire>;
  private set: CollectorSet | undefined;
  private readonly shipper: MetricsShipper;
  private shipTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: AgentObservationOptions) {
    this.buffer = new SampleBuffer(o.bufferSamples);
    this.shipper = new MetricsShipper({
      nodeId: o.nodeId,
      buffer: this.buffer,
      statuses: () => this.statuses(),
      publish: o.publish,
      reachable: o.reachable,
      log: o.log,
    });
  }

  /** The host-rendered config, every collector built once as a check (throws InvalidCommandError: unknown placeholder, bad URL or path). */
  render(config: ObservationConfig): ObservationConfig {
    const rendered = renderObservation(config, this.o.vars);
    try {
      buildCollectors(rendered, { chainDir: this.o.chainDir, user: this.o.chainUser });
    } catch (err) {
      throw new InvalidCommandError(`observation: ${errorMessage(err)}`, { cause: err });
    }
    return rendered;
  }

  /** Replaces the running collectors with those of `config` (rendered by `render`); undefined stops them. */
  async apply(config: ObservationConfig | undefined): Promise<void> {
    await this.stopCollectors();
    if (!config || config.collectors.length === 0) return;
    const set = new CollectorSet({
      collectors: buildCollectors(config, { chainDir: this.o.chainDir, user: this.o.chainUser }),
      log: this.o.log,
      sink: (samples) => this.buffer.push(samples),
    });
    this.set = set;
    set.start();
    const every = Math.min(SHIP_MAX_MS, Math.max(SHIP_MIN_MS, Math.min(...config.collectors.map((c) => c.intervalMs))));
    this.shipTimer = setInterval(() => this.ship(), every);
    this.o.log.info({ collectors: config.collectors.map((c) => `${c.name}:${c.type}`), shipMs: every }, "collectors started");
  }

  statuses(): CollectorStatus[] {
    return this.set?.current() ?? [];
  }

  /** Sends what is buffered now (also called when the link comes back). */
  ship(): void {
    try {
      this.shipper.ship();
    } catch (err) {
      this.o.log.warn({ err: errorMessage(err) }, "metrics shipping failed");
    }
  }

  async stop(): Promise<void> {
    await this.stopCollectors();
  }

  private async stopCollectors(): Promise<void> {
    clearInterval(this.shipTimer);
    this.shipTimer = undefined;
    const set = this.set;
    this.set = undefined;
    await set?.stop();
  }
}

const OBSERVATION_FILE = "observation.json";
const StoredObservation = z.object({ v: z.literal(1), observation: ObservationConfigV1 });

/** Keeps the (host-rendered) collectors CONFIGURE set, for the next agent process; undefined removes them. */
export async function saveObservation(stateDir: string, config: ObservationConfig | undefined): Promise<void> {
  const file = join(stateDir, OBSERVATION_FILE);
  if (!config) return rm(file, { force: true });
  await mkdir(stateDir, { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify({ v: 1, observation: config }), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** The saved collectors, or undefined (none configured, or a file this version cannot read). */
export async function loadObservation(stateDir: string): Promise<ObservationConfig | undefined> {
  const text = await readFile(join(stateDir, OBSERVATION_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const stored = StoredObservation.safeParse(JSON.parse(text));
    return stored.success ? stored.data.observation : undefined;
  } catch {
    return undefined;
  }
}
