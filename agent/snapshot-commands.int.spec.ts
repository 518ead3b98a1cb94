import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnapshotCreateResultV1, SnapshotRestoreResultV1 } from "../schemas/agent/index.js";
import { testServices } from "../test/support/services.js";
import { command, startAgentRig, type AgentRig } from "./testing/harness.js";

/** Serves one file over http (a snapshot kept behind a URL). */
async function serveFile(path: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200);
    createReadStream(path).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  return { url: `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/snap.tar.gz`, server };
}

describe("agent: SNAPSHOT_CREATE / SNAPSHOT_RESTORE (R-MIG-1)", () => {
  let rig: AgentRig;
  let server: Server | undefined;
  const key = randomBytes(32);
  beforeEach(async () => {
    const s = testServices("agentsnap");
    rig = await startAgentRig(s.natsUrl, s.names.namespace);
    rig.cp.nodeKeys.set(`${rig.nodeId}/validator`, key);
    const data = join(rig.dataDir, "chain", "data");
    mkdirSync(join(data, "db"), { recursive: true });
    writeFileSync(join(data, "db", "blocks"), randomBytes(200_000));
    writeFileSync(join(data, "height"), "100");
  });
  afterEach(async () => {
    server?.close();
    server = undefined;
    await rig.close();
  });

  it("archives the data dir without injected keys, and restores it from file: and http: after verifying the sha256", async () => {
    const { cp, nodeId } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const inject = command(nodeId, "INJECT_KEYS", {
      keyOwner: nodeId,
      keys: [{ keyName: "validator", path: "data/keys/validator.key", format: "raw" }],
    });
    cp.enqueue(inject);
    expect((await cp.ending(inject.id)).kind).toBe("command_completed");

    const target = pathToFileURL(join(rig.dataDir, "snapshots", nodeId)).href;
    const create = command(nodeId, "SNAPSHOT_CREATE", { snapshotId: "snap-1", target, excludeKeys: true });
    cp.enqueue(create);
    const created = await cp.ending(create.id);
    const snap = SnapshotCreateResultV1.parse(created.kind === "command_completed" ? created.result : created);
    const file = fileURLToPath(snap.url);
    expect(file.endsWith(`${nodeId}/snap-1.tar.gz`)).toBe(true);
    expect(readFileSync(file).length).toBe(snap.bytes);
    const members = execFileSync("tar", ["-tzf", file], { encoding: "utf8" });
    expect(members).toContain("data/db/blocks");
    expect(members).not.toContain("validator.key");
    expect(cp.eventsOf(create.id).some((e) => e.kind === "command_progress")).toBe(true);

    const data = join(rig.dataDir, "chain", "data");
    const blocks = readFileSync(join(data, "db", "blocks"));
    writeFileSync(join(data, "height"), "999");
    writeFileSync(join(data, "db", "blocks"), "corrupted");

    const wrong = command(nodeId, "SNAPSHOT_RESTORE", { snapshotId: "snap-1", url: snap.url, sha256: "0".repeat(64) });
    cp.enqueue(wrong);
    const refused = await cp.ending(wrong.id);
    expect(refused.kind === "command_failed" && refused.error.code).toBe("SNAPSHOT_MISMATCH");
    expect(readFileSync(join(data, "height"), "utf8")).toBe("999");

    const restore = command(nodeId, "SNAPSHOT_RESTORE", { snapshotId: "snap-1", url: snap.url, sha256: snap.sha256 });
    cp.enqueue(restore);
    const restored = await cp.ending(restore.id);
    expect(SnapshotRestoreResultV1.parse(restored.kind === "command_completed" ? restored.result : restored)).toEqual({
      snapshotId: "snap-1",
      restoredBytes: 200_000 + 3,
    });
    expect(readFileSync(join(data, "height"), "utf8")).toBe("100");
    expect(readFileSync(join(data, "db", "blocks")).equals(blocks)).toBe(true);
    // The data dir was replaced by the snapshot's, which holds no key: it must be injected again.
    expect(existsSync(join(data, "keys", "validator.key"))).toBe(false);

    writeFileSync(join(data, "height"), "555");
    const served = await serveFile(file);
    server = served.server;
    const overHttp = command(nodeId, "SNAPSHOT_RESTORE", { snapshotId: "snap-1", url: served.url, sha256: snap.sha256 });
    cp.enqueue(overHttp);
    expect((await cp.ending(overHttp.id)).kind).toBe("command_completed");
    expect(readFileSync(join(data, "height"), "utf8")).toBe("100");
    expect(JSON.stringify(cp.deliveries)).not.toContain(key.toString("base64"));
  });

  it("refuses a target that is not a file: URL (the command schema) before touching anything", async () => {
    const { cp, nodeId } = rig;
    await cp.until(() => cp.heartbeats[0]);
    const bad = {
      ...command(nodeId, "SNAPSHOT_CREATE", { snapshotId: "s", target: "file:///tmp/x" }),
      payload: { snapshotId: "s", target: "s3://bucket/x" },
    };
    cp.enqueue(bad);
    const e = await cp.ending(bad.id);
    expect(e.kind === "command_failed" && e.error.code).toBe("INVALID_COMMAND");
  });
});
