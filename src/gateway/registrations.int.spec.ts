import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { ErrorReplyV1 } from "../../schemas/agent/index.js";
import { defaults } from "../config/defaults.js";
import { createCommands } from "../commands/index.js";

describe.skipIf(!servicesAvailable())("gateway: registrations and refused messages", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;

  beforeAll(async () => {
    h = await startGatewayHarness("gwreg", { gateways: 2 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("records AgentRegistered once per boot, even when the registration is sent twice (concurrently, to two gateways)", async () => {
    const agent = await h.agent("node-r");
    const [a, b] = await Promise.all([agent.register(), agent.register()]);
    expect([a, b].every((r) => r.ok)).toBe(true);
    // Both may answer "first" when they raced (each found no record); the store still holds one event.
    expect([a, b].some((r) => r.ok && r.firstRegistration)).toBe(true);
    expect(a).toMatchObject({
      nodeId: "node-r",
      heartbeatIntervalMs: defaults.commands.heartbeatIntervalMs,
      stallChecks: defaults.commands.agentStallChecks,
    });
    expect(await agent.register()).toMatchObject({ ok: true, firstRegistration: false });
    // A new boot of the agent is a new registration.
    const reboot = await h.agent("node-r");
    expect(await reboot.register({ agentVersion: "0.0.1" })).toMatchObject({ ok: true, firstRegistration: true });
    const events = (await h.store.load("agent", "node-r")).events;
    expect(events.map((e) => e.type)).toEqual(["AgentRegistered", "AgentRegistered"]);
    expect(events.map((e) => (e.data as { instanceId: string }).instanceId)).toEqual([agent.instanceId, reboot.instanceId]);
    expect(events[0]).toMatchObject({ actor: "system:gateway", data: { nodeId: "node-r", hostname: "test-host", runtime: "process" } });
  });

  it("refuses non-JSON, schema-invalid, wrong-node and unknown-command messages with an error reply, and keeps serving", async () => {
    const agent = await h.agent("node-bad");
    const refused = async (subject: string, body: string) => ErrorReplyV1.parse(await agent.raw(subject, body)).error.code;
    expect(await refused(agent.subjects.heartbeat, "not json")).toBe("invalid_message");
    expect(await refused(agent.subjects.heartbeat, JSON.stringify({ v: 1, nodeId: "node-bad" }))).toBe("invalid_message");
    expect(await refused(agent.subjects.register, JSON.stringify({ v: 2, nodeId: "node-bad" }))).toBe("invalid_message");
    expect(await refused(agent.subjects.events, JSON.stringify({ v: 1, nodeId: "node-bad", kind: "command_exploded" }))).toBe(
      "invalid_message",
    );
    // The body names another node than the subject the agent may use.
    const other = await h.agent("node-other");
    expect((await other.register()).ok).toBe(true);
    expect(
      await refused(
        agent.subjects.register,
        JSON.stringify({
          v: 1,
          nodeId: "node-other",
          instanceId: other.instanceId,
          agentVersion: "1",
          hostname: "h",
          capabilities: [],
          runtime: "process",
          startedAt: new Date().toISOString(),
        }),
      ),
    ).toBe("node_mismatch");
    // Events about a command nobody queued, or another node's command.
    const unknown = await agent.ack("no-such-command");
    expect(unknown).toMatchObject({ ok: false, error: { code: "unknown_command" } });
    await createCommands({ redis: h.redis, names: h.s.names }).enqueueCommand("node-other", { id: "theirs", type: "STATUS", payload: {} });
    expect(await agent.ack("theirs")).toMatchObject({ ok: false, error: { code: "node_mismatch" } });
    expect(await h.store.load("agent", "node-bad")).toMatchObject({ events: [] });
    // Still serving.
    expect((await agent.heartbeat()).ok).toBe(true);
    expect(h.gateways.every((g) => g.isReady())).toBe(true);
  });
});
