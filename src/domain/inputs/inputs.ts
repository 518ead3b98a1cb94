import type {
  EventOf,
  ProvisioningInputProvided,
  ProvisioningInputsApplied,
  ProvisioningSecretProvided,
} from "../../../schemas/events/index.js";

/** The events of the provisioning inputs of one subscription (category `inputs`, aggregate id = subscription id). */
export type InputsEvent = (
  EventOf<typeof ProvisioningInputProvided> | EventOf<typeof ProvisioningSecretProvided> | EventOf<typeof ProvisioningInputsApplied>
) & { id?: string };

export const inputsCategory = "inputs";

/** A provided text or proof value. */
export interface ProvidedValue {
  type: "text" | "proof";
  value: string;
  providedAt: string;
  providedBy: string;
}

/** A provided sealed secret: what the events know of it (the ciphertext is in the sealed-input store). */
export interface ProvidedSecret {
  fingerprint: string;
  size: number;
  providedAt: string;
  providedBy: string;
}

/**
 * The inputs of one subscription as the command side knows them. Maps, not records: input names are
 * user-chosen text, and a name such as `constructor` must not meet an object's prototype.
 */
export interface InputsState {
  values: ReadonlyMap<string, ProvidedValue>;
  secrets: ReadonlyMap<string, ProvidedSecret>;
  /** Set once the provision saga delivered the inputs (R-PROV MarkInputsApplied); nothing changes after. */
  applied: { nodeId: string; names: readonly string[]; appliedAt: string } | null;
}

export const initialInputsState = (): InputsState => ({ values: new Map(), secrets: new Map(), applied: null });

/** Folds one event into the state; the newest value of a name replaces the older one. */
export function evolveInputs(state: InputsState, event: InputsEvent): InputsState {
  switch (event.type) {
    case "ProvisioningInputProvided": {
      const { name, type, value, providedAt, providedBy } = event.data;
      const secrets = new Map(state.secrets);
      secrets.delete(name);
      return { ...state, values: new Map(state.values).set(name, { type, value, providedAt, providedBy }), secrets };
    }
    case "ProvisioningSecretProvided": {
      const { name, fingerprint, size, providedAt, providedBy } = event.data;
      const values = new Map(state.values);
      values.delete(name);
      return { ...state, secrets: new Map(state.secrets).set(name, { fingerprint, size, providedAt, providedBy }), values };
    }
    case "ProvisioningInputsApplied":
      return state.applied
        ? state
        : { ...state, applied: { nodeId: event.data.nodeId, names: event.data.names, appliedAt: event.data.appliedAt } };
  }
}
