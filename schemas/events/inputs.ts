import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

/** The name of a provisioning input (as `InputName` of chain profiles). */
const InputName = z.string().regex(/^[A-Za-z][A-Za-z0-9_\-]{0,63}$/);

/**
 * R-IN-3: a text or proof value was provided for a subscription (aggregate id = subscription id).
 * Providing the same input again replaces it: the newest event wins.
 */
export const ProvisioningInputProvided = defineEvent({
  type: "ProvisioningInputProvided",
  category: "inputs",
  version: 1,
  schema: z.object({
    subscriptionId: Id,
    name: InputName,
    type: z.enum(["text", "proof"]),
    value: z.string().max(16 * 1024),
    providedAt: IsoTime,
    /** The user the value came from (the principal's id). */
    providedBy: z.string().min(1).max(200),
  }),
});

/**
 * R-IN-3, R-KEY-3: a sealed user secret was stored (in the sealed-input store, never here). Only its
 * fingerprint, the sha256 (hex) of the sealed ciphertext as received, and its size are recorded.
 */
export const ProvisioningSecretProvided = defineEvent({
  type: "ProvisioningSecretProvided",
  category: "inputs",
  version: 1,
  schema: z.object({
    subscriptionId: Id,
    name: InputName,
    fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().positive(),
    providedAt: IsoTime,
    providedBy: z.string().min(1).max(200),
  }),
});

/** R-PROV MarkInputsApplied: the provision saga delivered these inputs to the node; they are frozen from now on. */
export const ProvisioningInputsApplied = defineEvent({
  type: "ProvisioningInputsApplied",
  category: "inputs",
  version: 1,
  schema: z.object({ subscriptionId: Id, nodeId: Id, names: z.array(InputName).max(256), appliedAt: IsoTime }),
});

export const inputEvents = [ProvisioningInputProvided, ProvisioningSecretProvided, ProvisioningInputsApplied] as const;
