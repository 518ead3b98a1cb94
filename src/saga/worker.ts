import { randomUUID } from "node:crypto";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { Names } from "../eventstore/index.js";
import type { Logger, SagaStepMetrics } from "../observability/index.js";
import { defaults } from "../config/index.js";
import { TERMINAL_STATUS } from "../../schemas/saga/journal.js";
import { createSagaRegistry, type AnySaga, type SagaRegistry } from "./define.js";
import { SagaError, UnknownSagaError, isShutdownError } from "./errors.js";
import { SagaExecution, type AdvanceOutcome, type ExecutionHost } from "./execution.js";
import { notifyParent } from "./finish.js";
import { runStart } from "./records.js";
import { SagaStore } from "./store.js";

/** Options of a saga worker. */
export interface SagaWorkerOptions {
  nc: NatsConnection;
  names: Names;
  sagas: readonly AnySaga[] | SagaRegistry;
  logger: Logger;
  /** Tasks advanced at once (defaults.saga.concurrency). */
  concurrency?: number;
  /** Ack wait of the work consumer: how long a dead worker's saga waits before another takes it. */
  ackWaitMs?: number;
  /** Graceful drain time of `stop()` (defaults.saga.drainMs). */
  drainMs?: number;
  /** Interruptions one step may have before it fails (defaults.saga.maxInterruptions). */
  maxInterruptions?: number;
  /** Fault injection for restart tests: every step attempt waits this long first (0, the default, in production). */
  faultStepDelayMs?: number;
  /** Step attempts by saga type, step and outcome (the process's metrics). */
  metrics?: SagaStepMetrics;
  workerId?: string;
}

/** A running saga worker. */
export interface SagaWorker {
  readonly workerId: string;
  start(): Promise<void>;
  /**
   * Graceful drain: stops taking tasks at once, lets running steps finish for up to `drainMs`, then
   * interrupts the rest (journaled `StepInterrupted`, no retry used up) and hands their tasks back with
   * no delay, so another worker or the next start resumes them at once.
   */
  stop(opts?: { drainMs?: number }): Promise<void>;
  /** True once consuming. */
  isReady(): boolean;
  /** Advances one saga right now, outside the work queue (tests, tools): the journal fence still applies. */
  advance(sagaId: string): Promise<AdvanceOutcome | { kind: "absent" }>;
}

/**
 * The worker: takes "advance saga X" tasks from the work queue (the task is the saga's lease, kept
 * alive with in-progress acks), keeps suspended sagas in memory (sticky), and turns inbox messages
 * into tasks (the waker).
 */
