/**
 * Provision bench: N demo nodes (local provider) requested at once from a control plane that runs
 * every role (projector, worker, gateway, api) as ONE child process. Prints the time until all are
 * `running`, p50/p99 of request → running and request → saga completed, the control plane's peak RSS
 * and the machine's load; and, measured in the same run, the raw cost of the same hosts and agent
 * commands without the orchestration (provision.raw.ts), with `saga / raw` ratios.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { connect } from "@nats-io/transport-node";
import postgres from "postgres";
import { defaults } from "../src/config/index.js";
import { createEventStore, commandHandler, namesFor } from "../src/eventstore/index.js";
import { nodeDecider, nodeIdForSubscription } from "../src/domain/index.js";
import { createLocalProvider } from "../src/infra-providers/index.js";
import { createNodeService } from "../src/nodes/index.js";
import { provisionSagaId } from "../src/sagas/index.js";
import type { TsProcess } from "../test/support/processes.js";
import { setTimeout as delay } from "node:timers/promises";
import { memory, startProcWindow } from "./agents.proc.js";
import {
  controlPlaneEnv,
  destroyAllHosts,
  dropNamespace,
  machineLoad,
  rawProvisions,
  spawnRoles,
  type ProvisionTimes,
} from "./provision.raw.js";
import { benchNamespace, fmt, percentile, pool } from "./support.js";

/** The journal entries that end a saga, whatever the outcome. */
const SAGA_ENDS = new Set(["SagaCompleted", "SagaCompensated", "SagaFailed", "SagaCancelled"]);

