import { describe, expect, it } from "vitest";
import { renderPlainLeafConfig } from "./leaf.js";

describe("plain leaf config", () => {
  it("listens on 127.0.0.1 for the host's agent and has one remote to the hub's leaf-node port", () => {
    const conf = renderPlainLeafConfig({
      serverName: "leaf-h-n1",
      port: 4321,
      hubLeafUrls: ["nats://127.0.0.1:7422", "nats://10.0.0.2:7422"],
    });
    expect(conf).toContain(`server_name: "leaf-h-n1"`);
    expect(conf).toContain(`listen: "127.0.0.1:4321"`);
    expect(conf).toMatch(/remotes: \[\n\s+\{ urls: \["nats:\/\/127\.0\.0\.1:7422", "nats:\/\/10\.0\.0\.2:7422"\] \}\n\s+\]/);
    expect(conf).not.toMatch(/authorization|credentials|tls/);
  });
});
