import { describe, it, expect } from "vitest";
import { agentRegisteredEventId, decideRegistration } from "./registrations.js";
import { parseAgentMessage } from "../commands/agent-messages.js";
import { RegisterRequestV1, type RegisterRequest } from "../../schemas/agent/index.js";

const now = new Date("2026-01-01T00:00:00Z");
const req: RegisterRequest = {
  v: 1,
  nodeId: "n1",
  instanceId: "boot-1",
  agentVersion: "1.0.0",
  hostname: "h",
  capabilities: ["CONFIGURE"],
  runtime: "process",
  startedAt: now.toISOString(),
};

describe("decideRegistration", () => {
  it("records a boot once, with a deterministic event id", () => {
    const [event] = decideRegistration([], req, now);
    expect(event).toMatchObject({
      type: "AgentRegistered",
      id: agentRegisteredEventId("n1", "boot-1"),
      data: { instanceId: "boot-1", registeredAt: now.toISOString() },
    });
    expect(decideRegistration([{ type: "AgentRegistered", data: event!.data }], req, now)).toEqual([]);
    expect(decideRegistration([{ type: "AgentRegistered", data: event!.data }], { ...req, instanceId: "boot-2" }, now)).toHaveLength(1);
  });
});

describe("parseAgentMessage", () => {
  const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
  it("accepts a valid message on its own node's subject only", () => {
    expect(parseAgentMessage(RegisterRequestV1, bytes(req), "n1")).toMatchObject({ ok: true, value: { nodeId: "n1" } });
    expect(parseAgentMessage(RegisterRequestV1, bytes(req), "n2")).toMatchObject({
      ok: false,
      reply: { error: { code: "node_mismatch" } },
    });
    expect(parseAgentMessage(RegisterRequestV1, bytes("{"), "n1")).toMatchObject({
      ok: false,
      reply: { v: 1, ok: false, error: { code: "invalid_message" } },
    });
    expect(parseAgentMessage(RegisterRequestV1, bytes({ ...req, v: 2 }), "n1")).toMatchObject({
      ok: false,
      reply: { error: { code: "invalid_message" } },
    });
  });
});
