import { expect } from "vitest";
import type { DecidedEvent, Decider } from "../../src/domain/decider.js";

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Given/when/then for a pure decider: `given(events).when(command).then(events | ErrorClass)`.
 * Events compare by type and data; an expected event that carries an id checks the id too.
 */
export function deciderSpec<Command, State, Event extends DecidedEvent>(decider: Decider<Command, State, Event>) {
  return {
    given(history: Event[]) {
      const state = history.reduce((s, e) => decider.evolve(s, e), decider.initialState());
      return {
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[] | ErrorClass): Event[] {
              if (typeof expected === "function") {
                expect(run).toThrow(expected);
                return [];
              }
              const actual = run();
              const shape = (e: DecidedEvent, withId: boolean) =>
                withId ? { type: e.type, data: e.data, id: e.id } : { type: e.type, data: e.data };
              expect(actual.map((e, i) => shape(e, expected[i]?.id !== undefined))).toEqual(
                expected.map((e) => shape(e, e.id !== undefined)),
              );
              return actual;
            },
            /** The state after the decided events, for checks beyond the events themselves. */
            state(): State {
              return run().reduce((s, e) => decider.evolve(s, e), state);
            },
          };
        },
      };
    },
  };
}
