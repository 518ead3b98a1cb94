import { z } from "zod";
import { defineEvent, Id, IsoTime } from "./define.js";

/**
 * R-AGENT-2: an agent process (one boot, `instanceId`) registered for its node. Recorded once per
 * boot, so a re-sent registration does not repeat it and each restart or reconnect-after-restart does.
 */
export const AgentRegistered = defineEvent({
  type: "AgentRegistered",
  category: "agent",
  version: 1,
  schema: z.object({
    nodeId: Id,
    instanceId: Id,
    agentVersion: z.string().min(1).max(64),
    hostname: z.string().min(1).max(255),
    capabilities: z.array(z.string().min(1).max(64)).max(32),
    runtime: z.string().min(1).max(32),
    startedAt: IsoTime,
    registeredAt: IsoTime,
  }),
});

export const agentEvents = [AgentRegistered] as const;
