import { InjectKeysPayloadV1, KeyRequestV1, type InjectKeysReply, type KeyReply, type KeyRequest } from "../../schemas/agent/index.js";
import type { Logger } from "../observability/logger.js";
import { errorReply, parseAgentMessage } from "../gateway/heartbeat-protocol.js";
import type { CommandStore } from "./command-store.js";
import { sealTo } from "./seal.js";

/**
 * Where the gateway gets key material (the secrets side, R-KEY-2): a node's DEK for CAPTURE_KEY and a
 * node key's plaintext for INJECT_KEYS. Every returned buffer is a fresh copy the gateway zeroes after use.
 */
export interface KeySource {
  dekFor(nodeId: string): Promise<Uint8Array>;
  decryptNodeKey(nodeId: string, name: string): Promise<Uint8Array>;
}

/** The DEK half of a KeySource (what CAPTURE_KEY needs). */
export type DekProvider = Pick<KeySource, "dekFor">;

/** Errors of a KeySource that mean "no such key" rather than a failure worth retrying. */
const MISSING = new Set(["DekNotFoundError", "NodeKeyNotFoundError"]);

export interface KeyDeliveryDeps {
  commands: CommandStore;
  keys: KeySource | undefined;
  logger: Logger;
}

/**
 * `agent.<nodeId>.keys`: key material sealed to the request's one-time public key, and only while a
 * command of that node whose type matches the request's purpose is acknowledged and not ended, so
 * nothing is ever handed out idly. CAPTURE_KEY gets the node DEK; INJECT_KEYS gets each key its
 * payload names, from the vault of its `keyOwner`.
 */
export async function handleKeyRequest(deps: KeyDeliveryDeps, subjectNodeId: string, data: Uint8Array): Promise<KeyReply | InjectKeysReply> {
  const msg = parseAgentMessage(KeyRequestV1, data, subjectNodeId);
  if (!msg.ok) return msg.reply;
  const req = msg.value;
  const type = req.purpose === "capture_key" ? "CAPTURE_KEY" : "INJECT_KEYS";
  const record = await deps.commands.readRecord(req.commandId);
  if (!record || record.nodeId !== req.nodeId) return errorReply("unknown_command", `no command ${req.commandId} of this node`);
  if (record.type !== type || record.state !== "acknowledged") return errorReply("unknown_command", `command ${req.commandId} is not a running ${type}`);
  if (!deps.keys) return errorReply("internal", "this gateway has no key source");
  try {
    return req.purpose === "capture_key" ? await deliverDek(deps, req) : await deliverKeys(deps, req);
  } catch (err) {
    if (err instanceof Error && MISSING.has(err.name)) return errorReply("key_unavailable", err.message.slice(0, 500));
    throw err;
  }
}

async function deliverDek(deps: KeyDeliveryDeps, req: KeyRequest): Promise<KeyReply> {
  const dek = await deps.keys!.dekFor(req.nodeId);
  try {
    const sealed = sealTo(dek, Buffer.from(req.recipientPublicKey, "base64"));
    deps.logger.info({ nodeId: req.nodeId, commandId: req.commandId }, "node DEK delivered sealed for a key command");
    return { v: 1, ok: true, sealedDek: Buffer.from(sealed).toString("base64") };
  } finally {
    dek.fill(0);
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
  deps.logger.info({ nodeId: req.nodeId, commandId: req.commandId, keyOwner, keys: out.map((k) => k.keyName) }, "node keys delivered sealed for INJECT_KEYS");
  return { v: 1, ok: true, keys: out };
}
