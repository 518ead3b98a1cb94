import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Command, CommandEvent } from "../schemas/agent/index.js";
import { CommandExecutor, type CommandHandler } from "./executor.js";
import { Outbox } from "./outbox.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const cmd = (id: string, type: Command["type"], payload: Record<string, unknown> = {}): Command =>
  ({ v: 1, id, nodeId: "n1", issuedAt: "2026-01-01T00:00:00.000Z", type, payload }) as Command;

/** An executor over a real outbox in a temp dir; handlers given per test. */
async function rig(handlers: Partial<Record<Command["type"], CommandHandler>>) {
  const dir = mkdtempSync(join(tmpdir(), "np-exec-"));
  dirs.push(dir);
  const outbox = await Outbox.open(dir);
  const none: CommandHandler = async () => {
    throw new Error("unexpected");
  };
  const ex = new CommandExecutor({
    nodeId: "n1",
    instanceId: "i1",
    outbox,
    stallChecks: 2,
    log: pino({ level: "silent" }),
    onQueued: () => {},
    handlers: {
      CONFIGURE: none,
      START: none,
      STOP: none,
      STATUS: none,
      CAPTURE_KEY: none,
      INJECT_KEYS: none,
      SNAPSHOT_CREATE: none,
      SNAPSHOT_RESTORE: none,
      ...handlers,
    },
  });
  const events = async (): Promise<CommandEvent[]> => (await outbox.pending()).map((p) => p.event);
  return { ex, events };
}

const summary = (evs: CommandEvent[], id: string) => evs.filter((e) => e.commandId === id).map((e) => `${e.seq}:${e.kind}`);

describe("CommandExecutor", () => {
  it("acknowledges, reports progress and ends once, with contiguous seqs; the id is running meanwhile", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { ex, events } = await rig({
      STOP: async (_c, progress) => {
        progress(10, "stopping");
        progress(10, "stopping");
        await gate;
        progress(100, "stopped");
        return { wasRunning: true };
      },
    });
    await ex.accept([cmd("c1", "STOP")]);
    expect(ex.runningIds()).toEqual(["c1"]);
    release();
    await ex.idle();
    await new Promise((r) => setImmediate(r));
    expect(summary(await events(), "c1")).toEqual([
      "1:command_acknowledged",
      "2:command_progress",
      "3:command_progress",
      "4:command_completed",
    ]);
    expect(ex.runningIds()).toEqual([]);
  });

  it("runs a command delivered twice once", async () => {
    let runs = 0;
    const { ex, events } = await rig({
      STOP: async () => {
        runs++;
        return { wasRunning: false };
      },
    });
    await ex.accept([cmd("c1", "STOP"), cmd("c1", "STOP")]);
    await ex.accept([cmd("c1", "STOP")]);
    await ex.idle();
    expect(runs).toBe(1);
    expect(summary(await events(), "c1")).toEqual(["1:command_acknowledged", "2:command_completed"]);
  });

  it("fails an invalid command by its id and still runs the valid ones of the same reply", async () => {
    const { ex, events } = await rig({ STOP: async () => ({ wasRunning: false }) });
    await ex.accept([
      { ...cmd("bad", "CAPTURE_KEY"), payload: { keyName: "k", keyPath: "../x", keyType: "t" } },
      cmd("good", "STOP"),
      { nonsense: true },
    ]);
    await ex.idle();
    const evs = await events();
    expect(summary(evs, "bad")).toEqual(["1:command_acknowledged", "2:command_failed"]);
    const failed = evs.find((e) => e.commandId === "bad" && e.kind === "command_failed");
    expect(failed && failed.kind === "command_failed" && failed.error.code).toBe("INVALID_COMMAND");
    expect(summary(evs, "good")).toEqual(["1:command_acknowledged", "2:command_completed"]);
  });

  it("a result that does not fit its type's schema becomes command_failed", async () => {
    const { ex, events } = await rig({ STOP: async () => ({ wasRunning: "yes" }) });
    await ex.accept([cmd("c1", "STOP")]);
    await ex.idle();
    const end = (await events()).at(-1)!;
    expect(end.kind).toBe("command_failed");
  });

  it("runs node-changing commands one at a time, in delivery order", async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = new Promise<void>((r) => (releaseFirst = r));
    const { ex } = await rig({
      STOP: async () => {
        order.push("stop:start");
        await first;
        order.push("stop:end");
        return { wasRunning: true };
      },
      START: async () => {
        order.push("start");
        return { health: { status: "healthy" } };
      },
    });
    await ex.accept([cmd("s1", "STOP"), cmd("s2", "START")]);
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(["stop:start"]);
    releaseFirst();
    await ex.idle();
    expect(order).toEqual(["stop:start", "stop:end", "start"]);
  });

  it("a running command without progress is listed as stalled after the threshold of checks", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { ex } = await rig({
      CONFIGURE: async () => {
        await gate;
        return { files: [], artifacts: [] };
      },
    });
    await ex.accept([
      cmd("c1", "CONFIGURE", {
        chainProfileId: "demo",
        nodeType: "full",
        recipe: { steps: [], service: { runtime: "process", command: ["x"], env: {} } },
      }),
    ]);
    await new Promise((r) => setImmediate(r));
    ex.checkStalls();
    expect(ex.stalledIds()).toEqual([]);
    ex.checkStalls();
    expect(ex.stalledIds()).toEqual(["c1"]);
    release();
    await ex.idle();
    expect(ex.stalledIds()).toEqual([]);
  });
});