export function createSagaWorker(opts: SagaWorkerOptions): SagaWorker {
  const workerId = opts.workerId ?? `w-${randomUUID().slice(0, 8)}`;
  const registry = "latest" in opts.sagas ? opts.sagas : createSagaRegistry(opts.sagas);
  const log = opts.logger.child({ component: "saga-worker", workerId });
  const ackWaitMs = opts.ackWaitMs ?? defaults.saga.ackWaitMs;
  const keepAliveMs = Math.max(100, Math.min(defaults.saga.leaseKeepAliveMs, Math.floor(ackWaitMs / 3)));
  const concurrency = opts.concurrency ?? defaults.saga.concurrency;
  const drainMs = opts.drainMs ?? defaults.saga.drainMs;
  const maxInterruptions = opts.maxInterruptions ?? defaults.saga.maxInterruptions;
  const sticky = new Map<string, SagaExecution>();
  /** The executions of the tasks in hand, for the drain to interrupt. */
  const running = new Map<string, SagaExecution>();
  const inflight = new Set<Promise<void>>();
  let store: SagaStore | undefined;
  let work: ConsumerMessages | undefined;
  let waker: ConsumerMessages | undefined;
  let ready = false;
  let draining = false;
  let closed = false;
  let stopping: Promise<void> | undefined;
  let free = concurrency;
  const slotWaiters: Array<() => void> = [];

  /** The in-progress ack of the task each saga currently holds (its lease); sticky executions outlive tasks. */
  const leases = new Map<string, () => void>();
  const hostFor = (sagaId: string): ExecutionHost => ({
    workerId,
    store: store!,
    registry,
    logger: opts.logger,
    heartbeat: () => leases.get(sagaId)?.(),
    isClosed: () => closed,
    isDraining: () => draining,
    maxInterruptions,
    ...(opts.faultStepDelayMs ? { faultStepDelayMs: opts.faultStepDelayMs } : {}),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });

  async function executionFor(sagaId: string): Promise<SagaExecution | undefined> {
    const s = store!;
    const cached = sticky.get(sagaId);
    if (cached) {
      sticky.delete(sagaId);
      if (!cached.stopped && (await s.lastSeq(opts.names.sagaJournal(sagaId))) === cached.state.lastSeq) return cached;
    }
    const journal = await s.load(sagaId);
    if (!journal.length) return undefined;
    const last = journal.at(-1)!.entry;
    const start = runStart(journal);
    const first = journal[start]!.entry;
    if (last.k in TERMINAL_STATUS) {
      // A crash between the end and the parent's notification: notify again (idempotent).
      const parent = first.k === "SagaStarted" || first.k === "ContinuedAsNew" ? first.parent : undefined;
      if (parent)
        await notifyParent(
          { host: hostFor(sagaId), parent, sagaId },
          TERMINAL_STATUS[last.k as keyof typeof TERMINAL_STATUS],
          last as never,
        );
      return undefined;
    }
    if (start > 0) await s.purgeBefore(sagaId, journal[start]!.seq); // finish a continue-as-new cut short
    if (first.k !== "SagaStarted" && first.k !== "ContinuedAsNew")
      throw new UnknownSagaError(`journal of ${sagaId} does not begin with a start`);
    const def = registry.get(first.sagaType, first.sagaVersion);
    if (!def) throw new UnknownSagaError(`saga ${first.sagaType} v${first.sagaVersion} is not registered in worker ${workerId}`);
    return new SagaExecution(def, sagaId, journal.slice(start), hostFor(sagaId));
  }

  async function advance(sagaId: string, onInbox?: (exec: SagaExecution) => void): Promise<AdvanceOutcome | { kind: "absent" }> {
    const exec = await executionFor(sagaId);
    if (!exec) return { kind: "absent" };
    onInbox?.(exec);
    const out = await exec.advance();
    if (out.kind === "suspended") {
      sticky.set(sagaId, exec);
      while (sticky.size > defaults.saga.stickyCacheSize) sticky.delete(sticky.keys().next().value!);
    }
    return out;
  }

  async function handle(m: JsMsg): Promise<void> {
    const sagaId = opts.names.parseSagaSubject(m.subject)?.sagaId;
    if (!sagaId) {
      m.term();
      return;
    }
    let lastBeat = 0;
    const beat = () => {
      const now = Date.now();
      if (now - lastBeat > 250) {
        lastBeat = now;
        m.working();
      }
    };
    leases.set(sagaId, beat);
    const keepAlive = setInterval(() => m.working(), keepAliveMs);
    let current: SagaExecution | undefined;
    const sub: Subscription = opts.nc.subscribe(opts.names.sagaInbox(sagaId), { callback: () => current?.poke() });
    const slog = log.child({ sagaId });
    try {
      const out = await advance(sagaId, (e) => {
        current = e;
        running.set(sagaId, e);
        if (draining) e.interrupt(`worker ${workerId} is stopping`);
      });
      switch (out.kind) {
        case "suspended": {
          await m.ackAck();
          // A message that reached the inbox after our last read found our task pending and could not queue another.
          const exec = sticky.get(sagaId);
          if (exec && (await store!.lastSeq(opts.names.sagaInbox(sagaId))) > exec.inboxHighWater) await store!.requestAdvance(sagaId);
          break;
        }
        case "terminal":
        case "absent":
        case "end-of-journal":
          await m.ackAck();
          break;
        case "lost":
          slog.info({ err: out.error.message }, "saga journal advanced by another worker; backing off");
          m.nak(defaults.saga.lostRaceRetryMs);
          break;
        case "diverged":
          slog.error(
            { err: out.error.message, call: out.error.call, step: out.error.step },
            "saga code diverged from its journal; retrying later",
          );
          m.nak(defaults.saga.divergenceRetryMs);
          break;
        case "interrupted":
          // Not a failure: the drain cut a step short. Back to the queue at once (no delay) for the next worker.
          slog.info({ reason: out.reason }, "saga interrupted by the drain; task handed back");
          sticky.delete(sagaId);
          m.nak();
          break;
        case "broken":
          if (draining && isShutdownError(out.error)) {
            slog.info({ err: out.error.message }, "saga stopped by the drain; task handed back");
            sticky.delete(sagaId);
            m.nak();
            break;
          }
          slog.error({ err: out.error.message }, "saga advance failed; retrying later");
          m.nak(defaults.saga.lostRaceRetryMs * 4);
          break;
      }
    } catch (err) {
      slog.error({ err: (err as Error).message }, "saga task failed; retrying later");
      sticky.delete(sagaId);
      m.nak(err instanceof UnknownSagaError ? defaults.saga.divergenceRetryMs : defaults.saga.lostRaceRetryMs * 4);
    } finally {
      if (running.get(sagaId) === current) running.delete(sagaId);
      clearInterval(keepAlive);
      if (leases.get(sagaId) === beat) leases.delete(sagaId);
      sub.unsubscribe();
    }
  }

  async function workLoop(): Promise<void> {
    while (!draining) {
      try {
        const consumer = await store!.js.consumers.get(opts.names.sagaWorkStream, opts.names.sagaWorkersConsumer);
        work = await consumer.consume({ max_messages: concurrency });
        ready = true;
        for await (const m of work) {
          if (free === 0 && !draining) await new Promise<void>((r) => slotWaiters.push(r));
          // Buffered before the drain began (close() lets the iterator yield them): the next worker gets them at once.
          if (draining) {
            m.nak();
            continue;
          }
          free--;
          const p = handle(m).finally(() => {
            free++;
            inflight.delete(p);
            slotWaiters.shift()?.();
          });
          inflight.add(p);
        }
      } catch (err) {
        if (!draining) log.warn({ err: (err as Error).message }, "saga work consumer interrupted; resubscribing");
      }
      if (!draining) await new Promise((r) => setTimeout(r, 500));
    }
  }

  async function wakerLoop(): Promise<void> {
    while (!draining) {
      try {
        const consumer = await store!.js.consumers.get(opts.names.sagasStream, opts.names.sagaWakerConsumer);
        waker = await consumer.consume({ max_messages: 256 });
        for await (const m of waker) {
          const sagaId = opts.names.parseSagaSubject(m.subject)?.sagaId;
          try {
            if (sagaId) await store!.requestAdvance(sagaId);
            m.ack();
          } catch (err) {
            log.warn({ sagaId, err: (err as Error).message }, "could not queue a saga task; retrying");
            m.nak(defaults.saga.lostRaceRetryMs);
          }
        }
      } catch (err) {
        if (!draining) log.warn({ err: (err as Error).message }, "saga waker interrupted; resubscribing");
      }
      if (!draining) await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** Resolves true when every task in hand ended within `ms`. */
  const settledWithin = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), ms);
    });
    const all = Promise.all([...inflight]).then(() => true as const);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  async function drain(o: { drainMs?: number }): Promise<void> {
    draining = true;
    ready = false;
    log.info({ running: [...running.keys()], drainMs: o.drainMs ?? drainMs }, "saga worker draining");
    // close() resolves once the consumers' iterators have yielded what they had buffered, which the loops
    // hand back; a loop parked on a full slot is woken to do so, so the close never waits for a step.
    const closing = Promise.all([work?.close(), waker?.close()]).catch(() => undefined);
    slotWaiters.splice(0).forEach((r) => r());
    const limit = o.drainMs ?? drainMs;
    if (!(await settledWithin(limit))) {
      log.warn(
        { sagas: [...running.keys()], drainMs: limit },
        "drain time over: interrupting the running steps; their sagas go back to the queue",
      );
      for (const exec of running.values()) exec.interrupt(`worker ${workerId} stopped (drain time of ${limit} ms over)`);
      await settledWithin(defaults.saga.interruptSettleMs);
    }
    closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([closing, loops]),
      new Promise((r) => {
        timer = setTimeout(r, 1_000);
      }),
    ]);
    clearTimeout(timer);
    sticky.clear();
    log.info({ workerId }, "saga worker drained");
  }

  let loops: Promise<unknown> | undefined;
  return {
    workerId,
    isReady: () => ready && !closed,
    async start() {
      store = await SagaStore.open(opts.nc, opts.names);
      await store.ensure({ ackWaitMs });
      loops = Promise.all([workLoop(), wakerLoop()]);
      const deadline = Date.now() + 30_000;
      while (!ready) {
        if (Date.now() > deadline) {
          draining = true;
          closed = true;
          throw new SagaError(`saga worker ${workerId} could not consume ${opts.names.sagaWorkStream}`);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      log.info({ concurrency, ackWaitMs }, "saga worker started");
    },
    stop(o = {}) {
      stopping ??= drain(o);
      return stopping;
    },
    async advance(sagaId) {
      if (!store) {
        store = await SagaStore.open(opts.nc, opts.names);
        await store.ensure({ ackWaitMs });
      }
      return advance(sagaId);
    },
  };
}
