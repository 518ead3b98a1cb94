import type { z } from "zod";
import type { SagaDefinition } from "./define.js";
import { toMs, type Duration } from "./duration.js";
import { ChildSagaFailedError, SagaCancelledError, SignalTimeoutError, UnknownSagaError } from "./errors.js";
import { startSagaIn } from "./start.js";
import type { CallRuntime } from "./call.js";
import type { CancelRequest } from "./run-state.js";

/** A call suspended until an inbox message (signal, fired timer, child outcome) resolves it. */
export interface Waiter {
  call: number;
  kind: "signal" | "timer" | "child";
  /** Signal name, timer id or child id. */
  key: string;
  timerId?: string;
  schema?: z.ZodType<unknown>;
  describe: string;
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** What durable waits and the inbox reader need of their execution, beyond every call's share. */
export interface WaitRuntime extends CallRuntime {
  /** The calls suspended until an inbox message resolves them, by call index. */
  readonly waiters: Map<number, Waiter>;
  /** Records a cancellation at the next call index (before it is journaled: no call gets past it meanwhile). */
  requestCancel(reason: string): CancelRequest;
  /** Tells the running steps the saga was cancelled (an `onCancel: "abandon"` step stops). */
  announceCancel(): void;
  /** The inbox was read up to this sequence (the worker compares it with the inbox's last sequence). */
  sawInbox(seq: number): void;
  /** An inbox message was journaled: redelivered, it is only deleted. */
  consumed(seq: number): void;
}

const cancelled = (x: WaitRuntime) => new SagaCancelledError(`saga ${x.sagaId} was cancelled: ${x.state.cancel?.reason ?? ""}`);

function wait<T>(x: WaitRuntime, w: Omit<Waiter, "resolve" | "reject">): Promise<T> {
  return new Promise<T>((resolve, reject) => x.waiters.set(w.call, { ...w, resolve: resolve as (v: unknown) => void, reject }));
}

/** `ctx.sleep`: a durable timer, a JetStream scheduled message landing in the inbox. */
export async function openSleep(x: WaitRuntime, d: Duration): Promise<void> {
  const { call, rec } = x.open("timer", "sleep");
  const fired = rec?.entries.find((e) => e.k === "TimerFired");
  if (fired) {
    x.tick(fired);
    return;
  }
  if (x.state.cancel) throw cancelled(x);
  if (!x.host) return new Promise<void>(() => {});
  const host = x.host;
  const scheduled = rec?.entries.find((e) => e.k === "TimerScheduled");
  const timerId = scheduled?.k === "TimerScheduled" ? scheduled.timerId : `r${x.state.run}c${call}`;
  const fireAt = scheduled?.k === "TimerScheduled" ? new Date(scheduled.fireAt) : new Date(Date.now() + toMs(d));
  await x.live(async () => {
    if (!scheduled) await x.append({ k: "TimerScheduled", call, timerId, fireAt: fireAt.toISOString() });
    await host.store.scheduleTimer(x.sagaId, timerId, fireAt);
  });
  return wait<void>(x, { call, kind: "timer", key: timerId, describe: `timer until ${fireAt.toISOString()}` });
}

/** `ctx.waitForSignal`: a signal already in the inbox is delivered at the next inbox read. */
export async function openSignalWait<T>(x: WaitRuntime, name: string, opts: { timeout?: Duration; schema?: z.ZodType<T> }): Promise<T> {
  const { call, rec } = x.open("signal", name);
  const got = rec?.entries.find((e) => e.k === "SignalReceived" || e.k === "SignalTimedOut");
  if (got?.k === "SignalReceived") {
    x.tick(got);
    return opts.schema ? opts.schema.parse(got.payload) : (got.payload as T);
  }
  if (got?.k === "SignalTimedOut") {
    x.tick(got);
    throw new SignalTimeoutError(name);
  }
  if (x.state.cancel) throw cancelled(x);
  if (!x.host) return new Promise<T>(() => {});
  const host = x.host;
  const started = rec?.entries.find((e) => e.k === "SignalWaitStarted");
  let timerId = started?.k === "SignalWaitStarted" ? started.timerId : undefined;
  let timeoutAt = started?.k === "SignalWaitStarted" && started.timeoutAt ? new Date(started.timeoutAt) : undefined;
  await x.live(async () => {
    if (!started) {
      if (opts.timeout !== undefined) {
        timerId = `r${x.state.run}c${call}`;
        timeoutAt = new Date(Date.now() + toMs(opts.timeout));
      }
      await x.append({
        k: "SignalWaitStarted",
        call,
        name,
        ...(timerId && timeoutAt ? { timerId, timeoutAt: timeoutAt.toISOString() } : {}),
      });
    }
    if (timerId && timeoutAt) await host.store.scheduleTimer(x.sagaId, timerId, timeoutAt);
  });
  return wait<T>(x, {
    call,
    kind: "signal",
    key: name,
    ...(timerId ? { timerId } : {}),
    ...(opts.schema ? { schema: opts.schema as z.ZodType<unknown> } : {}),
    describe: `signal ${name}${timeoutAt ? ` until ${timeoutAt.toISOString()}` : ""}`,
  });
}

/** Cancellation reaches the children the saga waits for (once: the message id is per child). */
async function cancelChild(x: WaitRuntime, childId: string): Promise<void> {
  await x.host!.store.postInbox(
    childId,
    { kind: "cancel", v: 1, reason: `parent ${x.sagaId} was cancelled: ${x.state.cancel?.reason ?? ""}` },
    `parent-cancel-${childId}`,
  );
}

/** `ctx.child`: starts the child (idempotent by id, re-issued on resume) and waits for its outcome message. */
export async function openChild<I, O>(x: WaitRuntime, saga: SagaDefinition<I, O>, childId: string, input: I): Promise<O> {
  const { call, rec } = x.open("child", childId);
  const done = rec?.entries.find((e) => e.k === "ChildCompleted");
  if (done?.k === "ChildCompleted") {
    x.tick(done);
    if (done.status === "completed") return done.result as O;
    throw new ChildSagaFailedError(childId, done.status, done.error);
  }
  if (x.state.cancel) {
    if (rec && x.host) await x.live(() => cancelChild(x, childId)); // again, in case a crash came before
    throw cancelled(x);
  }
  if (!x.host) return new Promise<O>(() => {});
  const host = x.host;
  const def = host.registry.get(saga.name, saga.version) ?? (saga as unknown as SagaDefinition<unknown, unknown>);
  if (!def) throw new UnknownSagaError(`child saga ${saga.name} is not registered`);
  await x.live(async () => {
    if (!rec) await x.append({ k: "ChildStarted", call, childId, sagaType: saga.name });
    await startSagaIn(host.store, def, childId, input, { worker: host.workerId, parent: { sagaId: x.sagaId, call } });
  });
  return wait<O>(x, { call, kind: "child", key: childId, describe: `child saga ${childId}` });
}

/**
 * Reads the inbox and resolves what it can: journal first (with the message's inbox sequence), then
 * resolve the call, then delete the message. Returns true when the saga can move on.
 */
export async function deliverInbox(x: WaitRuntime): Promise<boolean> {
  const host = x.host!;
  const items = await host.store.readInbox(x.sagaId, (seq, err) =>
    x.log?.warn({ inboxSeq: seq, err: String(err) }, "malformed saga inbox message dropped"),
  );
  let progressed = false;
  for (const { seq, msg } of items) {
    if (x.stopped) return false;
    x.sawInbox(seq);
    if (x.state.consumedInbox.has(seq)) {
      await host.store.deleteInbox(seq);
      continue;
    }
    if (msg.kind === "cancel") {
      if (!x.state.cancel) {
        const { atCall } = x.requestCancel(msg.reason);
        await x.append({ k: "CancelRequested", atCall, reason: msg.reason, inboxSeq: seq });
        for (const w of [...x.waiters.values()]) {
          x.waiters.delete(w.call);
          if (w.kind === "child") await cancelChild(x, w.key);
          w.reject(cancelled(x));
        }
        x.announceCancel();
        progressed = true;
      }
      x.consumed(seq);
      await host.store.deleteInbox(seq);
      continue;
    }
    const waiters = [...x.waiters.values()].sort((a, b) => a.call - b.call);
    if (msg.kind === "signal") {
      const w = waiters.find((w) => w.kind === "signal" && w.key === msg.name);
      if (!w) continue; // kept for a later wait
      const parsed = w.schema ? w.schema.safeParse(msg.payload) : { success: true as const };
      if (!parsed.success) {
        x.log?.warn({ signal: msg.name, inboxSeq: seq }, "signal payload does not match the wait's schema; dropped");
        await host.store.deleteInbox(seq);
        continue;
      }
      const e = await x.append({ k: "SignalReceived", call: w.call, name: msg.name, payload: msg.payload, inboxSeq: seq });
      x.waiters.delete(w.call);
      x.tick(e.entry);
      w.resolve(w.schema ? w.schema.parse(msg.payload) : msg.payload);
    } else if (msg.kind === "timer") {
      const w = waiters.find((w) => (w.kind === "timer" && w.key === msg.timerId) || (w.kind === "signal" && w.timerId === msg.timerId));
      if (w?.kind === "timer") {
        const e = await x.append({ k: "TimerFired", call: w.call, timerId: msg.timerId, inboxSeq: seq });
        x.waiters.delete(w.call);
        x.tick(e.entry);
        w.resolve(undefined);
      } else if (w) {
        const e = await x.append({ k: "SignalTimedOut", call: w.call, name: w.key, inboxSeq: seq });
        x.waiters.delete(w.call);
        x.tick(e.entry);
        w.reject(new SignalTimeoutError(w.key));
      } else {
        await host.store.deleteInbox(seq); // a timer nobody waits for any more (the signal came first)
        continue;
      }
    } else {
      const w = waiters.find((w) => w.kind === "child" && w.key === msg.childId);
      if (!w) {
        const known = [...x.state.records.values()].some(
          (r) => r.kind === "child" && r.name === msg.childId && r.entries.some((e) => e.k === "ChildCompleted"),
        );
        if (known || x.state.cancel) await host.store.deleteInbox(seq); // a duplicate, or the outcome of a child we cancelled
        continue;
      }
      const e = await x.append({
        k: "ChildCompleted",
        call: w.call,
        childId: msg.childId,
        status: msg.status,
        inboxSeq: seq,
        ...(msg.result !== undefined ? { result: msg.result } : {}),
        ...(msg.error ? { error: msg.error } : {}),
      });
      x.waiters.delete(w.call);
      x.tick(e.entry);
      if (msg.status === "completed") w.resolve(msg.result);
      else w.reject(new ChildSagaFailedError(msg.childId, msg.status, msg.error));
    }
    if (x.stopped) return false;
    x.consumed(seq);
    progressed = true;
    await host.store.deleteInbox(seq);
  }
  return progressed;
}
