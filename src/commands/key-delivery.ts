import { InjectKeysPayloadV1, KeyRequestV1, type ErrorReply, type InjectKeysReply, type KeyRequest } from "../../schemas/agent/index.js";
import type { Logger } from "../observability/index.js";
import { errorReply, parseAgentMessage } from "./agent-messages.js";
import type { CommandStore } from "./command-store.js";
import { sealTo } from "./seal.js";

/**
 * Where the gateway gets key material (the secrets side, R-KEY-2): a node key's plaintext for
 * INJECT_KEYS, a fresh copy the gateway zeroes after use. Never a DEK: no DEK or KEK ever leaves the
 * control plane (R-NATS-4); CAPTURE_KEY seals to a one-time key of the control plane instead.
 */
export interface KeySource {
  decryptNodeKey(nodeId: string, name: string): Promise<Uint8Array>;
}

/** Errors of a KeySource that mean "no such key" rather than a failure worth retrying. */
const MISSING = new Set(["DekNotFoundError", "NodeKeyNotFoundError"]);

export interface KeyDeliveryDeps {
  commands: CommandStore;
  keys: KeySource | undefined;
  logger: Logger;
}

/**
 * `agent.<nodeId>.keys`: node keys sealed to the request's one-time public key, and only while an
 * INJECT_KEYS of that node is acknowledged and not ended, so nothing is ever handed out idly; each key
 * its payload names, from the vault of its `keyOwner`. A `capture_key` request (an agent of CAPTURE_KEY
 * version 1 asking for the node DEK) is refused: the DEK never leaves the control plane.
 */
export async function handleKeyRequest(
  deps: KeyDeliveryDeps,
  subjectNodeId: string,
  data: Uint8Array,
): Promise<InjectKeysReply | ErrorReply> {
  const msg = parseAgentMessage(KeyRequestV1, data, subjectNodeId);
  if (!msg.ok) return msg.reply;
  const req = msg.value;
  if (req.purpose === "capture_key") {
    deps.logger.warn({ nodeId: req.nodeId, commandId: req.commandId }, "an agent asked for the node DEK (CAPTURE_KEY v1); refused");
    return errorReply(
      "key_unavailable",
      "no DEK is ever sent to a host: CAPTURE_KEY seals the key to the control plane's one-time key (agent too old)",
    );
  }
  const record = await deps.commands.readRecord(req.commandId);
  if (!record || record.nodeId !== req.nodeId) return errorReply("unknown_command", `no command ${req.commandId} of this node`);
  if (record.type !== "INJECT_KEYS" || record.state !== "acknowledged")
    return errorReply("unknown_command", `command ${req.commandId} is not a running INJECT_KEYS`);
  if (!deps.keys) return errorReply("internal", "this gateway has no key source");
  try {
    return await deliverKeys(deps, req);
  } catch (err) {
    if (err instanceof Error && MISSING.has(err.name)) return errorReply("key_unavailable", err.message.slice(0, 500));
    throw err;
  }
}

async function deliverKeys(deps: KeyDeliveryDeps, req: KeyRequest): Promise<InjectKeysReply> {
  const raw = await deps.commands.readPayload(req.commandId);
  const payload = InjectKeysPayloadV1.safeParse(raw);
  if (!payload.success) return errorReply("unknown_command", `command ${req.commandId} has no readable INJECT_KEYS payload`);
  const { keyOwner, keys } = payload.data;
  const recipient = Buffer.from(req.recipientPublicKey, "base64");
  const out: { keyName: string; sealed: string }[] = [];
  for (const name of [...new Set(keys.map((k) => k.keyName))]) {
    const plain = await deps.keys!.decryptNodeKey(keyOwner, name);
    try {
      out.push({ keyName: name, sealed: Buffer.from(sealTo(plain, recipient)).toString("base64") });
    } finally {
      plain.fill(0);
    }
  }
  deps.logger.info(
    { nodeId: req.nodeId, commandId: req.commandId, keyOwner, keys: out.map((k) => k.keyName) },
    "node keys delivered sealed for INJECT_KEYS",
  );
  return { v: 1, ok: true, keys: out };
}