export async function benchProvision(opts: {
  natsUrl: string;
  databaseUrl: string;
  redisUrl: string;
  natsLeafUrl?: string;
  nodes?: number;
  giveUpAfterMs?: number;
}) {
  const n = opts.nodes ?? 50;
  // Not a threshold: a run that stalls ends with what it measured and says how many never got there.
  const giveUpAfterMs = opts.giveUpAfterMs ?? 30 * 60_000;
  const natsLeafUrl = opts.natsLeafUrl ?? `nats://127.0.0.1:${defaults.testStack.natsLeafnodePort}`;
  const dir = mkdtempSync(join(tmpdir(), "bench-provision-"));
  const sql = postgres(opts.databaseUrl, { max: 1, onnotice: () => {} });
  const run = {
    raw: { names: namesFor(benchNamespace("provraw")), dataDir: join(dir, "raw") },
    saga: { names: namesFor(benchNamespace("provsaga")), dataDir: join(dir, "saga") },
  };
  const envOf = (r: typeof run.raw) => controlPlaneEnv({ ...opts, natsLeafUrl, ...r });
  const children: TsProcess[] = [];
  const providers = [run.raw, run.saga].map((r) =>
    createLocalProvider({ dataDir: r.dataDir, hubLeafUrls: [natsLeafUrl], namespace: r.names.namespace }),
  );
  try {
    // (1) Raw baseline first: hosts, agents and the two commands, no orchestration.
    const rawLoad = machineLoad();
    const raw = await rawProvisions({ redisUrl: opts.redisUrl, natsLeafUrl, nodes: n, gatewayEnv: envOf(run.raw), ...run.raw });
    const rawMachine = rawLoad.end();
    children.push(raw.gateway);
    const gatewayHwm = memory(raw.gateway.child.pid!)?.hwm ?? NaN;
    await destroyAllHosts(raw.provider);
    await raw.gateway.stop();

    // (2) The product: NodeProvisionRequested × N (as the payment consumer appends them) to one control-plane process.
    const cp = await spawnRoles(["projector", "worker", "gateway", "api"], envOf(run.saga));
    children.push(cp);
    const { names } = run.saga;
    const nc = await connect({ servers: opts.natsUrl });
    const store = await createEventStore(nc, { names });
    const requested = new Map<string, number>();
    const times = new Map<string, Partial<ProvisionTimes> & { outcome?: string }>();
    let finished!: () => void;
    const allEnded = new Promise<void>((r) => {
      finished = r;
    });
    const check = () => {
      if ([...times.values()].filter((t) => t.outcome && (t.runningMs !== undefined || t.outcome !== "SagaCompleted")).length === n)
        finished();
    };
    const at = (nodeId: string) => {
      const t = times.get(nodeId) ?? {};
      times.set(nodeId, t);
      return t;
    };
    // Milestones are seen as they are written: the node's NodeSynced event (→ running) and the saga's end in its journal.
    nc.subscribe(names.categorySubjects("node"), {
      callback: (_e, m) => {
        const s = names.parseEventSubject(m.subject);
        const t0 = s && requested.get(s.aggregateId);
        if (t0 === undefined || s?.eventType !== "NodeSynced") return;
        at(s.aggregateId).runningMs = performance.now() - t0;
        check();
      },
    });
    nc.subscribe(names.sagaJournalSubjects, {
      callback: (_e, m) => {
        const sagaId = names.parseSagaSubject(m.subject)?.sagaId ?? "";
        const nodeId = sagaId.replace(/^provision-/, "");
        const t0 = requested.get(nodeId);
        const k = (JSON.parse(m.string()) as { k?: string }).k ?? "";
        if (t0 === undefined || !SAGA_ENDS.has(k)) return;
        Object.assign(at(nodeId), { completedMs: performance.now() - t0, outcome: k });
        check();
      },
    });
    await nc.flush();

    const window = startProcWindow({ controlPlane: cp.child.pid! }, 500);
    const sagaLoad = machineLoad();
    const t0 = performance.now();
    const ids = Array.from({ length: n }, (_, i) => nodeIdForSubscription(`sub_bench${i}${Date.now().toString(36)}`));
    const nodeCommands = commandHandler(store, nodeDecider);
    await pool(ids, n, async (nodeId) => {
      requested.set(nodeId, performance.now());
      await nodeCommands.handle(
        nodeId,
        {
          type: "RequestProvision",
          nodeId,
          subscriptionId: `sub_${nodeId}`,
          userId: "bench",
          paymentId: `pay_${nodeId}`,
          chainProfileId: "demo",
          nodeType: "full",
          provider: "local",
          region: "local",
          instanceType: "process",
          at: new Date().toISOString(),
        },
        { actor: "system:bench", correlationId: provisionSagaId(nodeId) },
        new Date(),
      );
    });
    const cut = new AbortController();
    await Promise.race([allEnded, delay(giveUpAfterMs, undefined, { signal: cut.signal }).catch(() => undefined)]);
    cut.abort();
    const secs = (performance.now() - t0) / 1000;
    const w = window.end();
    const sagaMachine = sagaLoad.end();
    // Why a provision did not get to running: its saga's end and the step the node failed at, grouped.
    const nodes = createNodeService({ store });
    const whyNot = new Map<string, number>();
    for (const nodeId of ids) {
      const t = times.get(nodeId);
      if (t?.outcome === "SagaCompleted" && t.runningMs !== undefined) continue;
      const { state } = await nodes.load(nodeId);
      const why = `${t?.outcome ?? "saga not ended"}, node ${state?.state ?? "?"}${state?.failure ? ` at ${state.failure.step ?? "?"}: ${state.failure.reason}` : ""}`;
      whyNot.set(why, (whyNot.get(why) ?? 0) + 1);
    }
    await nc.drain();

    const done = [...times.values()].filter((t) => t.outcome === "SagaCompleted" && t.runningMs !== undefined) as ProvisionTimes[];
    const failed = n - done.length;
    const rawAll = raw.times;
    const p = (xs: ProvisionTimes[], key: keyof ProvisionTimes, q: number) =>
      percentile(
        xs.map((x) => x[key]),
        q,
      );
    const ratio = (a: number, b: number) => fmt(a / b, 2);
    const out = {
      nodes: n,
      sagaConcurrency: defaults.saga.concurrency,
      saga: {
        seconds: secs,
        running: done.length,
        failed,
        runningP50Ms: p(done, "runningMs", 50),
        runningP99Ms: p(done, "runningMs", 99),
        completedP50Ms: p(done, "completedMs", 50),
        completedP99Ms: p(done, "completedMs", 99),
      },
      raw: {
        seconds: raw.seconds,
        running: rawAll.length,
        failures: raw.failures,
        runningP50Ms: p(rawAll, "runningMs", 50),
        runningP99Ms: p(rawAll, "runningMs", 99),
        completedP50Ms: p(rawAll, "completedMs", 50),
        completedP99Ms: p(rawAll, "completedMs", 99),
      },
      controlPlane: { peakRssMb: w.peakRss.controlPlane! / 2 ** 20, hwmMb: w.hwm.controlPlane! / 2 ** 20, cpuSeconds: w.cpu.controlPlane! },
      rawGatewayHwmMb: gatewayHwm / 2 ** 20,
      machine: { saga: sagaMachine, raw: rawMachine },
    };
    const s = out.saga,
      r = out.raw;
    const sec = (ms: number) => `${fmt(ms / 1000, 1)} s`;
    console.log(
      `${n} demo nodes (local provider) requested at once; one control-plane process (projector+worker+gateway+api), worker concurrency ${out.sagaConcurrency}, agent heartbeat ${defaults.commands.heartbeatIntervalMs} ms`,
    );
    console.log(
      `  saga : all ${s.failed ? "ended" : "running"} after ${fmt(s.seconds, 1)} s (${s.running} running, ${s.failed} not) | request → running p50 ${sec(s.runningP50Ms)}, p99 ${sec(s.runningP99Ms)} | request → saga completed p50 ${sec(s.completedP50Ms)}, p99 ${sec(s.completedP99Ms)}`,
    );
    for (const [why, count] of whyNot) console.log(`    not running: ${count} × ${why}`);
    console.log(
      `  raw  : all healthy after ${fmt(r.seconds, 1)} s (${r.running} healthy, ${r.failures.length} not${r.failures.length ? `; first: ${r.failures[0]}` : ""}) | create → healthy heartbeat p50 ${sec(r.runningP50Ms)}, p99 ${sec(r.runningP99Ms)} | create → START completed p50 ${sec(r.completedP50Ms)}, p99 ${sec(r.completedP99Ms)}  (provider.create + CONFIGURE + START via createCommands, gateway role only)`,
    );
    console.log(
      `  saga / raw: all ${ratio(s.seconds, r.seconds)}× | running p50 ${ratio(s.runningP50Ms, r.runningP50Ms)}×, p99 ${ratio(s.runningP99Ms, r.runningP99Ms)}× | completed p50 ${ratio(s.completedP50Ms, r.completedP50Ms)}×, p99 ${ratio(s.completedP99Ms, r.completedP99Ms)}×`,
    );
    console.log(
      `  control plane: peak RSS ${fmt(out.controlPlane.peakRssMb)} MB sampled every 500 ms (VmHWM ${fmt(out.controlPlane.hwmMb)} MB, startup included), ${fmt(out.controlPlane.cpuSeconds, 1)} CPU s in the window | raw run's gateway-only process VmHWM ${fmt(out.rawGatewayHwmMb)} MB`,
    );
    console.log(
      `  machine (${sagaMachine.cores} cores, hosts' processes included): saga window CPU busy ${fmt(sagaMachine.busyPct)}%, load1 ${fmt(sagaMachine.load1, 2)} | raw window CPU busy ${fmt(rawMachine.busyPct)}%, load1 ${fmt(rawMachine.load1, 2)}`,
    );
    return out;
  } finally {
    // Hosts outlive the control plane by design (detached supervisors): the bench removes all it made.
    for (const c of children.reverse()) await c.stop().catch(() => undefined);
    for (const p of providers) await destroyAllHosts(p);
    for (const r of [run.raw, run.saga]) await dropNamespace({ natsUrl: opts.natsUrl, redisUrl: opts.redisUrl, sql, names: r.names });
    await sql.end({ timeout: 2 });
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { benchStack } = await import("./support.js");
  const stack = await benchStack();
  try {
    await benchProvision({ ...stack, ...(process.env.NODES ? { nodes: Number(process.env.NODES) } : {}) });
  } finally {
    await stack.stop();
  }
}
