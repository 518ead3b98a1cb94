import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { servicesAvailable } from "../../../test/support/services.js";
import { spawnTs, type TsProcess } from "../../../test/support/processes.js";
import { startLifecycleSystem, type LifecycleSystem } from "../testing/lifecycle-system.js";
import { createLocalProvider, hostIdFor, hostPaths, type LocalProvider } from "../../infra-providers/index.js";
import { readPidFile } from "../../infra-providers/local/pids.js";
import { ConcurrencyError } from "../../eventstore/errors.js";
import { parseJournalEntry, type JournalEntry } from "../../../schemas/saga/journal.js";
import { provisionSagaId } from "./provision.saga.js";
import { terminateSagaId } from "../terminate/terminate.saga.js";
import { until } from "../../../test/support/until.js";
import { recordJournal } from "../testing/record-journal.js";

/**
 * Faults of the provision saga with real processes (DESIGN.md §9: "kill a worker mid-step, redeliver a
 * message twice"): the worker role runs as `nodeplane role worker` child processes, the projector,
 * gateway and API in this process, all on the test stack under one namespace.
 */

const STEPS = [
  "ValidateProvisionInputs",
  "GenerateNodeKeys",
  "RunTerraform",
  "WaitForAgentReady",
  "SendConfigureCommand",
  "WaitForCommandCompletion",
  "InjectKeys",
  "StartNode",
  "MarkInputsApplied",
];
/**
 * Short lease, so the second worker takes a dead worker's saga after seconds, not the default 30 s; not
 * shorter, because a loaded machine (2 cores shared by several test runs) can stall a live worker's
 * keep-alives (a third of this) long enough to lose its lease and run the step once more.
 */
const ACK_WAIT_MS = 5_000;

/** A `nodeplane role worker` child process and the saga worker id it logged. */
interface WorkerChild {
  proc: TsProcess;
  workerId: string;
}

