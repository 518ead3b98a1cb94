import { assertNever, type Decider } from "../decider.js";
import { InvalidTransitionError, ValidationError } from "../errors.js";
import { evolveInputs, initialInputsState, inputsCategory, type InputsEvent, type InputsState } from "./inputs.js";

/** The commands of the inputs aggregate; `at` is the command's time (deciders never read a clock). */
export type InputsCommand =
  | {
      type: "ProvideInputs";
      subscriptionId: string;
      values: ReadonlyArray<{ name: string; type: "text" | "proof"; value: string }>;
      secrets: ReadonlyArray<{ name: string; fingerprint: string; size: number }>;
      providedBy: string;
      at: string;
    }
  | { type: "MarkInputsApplied"; subscriptionId: string; nodeId: string; names: readonly string[]; at: string };

/**
 * R-IN-3: providing an input again replaces it (a new event) unless it is identical (no event, so a
 * retried request is harmless); once the inputs are applied to the node they are frozen (409).
 * Applying is idempotent: the first application stands. Whether a name is declared by the chain
 * profile, and whether its value is valid, is the inputs service's job before it gets here.
 */
export function decideInputs(command: InputsCommand, state: InputsState): InputsEvent[] {
  switch (command.type) {
    case "ProvideInputs": {
      if (state.applied) throw new InvalidTransitionError("inputs", "applied", "provided");
      const names = [...command.values, ...command.secrets].map((i) => i.name);
      const twice = names.find((n, i) => names.indexOf(n) !== i);
      if (twice !== undefined)
        throw new ValidationError(`input ${twice} is given twice`, [{ name: twice, code: "duplicate", message: "given twice" }]);
      const { subscriptionId, providedBy, at } = command;
      const events: InputsEvent[] = [];
      for (const v of command.values) {
        const old = state.values.get(v.name);
        if (old && old.type === v.type && old.value === v.value) continue;
        events.push({
          type: "ProvisioningInputProvided",
          data: { subscriptionId, name: v.name, type: v.type, value: v.value, providedAt: at, providedBy },
        });
      }
      for (const s of command.secrets) {
        if (state.secrets.get(s.name)?.fingerprint === s.fingerprint) continue;
        events.push({
          type: "ProvisioningSecretProvided",
          data: { subscriptionId, name: s.name, fingerprint: s.fingerprint, size: s.size, providedAt: at, providedBy },
        });
      }
      return events;
    }
    case "MarkInputsApplied":
      if (state.applied) return [];
      return [
        {
          type: "ProvisioningInputsApplied",
          id: `inputs:${command.subscriptionId}:applied`,
          data: {
            subscriptionId: command.subscriptionId,
            nodeId: command.nodeId,
            names: [...new Set(command.names)],
            appliedAt: command.at,
          },
        },
      ];
    default:
      return assertNever(command);
  }
}

/** The inputs decider for `commandHandler`. */
export const inputsDecider: Decider<InputsCommand, InputsState, InputsEvent> = {
  category: inputsCategory,
  initialState: initialInputsState,
  evolve: evolveInputs,
  decide: decideInputs,
};
