/** An event as a decider returns it: its type, its data, and an optional id that makes the append idempotent. */
export interface DecidedEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  id?: string;
}

/**
 * Emmett-style decider of one aggregate: pure functions, time and ids passed in through the command.
 * `decide` returns the events to append (possibly none) or throws a DomainError. The command handler
 * (src/eventstore/command-handler.ts) loads, decides and appends.
 */
export interface Decider<Command, State, Event extends DecidedEvent> {
  readonly category: string;
  initialState(): State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State): Event[];
}

/** The exhaustiveness check of a decider's switch: a command type left unhandled fails to compile. */
export function assertNever(value: never, what = "command"): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify(value)}`);
}
