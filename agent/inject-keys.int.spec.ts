import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InjectKeysResultV1 } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { command, startAgentRig, type AgentRig } from "./testing/harness.js";

describe("agent: INJECT_KEYS (R-PROV InjectKeys)", () => {
  let rig: AgentRig;
  const validator = randomBytes(32);
  const p2p = randomBytes(16);
  beforeEach(async () => {
    const s = testServices("agentinject");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    // The keys belong to the node the agent hosts after a migration: another id than the agent's own.
    rig.cp.nodeKeys.set("node-before-migration/validator", validator);
    rig.cp.nodeKeys.set("node-before-migration/p2p", p2p);
    mkdirSync(join(rig.dataDir, "chain"), { recursive: true });
    symlinkSync(rig.dataDir, join(rig.dataDir, "chain", "escape"));
  });
  afterEach(async () => {
    await rig.close();
  });

  it("writes each key sealed for this request, in its format and mode, inside the chain dir; refuses a path out and a key the vault lacks", async () => {
    const { cp, nodeId } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const ok = command(nodeId, "INJECT_KEYS", {
      keyOwner: "node-before-migration",
      keys: [
        { keyName: "validator", path: "keys/validator.key", format: "raw" },
        { keyName: "p2p", path: "config/p2p.hex", format: "hex", mode: "0640" },
        { keyName: "validator", path: "keys/validator.json", format: "json" },
      ],
    });
    const escape = command(nodeId, "INJECT_KEYS", {
      keyOwner: "node-before-migration",
      keys: [{ keyName: "p2p", path: "escape/stolen.key", format: "raw" }],
    });
    const missing = command(nodeId, "INJECT_KEYS", {
      keyOwner: "node-before-migration",
      keys: [{ keyName: "nope", path: "keys/nope", format: "raw" }],
    });
    cp.enqueue(ok);
    cp.enqueue(escape);
    cp.enqueue(missing);

    const done = await cp.ending(ok.id);
    expect(done.kind === "command_completed" ? InjectKeysResultV1.parse(done.result) : done).toEqual({
      injected: [
        { keyName: "validator", path: "keys/validator.key" },
        { keyName: "p2p", path: "config/p2p.hex" },
        { keyName: "validator", path: "keys/validator.json" },
      ],
    });
    const chain = join(rig.dataDir, "chain");
    expect(readFileSync(join(chain, "keys/validator.key")).equals(validator)).toBe(true);
    expect(lstatSync(join(chain, "keys/validator.key")).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(chain, "config/p2p.hex"), "utf8")).toBe(p2p.toString("hex"));
    expect(lstatSync(join(chain, "config/p2p.hex")).mode & 0o777).toBe(0o640);
    expect(JSON.parse(readFileSync(join(chain, "keys/validator.json"), "utf8"))).toEqual({
      keyName: "validator",
      hex: validator.toString("hex"),
    });

    const refused = await cp.ending(escape.id);
    expect(refused.kind === "command_failed" && refused.error.code).toBe("PATH_REFUSED");
    expect(() => lstatSync(join(rig.dataDir, "stolen.key"))).toThrow();
    const absent = await cp.ending(missing.id);
    expect(absent.kind === "command_failed" && absent.error.code).toBe("KEYS_UNAVAILABLE");

    // No key (nor its hex) crossed the wire in an event or reached a log line.
    const wire = JSON.stringify(cp.deliveries);
    const out = rig.agent.output();
    for (const secret of [validator.toString("hex"), validator.toString("base64"), p2p.toString("hex"), p2p.toString("base64")]) {
      expect(wire).not.toContain(secret);
      expect(out).not.toContain(secret);
    }
  });
});
