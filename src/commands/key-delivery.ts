import { KeyRequestV1, type KeyReply } from "../../schemas/agent/index.js";
import type { Logger } from "../observability/logger.js";
import { errorReply, parseAgentMessage } from "../gateway/heartbeat-protocol.js";
import type { CommandStore } from "./command-store.js";
import { sealTo } from "./seal.js";

/** Where the gateway gets a node's DEK (the secrets side, R-KEY-2); the returned buffer is zeroed after use. */
export interface DekProvider {
  dekFor(nodeId: string): Promise<Uint8Array>;
}

/**
 * `agent.<nodeId>.keys`: the node DEK, sealed to the request's one-time public key, and only while a
 * CAPTURE_KEY command of that node is acknowledged and not ended, so a DEK is never handed out idly.
 */
export async function handleKeyRequest(deps: { commands: CommandStore; dek: DekProvider | undefined; logger: Logger }, subjectNodeId: string, data: Uint8Array): Promise<KeyReply> {
  const msg = parseAgentMessage(KeyRequestV1, data, subjectNodeId);
  if (!msg.ok) return msg.reply;
  const req = msg.value;
  const record = await deps.commands.readRecord(req.commandId);
  if (!record || record.nodeId !== req.nodeId) return errorReply("unknown_command", `no command ${req.commandId} of this node`);
  if (record.type !== "CAPTURE_KEY" || record.state !== "acknowledged") return errorReply("unknown_command", `command ${req.commandId} is not a running CAPTURE_KEY`);
  if (!deps.dek) return errorReply("internal", "this gateway has no key provider");
  const dek = await deps.dek.dekFor(req.nodeId);
  try {
    const sealed = sealTo(dek, Buffer.from(req.recipientPublicKey, "base64"));
    deps.logger.info({ nodeId: req.nodeId, commandId: req.commandId }, "node DEK delivered sealed for a key command");
    return { v: 1, ok: true, sealedDek: Buffer.from(sealed).toString("base64") };
  } finally {
    dek.fill(0);
  }
}
