import { describe, expect, it } from "vitest";
import { agentPaths, loadAgentConfig } from "./config.js";
import { AgentConfigError } from "./errors.js";

describe("agent configuration", () => {
  it("flags win over the environment; timing left unset falls to the control plane's values", () => {
    const cfg = loadAgentConfig(["--node-id", "n-1", "--data-dir", "/tmp/a", "--heartbeat-ms", "250"], {
      NATS_URL: "nats://x:1",
      NODEPLANE_NODE_ID: "ignored",
      NODEPLANE_NAMESPACE: "ns1",
      NODEPLANE_AGENT_CREDS: "/c.creds",
    });
    expect(cfg).toMatchObject({
      nodeId: "n-1",
      natsUrl: "nats://x:1",
      dataDir: "/tmp/a",
      namespace: "ns1",
      creds: "/c.creds",
      heartbeatMs: 250,
    });
    expect(cfg.stallCheckMs).toBeUndefined();
    expect(cfg.stallChecks).toBeUndefined();
  });

  it("a bad or missing value names its flag and variable", () => {
    expect(() => loadAgentConfig(["--node-id", "a.b", "--nats-url", "n", "--data-dir", "d"], {})).toThrow(/--node-id \/ NODEPLANE_NODE_ID/);
    expect(() => loadAgentConfig(["--node-id", "a"], {})).toThrow(/--nats-url \/ NATS_URL/);
    expect(() => loadAgentConfig(["--bogus"], {})).toThrow(AgentConfigError);
  });

  it("keeps the agent's own state beside the chain data dir, never inside it", () => {
    const p = agentPaths("/srv/node");
    expect(p.chainData).toBe("/srv/node/chain");
    for (const own of [p.outbox, p.run, p.state, p.staging]) expect(own.startsWith(`${p.chainData}/`)).toBe(false);
  });
});
