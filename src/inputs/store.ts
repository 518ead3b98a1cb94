import type { InputSpec } from "../chain-profiles/index.js";
import { commandHandler, type EventContext, type EventStore } from "../eventstore/index.js";
import { inputsDecider, type InputsCommand, type InputsState } from "../domain/index.js";
import { madeByPlatform } from "./schema-provider.js";
import { missingRequired } from "./validator.js";

/** One declared input and where it stands (R-IN-3); `value` only for text/proof, `fingerprint` only for secrets. */
export interface InputStatusItem {
  name: string;
  type: InputSpec["type"];
  required: boolean;
  source?: NonNullable<InputSpec["source"]>;
  phase: InputSpec["phase"];
  status: "pending" | "provided" | "applied";
  value?: string;
  fingerprint?: string;
}

/** Every declared input of a subscription with its status, and whether provisioning may start. */
export interface InputsStatus {
  items: InputStatusItem[];
  /** All required pre_provision inputs are provided (or made by the platform). */
  satisfied: boolean;
  /** The required pre_provision inputs still missing, by name. */
  missing: string[];
  applied: boolean;
  /** The aggregate's last event position (X-Event-Position). */
  position: number;
}

/**
 * The status of each declared input from the command-side state (pure). A platform-made secret is
 * `pending` until the inputs are applied; a provided input is `applied` once named in the application.
 */
export function inputsStatus(specs: readonly InputSpec[], state: InputsState, position: number): InputsStatus {
  const applied = new Set(state.applied?.names ?? []);
  const items = specs.map((spec): InputStatusItem => {
    const value = spec.type !== "secret" ? state.values.get(spec.name) : undefined;
    const secret = spec.type === "secret" ? state.secrets.get(spec.name) : undefined;
    const provided = value !== undefined || secret !== undefined;
    const status =
      state.applied && applied.has(spec.name) && (provided || madeByPlatform(spec)) ? "applied" : provided ? "provided" : "pending";
    return {
      name: spec.name,
      type: spec.type,
      required: spec.required,
      phase: spec.phase,
      status,
      ...(spec.source ? { source: spec.source } : {}),
      ...(value ? { value: value.value } : {}),
      ...(secret ? { fingerprint: secret.fingerprint } : {}),
    };
  });
  const provided = new Set(
    specs.filter((s) => (s.type === "secret" ? state.secrets.has(s.name) : state.values.has(s.name))).map((s) => s.name),
  );
  const missing = missingRequired(specs, provided);
  return { items, satisfied: missing.length === 0, missing, applied: state.applied !== null, position };
}

/** The inputs aggregate over the event store (R-IN-2 store): text/proof values and secret fingerprints as events. */
export interface InputStore {
  /** The current state, read from the event store (never the read model: the saga must not wait on projection lag). */
  load(subscriptionId: string): Promise<{ state: InputsState; position: number }>;
  /** Decides and appends; a no-op command appends nothing. */
  handle(
    subscriptionId: string,
    command: InputsCommand,
    ctx: EventContext,
    now: Date,
  ): Promise<{ state: InputsState; position: number; appended: number }>;
}

/** Builds the input store over the event store. */
export function createInputStore(store: EventStore): InputStore {
  const handler = commandHandler(store, inputsDecider);
  return {
    async load(subscriptionId) {
      const { state, revision } = await handler.load(subscriptionId);
      return { state, position: revision.lastSequence };
    },
    async handle(subscriptionId, command, ctx, now) {
      const r = await handler.handle(subscriptionId, command, ctx, now);
      return { state: r.state, position: r.position, appended: r.events.length };
    },
  };
}
