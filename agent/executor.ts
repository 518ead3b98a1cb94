import { CommandV1, commandResultSchemas, type Command, type CommandEvent } from "../schemas/agent/index.js";
import { errorCode, errorMessage, InvalidCommandError } from "./errors.js";
import type { Logger } from "./log.js";
import type { Outbox } from "./outbox.js";
import type { ProgressFn } from "./recipe.js";
import { StallDetector } from "./stall.js";

/** Runs one command; resolves with its result (checked against the result schema of its type). */
export type CommandHandler = (command: Command, progress: ProgressFn) => Promise<Record<string, unknown>>;

export interface ExecutorOptions {
  nodeId: string;
  instanceId: string;
  outbox: Outbox;
  handlers: { [T in Command["type"]]: CommandHandler };
  stallChecks: number;
  log: Logger;
  /** Called after each event is queued so the link can flush. */
  onQueued: () => void;
  now?: () => Date;
}

const REMEMBERED = 1_000;
/** Commands that change the node or its data dir: one at a time, in arrival order. */
const EXCLUSIVE = new Set<Command["type"]>(["CONFIGURE", "START", "STOP", "INJECT_KEYS", "SNAPSHOT_CREATE", "SNAPSHOT_RESTORE"]);

/**
 * Runs commands asynchronously (R-CMD-2: heartbeats go on meanwhile) and turns their life into
 * command events in the outbox: acknowledged, progress, then exactly one of completed/failed. A
 * command delivered twice runs once. Commands that change the node or its data (EXCLUSIVE) run one
 * at a time; STATUS and CAPTURE_KEY do not wait for them.
 */
export class CommandExecutor {
  private readonly running = new Map<string, Command>();
  private readonly seen = new Set<string>();
  private readonly seqs = new Map<string, number>();
  private readonly stall: StallDetector;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly now: () => Date;

  constructor(private readonly o: ExecutorOptions) {
    this.stall = new StallDetector(o.stallChecks);
    this.now = o.now ?? (() => new Date());
  }

  /** Ids acknowledged and not yet ended (the heartbeat's `running_command_ids`). */
  runningIds(): string[] {
    return [...this.running.keys()];
  }

  /** Running commands without progress for the threshold of checks (the heartbeat's `stalled`). */
  stalledIds(): string[] {
    return this.stall.stalledIds();
  }

  /** The number of checks without progress after which a command counts as stalled. */
  setStallChecks(n: number): void {
    this.stall.setThreshold(n);
  }

  /** One stall check (R-CMD-3 (3)); the caller runs it every `stallCheckMs`. */
  checkStalls(): void {
    for (const t of this.stall.check()) {
      if (t.stalled) this.o.log.warn({ commandId: t.commandId, checks: t.checksWithoutProgress }, "command stalled: no progress");
      else this.o.log.info({ commandId: t.commandId }, "stalled command made progress again");
    }
  }

  /** Takes the commands of a heartbeat reply: each is validated on its own, so one bad command cannot hide the others. */
  async accept(raw: readonly unknown[]): Promise<void> {
    for (const item of raw) {
      const parsed = CommandV1.safeParse(item);
      if (!parsed.success) {
        const id = typeof item === "object" && item !== null && "id" in item && typeof item.id === "string" ? item.id : undefined;
        this.o.log.warn(
          { commandId: id, issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) },
          "invalid command refused",
        );
        if (id && /^[A-Za-z0-9_\-:]{1,128}$/.test(id) && !this.seen.has(id)) {
          this.remember(id);
          await this.emit(id, { kind: "command_acknowledged" });
          await this.emit(id, {
            kind: "command_failed",
            error: {
              code: "INVALID_COMMAND",
              message: `invalid command: ${parsed.error.issues
                .map((i) => `${i.path.join(".")}: ${i.message}`)
                .join("; ")
                .slice(0, 1900)}`,
            },
          });
        }
        continue;
      }
      const cmd = parsed.data;
      if (cmd.nodeId !== this.o.nodeId || this.seen.has(cmd.id)) {
        if (cmd.nodeId !== this.o.nodeId) this.o.log.warn({ commandId: cmd.id }, "command for another node ignored");
        continue;
      }
      this.remember(cmd.id);
      this.running.set(cmd.id, cmd);
      await this.emit(cmd.id, { kind: "command_acknowledged" });
      void this.run(cmd);
    }
  }

  /** Resolves when no command is running (for a clean exit and tests). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private async run(cmd: Command): Promise<void> {
    const exclusive = EXCLUSIVE.has(cmd.type);
    const work = async () => {
      this.stall.track(cmd.id);
      this.o.log.info({ commandId: cmd.id, type: cmd.type }, "command started");
      let last = "";
      const progress: ProgressFn = (percent, message) => {
        const key = `${Math.floor(percent)}|${message}`;
        if (key === last) return;
        last = key;
        this.stall.progress(cmd.id);
        void this.emit(cmd.id, { kind: "command_progress", percent: Math.max(0, Math.min(100, percent)), message: message.slice(0, 1000) });
      };
      try {
        const result = await this.o.handlers[cmd.type](cmd, progress);
        const checked = commandResultSchemas[cmd.type].safeParse(result);
        if (!checked.success)
          throw new InvalidCommandError(
            `result of ${cmd.type} does not fit its schema: ${checked.error.issues.map((i) => i.path.join(".")).join(", ")}`,
          );
        await this.emit(cmd.id, { kind: "command_completed", result: checked.data as Record<string, unknown> });
        this.o.log.info({ commandId: cmd.id, type: cmd.type }, "command completed");
      } catch (err) {
        this.o.log.warn({ commandId: cmd.id, type: cmd.type, code: errorCode(err), err: errorMessage(err) }, "command failed");
        await this.emit(cmd.id, {
          kind: "command_failed",
          error: { code: errorCode(err).slice(0, 64), message: errorMessage(err).slice(0, 2000) },
        });
      } finally {
        this.running.delete(cmd.id);
        this.stall.untrack(cmd.id);
        this.seqs.delete(cmd.id);
      }
    };
    if (exclusive) {
      const p = this.serial.then(work, work);
      this.serial = p;
      await p;
    } else {
      await work();
    }
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > REMEMBERED) this.seen.delete(this.seen.values().next().value as string);
  }

  private emitChain: Promise<void> = Promise.resolve();

  /** Queues an event with the command's next seq; events are written in the order they were emitted. */
  private emit(
    commandId: string,
    body: DistributiveOmit<CommandEvent, "v" | "nodeId" | "instanceId" | "commandId" | "seq" | "at">,
  ): Promise<void> {
    const seq = (this.seqs.get(commandId) ?? 0) + 1;
    this.seqs.set(commandId, seq);
    const event = {
      v: 1,
      nodeId: this.o.nodeId,
      instanceId: this.o.instanceId,
      commandId,
      seq,
      at: this.now().toISOString(),
      ...body,
    } as CommandEvent;
    this.emitChain = this.emitChain
      .then(() => this.o.outbox.append(event))
      .then(
        () => this.o.onQueued(),
        (err: unknown) => this.o.log.error({ commandId, err: errorMessage(err) }, "cannot write the outbox"),
      );
    return this.emitChain;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
