import type { NatsConnection } from "@nats-io/transport-node";
import type { ChainProfileRegistry } from "../chain-profiles/index.js";
import { defaults } from "../config/index.js";
import { openSealedBox, SealedBoxError, withServerKeyPair, type X25519KeyPair } from "../crypto/index.js";
import { InvalidTransitionError, NotFoundError, subscriptionDecider } from "../domain/index.js";
import { commandHandler, type EventContext, type EventStore, type Names } from "../eventstore/index.js";
import { InputsValidationError, type InputProblem } from "./errors.js";
import { inputResolver, type ProvisionInputs } from "./resolver.js";
import { inputSchemaProvider } from "./schema-provider.js";
import { openSealedInputStore, sealedFingerprint, type SealedInputStore } from "./sealed-store.js";
import { createInputStore, inputsStatus, type InputsStatus } from "./store.js";
import { validateSubmission, type InputLimits, type SubmittedInput } from "./validator.js";

export { InputsValidationError, SealedSecretMissingError, type InputProblem } from "./errors.js";
export { inputSchemaProvider, madeByPlatform, type InputSchemaProvider, type ProfileInputs } from "./schema-provider.js";
export {
  validateSubmission,
  missingRequired,
  MIN_SEALED_BYTES,
  type SubmittedInput,
  type InputLimits,
  type CheckedSubmission,
} from "./validator.js";
export { openSealedInputStore, sealedFingerprint, type SealedInputStore } from "./sealed-store.js";
export { createInputStore, inputsStatus, type InputStore, type InputsStatus, type InputStatusItem } from "./store.js";
export { inputResolver, type ProvisionInputs, type ResolvedSecret } from "./resolver.js";
export type { InputSpec } from "../chain-profiles/index.js";

/** A POST of inputs: the caller (own subscriptions only, unless admin) and what they sent. */
export interface ProvideInputsRequest {
  subscriptionId: string;
  caller: { id: string; admin: boolean };
  inputs: readonly SubmittedInput[];
}

/** The provisioning inputs capability (SPEC R-IN-1..3) as the API and the provision saga use it. */
export interface Inputs {
  /**
   * Validates everything first (names, kinds, regexes, sizes, and that each sealed secret opens with
   * the server key), then stores sealed secrets as received and appends the events; on any problem
   * nothing is written. Allowed while the subscription is pending_payment or active and the inputs
   * are not applied yet.
   * @throws NotFoundError (404: none, or another user's) | InputsValidationError (400) | InvalidTransitionError (409)
   */
  provide(req: ProvideInputsRequest, ctx: EventContext, now: Date): Promise<InputsStatus>;
  /** Every declared input with its status, and whether the required ones are satisfied, from the event store. */
  status(subscriptionId: string): Promise<InputsStatus & { chainProfileId: string }>;
  /** R-IN-2 resolver for the provision saga: values, secrets (sealed when provided) and what is missing. */
  resolveProvisionInputs(subscriptionId: string, chainProfileId: string): Promise<ProvisionInputs>;
  /**
   * The sealed ciphertext of a provided user secret, as received (PrepareUserProvidedKeys opens it);
   * undefined when none was provided or it was deleted. Read via the event store, never the read model.
   */
  readSealedSecret(subscriptionId: string, name: string): Promise<Uint8Array | undefined>;
  /** R-PROV MarkInputsApplied: freezes the inputs (idempotent; the first application stands). */
  markInputsApplied(
    subscriptionId: string,
    nodeId: string,
    names: readonly string[],
    at: Date,
    ctx?: EventContext,
  ): Promise<{ position: number }>;
  /** Purges every sealed secret of the subscription (after apply, or at termination); idempotent. */
  deleteSealedSecrets(subscriptionId: string): Promise<void>;
}

export interface InputsDeps {
  store: EventStore;
  nc: NatsConnection;
  names: Names;
  profiles: ChainProfileRegistry;
  /**
   * A fresh copy of the server's X25519 key pair (R-KEY-1), loaded per submission that carries secrets:
   * its secret key is zeroed right after the check, so no process keeps it longer than a request.
   * Without it, sealed secrets are refused.
   */
  serverKeyPair?: () => Promise<X25519KeyPair>;
  limits?: Partial<InputLimits>;
}

/** Statuses of a subscription during which its inputs may change (R-SUB-2: not once it ended). */
const OPEN_STATUSES = new Set(["pending_payment", "active"]);

