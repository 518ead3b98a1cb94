// The control plane's side of the agent protocol: decoding an agent's message (checked against the subject's node id) and refusing it.
// Shared by the heartbeat role (src/gateway) and key delivery (here), so it sits below both.
import type { z } from "zod";
import type { ErrorCode, ErrorReply } from "../../schemas/agent/index.js";

/** The reply to a refused agent message. */
export function errorReply(code: ErrorCode, message: string): ErrorReply {
  return { v: 1, ok: false, error: { code, message } };
}

/**
 * Decodes and validates one agent message and checks that the node id in the body is the one in the
 * subject (the subject is what the agent's credentials allow; the body could claim any node).
 */
export function parseAgentMessage<S extends z.ZodType<{ nodeId: string }>>(
  schema: S,
  data: Uint8Array,
  subjectNodeId: string,
): { ok: true; value: z.infer<S> } | { ok: false; reply: ErrorReply } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return { ok: false, reply: errorReply("invalid_message", "body is not JSON") };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return { ok: false, reply: errorReply("invalid_message", detail) };
  }
  if (parsed.data.nodeId !== subjectNodeId)
    return { ok: false, reply: errorReply("node_mismatch", `body names node ${parsed.data.nodeId}, subject node ${subjectNodeId}`) };
  return { ok: true, value: parsed.data };
}
