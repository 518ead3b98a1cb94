import { describe, it, expect } from "vitest";
import { renderHubConfig, renderLeafConfig } from "./server-config.js";
import { leafFiles } from "./nats-auth.js";

const hub = renderHubConfig({
  serverName: "hub",
  port: 4222,
  monitorPort: 8222,
  leafnodePort: 7422,
  leafnodeHost: "0.0.0.0",
  operatorJwtPath: "/a/operator.jwt",
  systemAccount: "ASYS",
  resolverDir: "/a/resolver",
  preload: { ASYS: "jwt-sys", AAGENT: "jwt-agent" },
  jetstreamDir: "/a/js",
  tls: { certFile: "/a/server.pem", keyFile: "/a/server-key.pem" },
});

const f = leafFiles("/hosts/h-n1/leaf");
const leaf = renderLeafConfig({
  serverName: "leaf-1",
  port: 5222,
  hubLeafUrls: ["tls://hub:7422"],
  operatorJwtPath: f.operatorJwt,
  systemAccount: "ASYS",
  agentAccount: "AAGENT",
  resolverDir: f.resolverDir,
  preload: { ASYS: "jwt-sys" },
  agentCredsPath: f.agentCreds,
  systemCredsPath: f.systemCreds,
  caFile: f.caCert,
});

describe("hub config", () => {
  it("runs in operator mode with a full resolver that accepts pushes and deletions", () => {
    expect(hub).toContain(`operator: "/a/operator.jwt"`);
    expect(hub).toContain("system_account: ASYS");
    expect(hub).toMatch(/resolver: \{\n {2}type: full\n {2}dir: "\/a\/resolver"\n {2}allow_delete: true/);
    expect(hub).toContain(`resolver_preload: {\n  ASYS: "jwt-sys"\n  AAGENT: "jwt-agent"\n}`);
  });

  it("keeps services on 127.0.0.1 and puts agents' leaf servers behind TLS on the external port", () => {
    expect(hub).toContain(`listen: "127.0.0.1:4222"`);
    expect(hub).toMatch(
      /leafnodes \{\n {2}listen: "0\.0\.0\.0:7422"\n {2}tls \{\n {4}cert_file: "\/a\/server\.pem"\n {4}key_file: "\/a\/server-key\.pem"/,
    );
  });

  it("keeps JetStream with fsync on every write (DESIGN.md §3)", () => {
    expect(hub).toContain(`store_dir: "/a/js"`);
    expect(hub).toContain("sync_interval: always");
  });
});

describe("leaf config", () => {
  it("verifies agents itself (same operator) and follows account updates through a cache resolver", () => {
    expect(leaf).toContain(`operator: "/hosts/h-n1/leaf/operator.jwt"`);
    expect(leaf).toMatch(/resolver: \{\n {2}type: cache/);
    expect(leaf).toContain(`listen: "127.0.0.1:5222"`);
  });

  it("connects an AGENT remote and a SYS remote to the hub over TLS with the local CA", () => {
    const remotes = leaf.slice(leaf.indexOf("remotes"));
    expect(remotes.match(/urls: \["tls:\/\/hub:7422"\]/g)).toHaveLength(2);
    expect(remotes).toContain(`account: AAGENT\n      credentials: "/hosts/h-n1/leaf/leaf-agent.creds"`);
    expect(remotes).toContain(`account: ASYS\n      credentials: "/hosts/h-n1/leaf/leaf-sys.creds"`);
    expect(remotes.match(/tls \{ ca_file: "\/hosts\/h-n1\/leaf\/ca\.pem" \}/g)).toHaveLength(2);
  });

  it("references no file outside the host's leaf directory (R-NATS-4: a host never reads the control plane's files)", () => {
    const paths = [...leaf.matchAll(/"(\/[^"]*)"/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThanOrEqual(5);
    for (const p of paths) expect(p.startsWith("/hosts/h-n1/leaf/")).toBe(true);
    expect(Object.values(f).every((p) => p.startsWith("/hosts/h-n1/leaf"))).toBe(true);
  });
});