/** Builds the inputs capability; the sealed-inputs bucket is opened on first use. */
export function createInputs(deps: InputsDeps): Inputs {
  const schemas = inputSchemaProvider(deps.profiles);
  const store = createInputStore(deps.store);
  const subscriptions = commandHandler(deps.store, subscriptionDecider);
  const limits: InputLimits = {
    maxValueLength: defaults.inputs.maxValueLength,
    maxSealedBytes: defaults.inputs.maxSealedBytes,
    ...deps.limits,
  };
  let sealedStore: Promise<SealedInputStore> | undefined;
  const sealed = (): Promise<SealedInputStore> => {
    sealedStore ??= openSealedInputStore({ nc: deps.nc, names: deps.names }).catch((err: unknown) => {
      sealedStore = undefined;
      throw err;
    });
    return sealedStore;
  };
  const resolve = async (subscriptionId: string, chainProfileId: string) =>
    inputResolver({ schemas, store, sealed: await sealed() })(subscriptionId, chainProfileId);

  async function subscriptionOf(subscriptionId: string) {
    const { state } = await subscriptions.load(subscriptionId);
    if (!state) throw new NotFoundError("subscription", subscriptionId);
    return state;
  }

  /** Opens each sealed secret with the server key and zeroes what it opened at once: only "does it open" matters here. */
  async function unopenable(items: ReadonlyArray<{ name: string; bytes: Uint8Array }>): Promise<InputProblem[]> {
    if (items.length === 0) return [];
    if (!deps.serverKeyPair)
      return items.map(({ name }) => ({
        name,
        code: "invalid_sealed_secret",
        message: "this server takes no sealed secrets (no server key configured)",
      }));
    return withServerKeyPair(deps.serverKeyPair, (keyPair) =>
      items.flatMap(({ name, bytes }): InputProblem[] => {
        try {
          openSealedBox(bytes, keyPair).fill(0);
          return [];
        } catch (err) {
          if (!(err instanceof SealedBoxError)) throw err;
          return [
            {
              name,
              code: "invalid_sealed_secret",
              message:
                "does not open with the server key: tampered, truncated, sealed to another key, or not libsodium crypto_box_seal (ephPub(32) ‖ box)",
            },
          ];
        }
      }),
    );
  }

  return {
    async provide(req, ctx, now) {
      const sub = await subscriptionOf(req.subscriptionId);
      if (sub.userId !== req.caller.id && !req.caller.admin) throw new NotFoundError("subscription", req.subscriptionId);
      if (!OPEN_STATUSES.has(sub.status)) throw new InvalidTransitionError("inputs", `subscription ${sub.status}`, "provided");
      const { specs, patterns } = schemas.inputsOf(sub.chainProfileId);
      const { problems, checked } = validateSubmission(specs, patterns, req.inputs, limits);
      problems.push(...(await unopenable(checked.sealed)));
      if (problems.length > 0) throw new InputsValidationError(problems);

      const current = await store.load(req.subscriptionId);
      if (current.state.applied) throw new InvalidTransitionError("inputs", "applied", "provided");
      const secrets = checked.sealed.map(({ name, bytes }) => ({ name, bytes, fingerprint: sealedFingerprint(bytes), size: bytes.length }));
      const fresh = secrets.filter((s) => current.state.secrets.get(s.name)?.fingerprint !== s.fingerprint);
      if (fresh.length > 0) {
        const bucket = await sealed();
        for (const s of fresh) await bucket.put(req.subscriptionId, s.name, s.bytes);
      }
      const r = await store.handle(
        req.subscriptionId,
        {
          type: "ProvideInputs",
          subscriptionId: req.subscriptionId,
          values: checked.values,
          secrets: secrets.map(({ name, fingerprint, size }) => ({ name, fingerprint, size })),
          providedBy: req.caller.id,
          at: now.toISOString(),
        },
        ctx,
        now,
      );
      // The replaced versions are unreferenced now; a failure here only leaves bytes that delete() purges later.
      const replaced = fresh.flatMap((s) => {
        const old = current.state.secrets.get(s.name);
        return old && old.fingerprint !== s.fingerprint ? [{ name: s.name, fingerprint: old.fingerprint }] : [];
      });
      if (replaced.length > 0) {
        const bucket = await sealed();
        await Promise.all(replaced.map((o) => bucket.deleteVersion(req.subscriptionId, o.name, o.fingerprint).catch(() => undefined)));
      }
      return inputsStatus(specs, r.state, r.position);
    },

    async status(subscriptionId) {
      const sub = await subscriptionOf(subscriptionId);
      const { specs } = schemas.inputsOf(sub.chainProfileId);
      const { state, position } = await store.load(subscriptionId);
      return { ...inputsStatus(specs, state, position), chainProfileId: sub.chainProfileId };
    },

    resolveProvisionInputs: resolve,

    async readSealedSecret(subscriptionId, name) {
      const { state } = await store.load(subscriptionId);
      const s = state.secrets.get(name);
      return s ? (await sealed()).get(subscriptionId, name, s.fingerprint) : undefined;
    },

    async markInputsApplied(subscriptionId, nodeId, names, at, ctx) {
      const r = await store.handle(
        subscriptionId,
        { type: "MarkInputsApplied", subscriptionId, nodeId, names, at: at.toISOString() },
        ctx ?? { actor: "system:provision", correlationId: `provision:${nodeId}` },
        at,
      );
      return { position: r.position };
    },

    async deleteSealedSecrets(subscriptionId) {
      await (await sealed()).delete(subscriptionId);
    },
  };
}
