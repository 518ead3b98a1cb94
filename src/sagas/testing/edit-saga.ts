import { defineSaga, type SagaContext, type SagaDefinition, type StepHeartbeat, type StepOptions } from "../../saga/define.js";

/** A `ctx.step` call of the saga's code, as an edit sees it. */
export interface StepCall<T> {
  name: string;
  fn: (hb: StepHeartbeat) => Promise<T> | T;
  opts: StepOptions<T> | undefined;
}

/** What the edited code does where the original called `ctx.step`: `original()` makes the original call. */
export type StepEdit = <T>(ctx: SagaContext<unknown>, call: StepCall<T>, original: () => Promise<T>) => Promise<T>;

/**
 * A saga's current code with one change applied at its `ctx.step` calls, as an engineer's edit of the
 * saga file would make it, so the replay specs can show which recorded runs a change breaks without a
 * second copy of each saga. `version` defaults to the saga's own (an edit in place).
 */
export function editSaga<I, O>(saga: SagaDefinition<I, O>, edit: StepEdit, version = saga.version): SagaDefinition<I, O> {
  return defineSaga(saga.name, { input: saga.input, version }, (ctx, input) => {
    // The other ctx members (getters included) stay the runtime's own.
    const edited = Object.create(ctx) as SagaContext<I>;
    edited.step = <T>(name: string, fn: StepCall<T>["fn"], opts?: StepOptions<T>) =>
      edit(ctx as SagaContext<unknown>, { name, fn, opts }, () => ctx.step(name, fn, opts));
    return saga.run(edited, input);
  });
}

/** The step `from` is called `to` now. */
export const renameStep =
  (from: string, to: string): StepEdit =>
  (ctx, call, original) =>
    call.name === from ? ctx.step(to, call.fn, call.opts) : original();

/** A new step runs right before `before`; behind `ctx.patched(patchId)` when one is given. */
export const insertStepBefore =
  (before: string, name: string, patchId?: string): StepEdit =>
  async (ctx, call, original) => {
    if (call.name === before && (patchId === undefined || ctx.patched(patchId))) await ctx.step(name, () => ({ done: name }));
    return original();
  };

/** `moved` now runs right before `before` (which used to come first); its later call returns that result. */
export function moveStepBefore(moved: string, before: string, stepFn: (hb: StepHeartbeat) => unknown): StepEdit {
  let early: { value: unknown } | undefined;
  return async (ctx, call, original) => {
    if (call.name === before) early = { value: await ctx.step(moved, stepFn) };
    if (call.name === moved && early) return early.value as never;
    return original();
  };
}

/** The code after step `name` reads its result as `read` says (a result shape the code now expects). */
export const readResultAs =
  (name: string, read: (result: never) => unknown): StepEdit =>
  async (_ctx, call, original) =>
    call.name === name ? (read((await original()) as never) as never) : original();
