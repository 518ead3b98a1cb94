import type { ComponentSpec, NodeHealth, NodeRuntime } from "../schemas/agent/index.js";
import { agentDefaults } from "./defaults.js";
import { deriveHealth, scrapeMetrics } from "./health.js";
import type { NodeRuntimeAdapter, RuntimeStatus } from "./runtime/types.js";

/** One component's runtime status, by name. */
export interface ComponentStatus extends RuntimeStatus {
  name: string;
}

/**
 * The programs of one node (a single `node`, or e.g. geth + lighthouse), each under its own runtime
 * adapter: START starts them in the configured order, STOP stops them in reverse — so a consensus
 * client never runs without the execution client it talks to.
 */
export class NodeComponents {
  private readonly runtimes = new Map<string, NodeRuntimeAdapter>();
  private order: string[] = [];

  /** `make` builds the runtime of one component (its own pid file and log). */
  constructor(
    readonly kind: NodeRuntime,
    private readonly make: (name: string) => NodeRuntimeAdapter,
  ) {}

  private runtimeOf(name: string): NodeRuntimeAdapter {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = this.make(name);
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  /** The configured components, in start order (stop order is its reverse). */
  private configure(components: readonly ComponentSpec[]): void {
    this.order = components.map((c) => c.name);
  }

  /** Re-attaches each component left running by a previous agent process. */
  async recover(components: readonly ComponentSpec[] | undefined): Promise<ComponentStatus[]> {
    if (!components) return [];
    this.configure(components);
    const out: ComponentStatus[] = [];
    for (const c of components) out.push({ name: c.name, ...(await this.runtimeOf(c.name).recover(c.service)) });
    return out;
  }

  /** Starts each component in order; one that runs already is left as it is. */
  async start(
    components: readonly ComponentSpec[],
    onStarted?: (name: string, st: RuntimeStatus & { alreadyRunning: boolean }) => void,
  ): Promise<(ComponentStatus & { alreadyRunning: boolean })[]> {
    this.configure(components);
    const out: (ComponentStatus & { alreadyRunning: boolean })[] = [];
    for (const c of components) {
      const st = await this.runtimeOf(c.name).start(c.service);
      onStarted?.(c.name, st);
      out.push({ name: c.name, ...st });
    }
    return out;
  }

  /** Stops every component this agent knows, the configured ones in reverse order, then any left from an older configuration. */
  async stop(graceMs?: number): Promise<{ wasRunning: boolean }> {
    const names = [...this.order].reverse();
    for (const name of this.runtimes.keys()) if (!names.includes(name)) names.push(name);
    let wasRunning = false;
    for (const name of names) {
      const { wasRunning: was } = await this.runtimeOf(name).stop(graceMs);
      wasRunning ||= was;
    }
    return { wasRunning };
  }

  /** Each configured component's runtime status, in start order. */
  async status(): Promise<ComponentStatus[]> {
    return Promise.all(this.order.map(async (name) => ({ name, ...(await this.runtimeOf(name).status()) })));
  }

  /** Stops supervising without stopping anything (the agent exits; the node keeps running). */
  detach(): void {
    for (const rt of this.runtimes.values()) rt.detach();
  }

  /**
   * The node's health: each component from its runtime and its own metrics, aggregated. A single
   * component reports exactly its own health (no `components` list), as before components existed.
   */
  async health(components: readonly ComponentSpec[] | undefined): Promise<NodeHealth> {
    if (!components || components.length === 0) return { status: "not_configured" };
    const parts = await Promise.all(
      components.map(async (c) => {
        const rt = await this.runtimeOf(c.name).status();
        const url = c.service.metricsUrl;
        if (!rt.running || !url) return { name: c.name, ...deriveHealth(true, rt, undefined) };
        const { metrics, error } = await scrapeMetrics(url, agentDefaults.healthScrapeTimeoutMs);
        return { name: c.name, ...deriveHealth(true, rt, metrics, error) };
      }),
    );
    if (parts.length === 1) {
      const { name: _name, ...only } = parts[0]!;
      return only;
    }
    return aggregateHealth(parts);
  }
}

type Part = NodeHealth & { name: string };

/**
 * The node's health from its components': healthy only when all are; a component stopped while
 * others run makes the node unhealthy; otherwise starting, then syncing, wins over healthy. Height,
 * peers and lag come from the first component that reports them (the execution client, by order).
 */
export function aggregateHealth(parts: readonly Part[]): NodeHealth {
  const statuses = new Set(parts.map((p) => p.status));
  let status: NodeHealth["status"];
  if (statuses.size === 1) status = parts[0]!.status;
  else if (statuses.has("unhealthy") || statuses.has("stopped") || statuses.has("not_configured")) status = "unhealthy";
  else if (statuses.has("starting") || statuses.has("unknown")) status = "starting";
  else status = "syncing";
  const pick = <K extends "blockHeight" | "peers" | "syncLag">(k: K) => parts.find((p) => p[k] !== undefined)?.[k];
  const blockHeight = pick("blockHeight");
  const peers = pick("peers");
  const syncLag = pick("syncLag");
  const lagging = parts.filter((p) => p.status !== "healthy").map((p) => `${p.name} ${p.status}`);
  return {
    status,
    ...(blockHeight !== undefined ? { blockHeight } : {}),
    ...(peers !== undefined ? { peers } : {}),
    ...(syncLag !== undefined ? { syncLag } : {}),
    ...(lagging.length > 0 && status !== "stopped" ? { message: lagging.join(", ").slice(0, 500) } : {}),
    components: parts.map((p) => ({ ...p, ...(p.message ? { message: p.message.slice(0, 500) } : {}) })),
  };
}
