import { describe, it, expect } from "vitest";
import { evolveAgentRegistration } from "./projection.js";
import type { StoredEvent } from "../../src/eventstore/envelope.js";

const registered = (instanceId: string, position: number, at: string): StoredEvent => ({
  id: `e${position}`,
  type: "AgentRegistered",
  schemaVersion: 1,
  category: "agent",
  aggregateId: "n1",
  aggregateVersion: position,
  position,
  occurredAt: at,
  correlationId: "c",
  causationId: "c",
  actor: "system:gateway",
  data: {
    nodeId: "n1",
    instanceId,
    agentVersion: `1.0.${position}`,
    hostname: "h",
    capabilities: ["CONFIGURE"],
    runtime: "process",
    startedAt: at,
    registeredAt: at,
  },
});

describe("agent_registrations rows", () => {
  it("keep the latest boot per node, the first registration time and the count of boots", () => {
    const r1 = evolveAgentRegistration(undefined, registered("b1", 1, "2026-01-01T00:00:00.000Z"));
    const r2 = evolveAgentRegistration(r1, registered("b2", 2, "2026-01-02T00:00:00.000Z"));
    expect(r2).toMatchObject({
      nodeId: "n1",
      instanceId: "b2",
      agentVersion: "1.0.2",
      registrations: 2,
      firstRegisteredAt: "2026-01-01T00:00:00.000Z",
      position: 2,
    });
  });
});