/** Every process on this machine whose command line or working directory lies under `dir`. */
function processesUnder(dir: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ").trim();
      let cwd = "";
      try {
        cwd = readlinkSync(`/proc/${name}/cwd`);
      } catch {
        /* gone or not ours */
      }
      if (cmd && (cmd.includes(`${dir}/`) || cwd === dir || cwd.startsWith(`${dir}/`))) out.push({ pid: Number(name), cmd });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

describe.skipIf(!servicesAvailable())("provision saga faults with real worker processes", () => {
  let sys: LifecycleSystem;
  let provider: LocalProvider;
  const workers: WorkerChild[] = [];

  /** Starts `nodeplane role worker` on the system's env; resolves once its saga worker consumes. */
  async function startWorker(): Promise<WorkerChild> {
    const proc = spawnTs("src/cli/main.ts", ["role", "worker"], {
      ...sys.childEnv,
      LOG_LEVEL: "info",
      SAGA_ACK_WAIT_MS: String(ACK_WAIT_MS),
    });
    const w: WorkerChild = { proc, workerId: "" };
    workers.push(w);
    const [line] = await proc.waitFor(/^.*"msg":"saga worker started".*$/m, 90_000);
    const logged = JSON.parse(line) as { workerId: string; ackWaitMs: number };
    expect(logged.ackWaitMs).toBe(ACK_WAIT_MS); // SAGA_ACK_WAIT_MS reached the worker role through the validated env
    w.workerId = logged.workerId;
    await proc.waitFor(/roles running: worker/);
    return w;
  }

  const alive = (w: WorkerChild) => w.proc.child.exitCode === null && w.proc.child.signalCode === null;
  const liveWorker = async () => workers.find(alive) ?? startWorker();

  /** Calls `on` with each new journal entry of a saga (a core subscription on its journal subject, set up before the saga starts). */
  async function watchJournal(sagaId: string, on: (e: JournalEntry) => void): Promise<{ stop(): void }> {
    const sub = sys.nc.subscribe(sys.s.names.sagaJournal(sagaId), {
      callback: (_err, m) => {
        if (m) on(parseJournalEntry(m.json(), sagaId));
      },
    });
    await sys.nc.flush();
    return { stop: () => sub.unsubscribe() };
  }

  /** The supervisor, leaf server and agent processes running for a node's host. */
  function hostProcesses(nodeId: string) {
    const dir = hostPaths(provider.hostsDir, hostIdFor(nodeId)).dir;
    const all = processesUnder(dir);
    return {
      dir,
      all,
      supervisors: all.filter((p) => p.cmd.includes("supervisor.main.ts") && p.cmd.includes(join(dir, "supervisor.json"))),
      leafs: all.filter((p) => p.cmd.includes(join(dir, "leaf", "leaf.conf"))),
      agents: all.filter((p) => p.cmd.includes("agent/main.ts") && p.cmd.split(" ").includes(nodeId)),
    };
  }

  /** The journal as one line per entry, for failure messages. */
  const timeline = async (sagaId: string) =>
    (await sys.sagas.history(sagaId))
      .map(
        ({ entry: e }) =>
          `${e.at} ${e.worker} ${e.k} ${"step" in e ? `${e.step}#${e.attempt}` : ""} ${"error" in e ? JSON.stringify(e.error) : ""}`,
      )
      .join("\n");

  /** Waits for a saga's end; a timeout names where the journal stands and what the workers logged at warn or worse. */
  async function endOf(sagaId: string) {
    try {
      return await sys.sagas.waitForEnd(sagaId, { timeoutMs: 90_000 });
    } catch (err) {
      const logs = workers
        .map(
          (w) =>
            `${w.workerId}:\n${w.proc
              .output()
              .split("\n")
              .filter((l) => /"level":[456]0/.test(l))
              .slice(-30)
              .join("\n")}`,
        )
        .join("\n");
      throw new Error(`${(err as Error).message}\n${await timeline(sagaId)}\n${logs}`, { cause: err });
    }
  }

  const nodeEvents = async (nodeId: string, type: string) => (await sys.store.load("node", nodeId)).events.filter((e) => e.type === type);
  const hostsOf = async (nodeId: string) => (await provider.list()).filter((h) => h.nodeId === nodeId);
  const waitForNodeState = (nodeId: string, state: string) =>
    until(`node ${nodeId} ${state}`, async () => ((await sys.nodes.load(nodeId)).state?.state === state ? true : undefined), {
      timeoutMs: 60_000,
    });

  beforeAll(async () => {
    sys = await startLifecycleSystem("pfault", { roles: ["projector", "gateway", "api"] });
    provider = createLocalProvider({ dataDir: sys.dataDir, hubLeafUrls: [sys.s.natsLeafUrl!], namespace: sys.s.names.namespace });
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.proc.stop("SIGTERM", 10_000);
    await sys?.close();
  }, 120_000);

  /**
   * Where in RunTerraform the worker dies: at once when its StepStarted is journaled (before the host
   * exists), or once the host's supervisor runs but before host.json says the host is complete (the
   * first attempt leaves a detached supervisor, leaf and agent behind that the second must not double).
   */
  type KillPoint = "at StepStarted" | "after the supervisor spawned";
  interface Killed {
    hostJsonExisted: boolean;
    completedBefore: boolean;
    orphanSupervisor?: number;
  }

  it.each<KillPoint>(["at StepStarted", "after the supervisor spawned"])(
    "a worker SIGKILLed during RunTerraform (%s): a second worker resumes, one host, one supervisor, RunTerraform twice under one key, node running; terminate leaves nothing",
    async (point) => {
      const victim = await liveWorker();
      expect(workers.filter(alive)).toHaveLength(1);
      const nodeId = `node_pkill${Date.now().toString(36)}`;
      const sagaId = provisionSagaId(nodeId);
      const hostDir = hostPaths(provider.hostsDir, hostIdFor(nodeId)).dir;
      const supervisorPid = join(hostDir, "run", "supervisor.pid");

      let killed!: (k: Killed) => void;
      let poll: NodeJS.Timeout | undefined;
      const killedAt = new Promise<Killed>((r, reject) => {
        killed = r;
        setTimeout(() => {
          clearInterval(poll);
          reject(new Error(`the worker never reached the kill point (${point})`));
        }, 90_000).unref();
      });
      let sawCompleted = false;
      const kill = () => {
        victim.proc.child.kill("SIGKILL");
        const orphan = readPidFile(supervisorPid)?.pid;
        killed({
          hostJsonExisted: existsSync(join(hostDir, "host.json")),
          completedBefore: sawCompleted,
          ...(orphan ? { orphanSupervisor: orphan } : {}),
        });
      };
      const watch = await watchJournal(sagaId, (e) => {
        if (e.k === "StepCompleted" && e.step === "RunTerraform") sawCompleted = true;
        if (e.k !== "StepStarted" || e.step !== "RunTerraform" || e.attempt !== 1) return;
        if (point === "at StepStarted") return kill();
        poll = setInterval(() => {
          if (existsSync(supervisorPid)) {
            clearInterval(poll);
            kill();
          }
        }, 5);
      });
      await sys.requestProvision({ nodeId });
      const at = await killedAt;
      expect(await victim.proc.stop("SIGKILL")).toBe("SIGKILL");
      expect(at.completedBefore).toBe(false);
      if (point === "after the supervisor spawned") {
        // The kill hit the window this case is about: a supervisor running for a host that is not complete.
        expect(at.orphanSupervisor).toBeDefined();
        expect(at.hostJsonExisted).toBe(false);
      }

      const survivor = await startWorker();
      const end = await endOf(sagaId);
      watch.stop();
      expect(end.status, JSON.stringify(end)).toBe("completed");

      const journal = (await sys.sagas.history(sagaId)).map((e) => e.entry);
      // On a failure: the timeline and what the survivor said about its task (a lapsed lease shows as a lost race).
      const why = `${await timeline(sagaId)}\n${survivor.proc
        .output()
        .split("\n")
        .filter((l) => /"level":[45]0|another worker/.test(l))
        .join("\n")}`;
      const started = journal.flatMap((e) => (e.k === "StepStarted" && e.step === "RunTerraform" ? [e] : []));
      const completed = journal.flatMap((e) => (e.k === "StepCompleted" && e.step === "RunTerraform" ? [e] : []));
      expect(
        started.map((e) => [e.attempt, e.worker]),
        why,
      ).toEqual([
        [1, victim.workerId],
        [2, survivor.workerId],
      ]);
      expect(new Set(started.map((e) => e.idempotencyKey)).size).toBe(1);
      expect(completed.map((e) => e.attempt)).toEqual([2]);
      expect(journal.some((e) => e.k === "StepFailed")).toBe(false); // the interrupted attempt left no verdict, only a second start
      expect(journal.flatMap((e) => (e.k === "StepCompleted" ? [e.step] : []))).toEqual(STEPS);
      // One of the two kill points is enough for a replay fixture: their journals have the same shape.
      if (point === "at StepStarted")
        await recordJournal(sys.sagas, sagaId, { saga: "provision", variant: "worker-killed", end: "completed" });

      await waitForNodeState(nodeId, "running");
      const hosts = await hostsOf(nodeId);
      expect(hosts.map((h) => [h.hostId, h.running])).toEqual([[hostIdFor(nodeId), true]]);
      expect(await nodeEvents(nodeId, "NodeHostAssigned")).toHaveLength(1);
      // One supervisor (the one its pid file names), one leaf, one agent: whatever the first attempt started is gone.
      const procs = hostProcesses(nodeId);
      expect(
        procs.supervisors.map((p) => p.pid),
        JSON.stringify(procs.all),
      ).toEqual([readPidFile(supervisorPid)?.pid]);
      expect(procs.leafs.map((p) => p.pid)).toEqual([readPidFile(join(hostDir, "run", "leaf.pid"))?.pid]);
      expect(procs.agents.map((p) => p.pid)).toEqual([readPidFile(join(hostDir, "run", "agent.pid"))?.pid]);
      if (at.orphanSupervisor) expect(procs.supervisors.map((p) => p.pid)).not.toContain(at.orphanSupervisor);

      await sys.nodes.handle(
        nodeId,
        { type: "RequestTermination", reason: "user", requestedBy: "alice", at: new Date().toISOString() },
        { actor: "user:alice", correlationId: "t" },
        new Date(),
      );
      const t = await endOf(terminateSagaId(nodeId));
      expect(t.status, JSON.stringify(t)).toBe("completed");
      expect(t.result).toMatchObject({ nodeId, terminated: true, partialFailures: [] });
      expect((await sys.nodes.load(nodeId)).state?.state).toBe("terminated");
      expect(await hostsOf(nodeId)).toEqual([]);
      expect(existsSync(hostDir)).toBe(false);
      expect(processesUnder(hostDir)).toEqual([]); // supervisor, leaf, agent and the chain node all stopped
    },
    200_000,
  );

  it("NodeProvisionRequested delivered twice (another event id, mid-RunTerraform): one provision saga, one host, one NodeHostAssigned", async () => {
    await liveWorker();
    const nodeId = `node_pdup${Date.now().toString(36)}`;
    const sagaId = provisionSagaId(nodeId);
    let inRunTerraform: () => void;
    const reached = new Promise<void>((r) => (inRunTerraform = r));
    const watch = await watchJournal(sagaId, (e) => {
      if (e.k === "StepStarted" && e.step === "RunTerraform") inRunTerraform();
    });
    await sys.requestProvision({ nodeId });
    await reached;

    // An upstream retry: the same request under a new event id (so the store keeps both).
    let duplicateAt = 0;
    for (let i = 0; !duplicateAt; i++) {
      const agg = await sys.store.load("node", nodeId);
      const first = agg.events[0]!;
      try {
        const r = await sys.store.append("node", nodeId, [{ type: first.type, id: `${first.id}:retry`, data: first.data }], {
          expected: agg,
          ctx: { actor: "system:test", correlationId: first.correlationId },
          now: new Date(),
        });
        duplicateAt = r.position;
      } catch (err) {
        if (!(err instanceof ConcurrencyError) || i > 20) throw err; // the saga appended meanwhile
      }
    }
    const end = await endOf(sagaId);
    watch.stop();
    expect(end.status, JSON.stringify(end)).toBe("completed");
    // The starter has handled (acked) the duplicate, so what follows is its whole effect.
    await until(
      "the starter to ack the duplicate",
      async () => {
        const info = await sys.store.jsm.consumers.info(sys.s.names.eventsStream, sys.s.names.sagaStarterConsumer);
        return info.ack_floor.stream_seq >= duplicateAt && info.num_ack_pending === 0 ? true : undefined;
      },
      { timeoutMs: 30_000 },
    );

    expect(await nodeEvents(nodeId, "NodeProvisionRequested")).toHaveLength(2);
    const journals = Object.keys(
      (await sys.store.jsm.streams.info(sys.s.names.sagasStream, { subjects_filter: sys.s.names.sagaJournalSubjects })).state.subjects ??
        {},
    );
    expect(journals.filter((j) => j.includes(nodeId))).toEqual([sys.s.names.sagaJournal(sagaId)]);
    const journal = (await sys.sagas.history(sagaId)).map((e) => e.entry);
    expect(journal.filter((e) => e.k === "SagaStarted")).toHaveLength(1);
    expect(journal.flatMap((e) => (e.k === "StepStarted" ? [e.step] : []))).toEqual(STEPS); // each step ran once
    expect(await nodeEvents(nodeId, "NodeHostAssigned")).toHaveLength(1);
    await waitForNodeState(nodeId, "running");
    expect((await hostsOf(nodeId)).map((h) => h.hostId)).toEqual([hostIdFor(nodeId)]);
    expect(hostProcesses(nodeId).supervisors).toHaveLength(1);
  }, 180_000);
});
