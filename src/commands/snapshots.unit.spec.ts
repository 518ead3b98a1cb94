import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SnapshotCreatePayloadV1 } from "../../schemas/agent/index.js";
import { heldSnapshot, HeldSnapshotError, snapshotTarget } from "./snapshots.js";

describe("snapshot target (R-MIG-1)", () => {
  it("is a file: directory URL under the data dir, per node, that SNAPSHOT_CREATE accepts", () => {
    const target = snapshotTarget("/var/lib/nodeplane", "node-1");
    expect(target).toBe("file:///var/lib/nodeplane/snapshots/node-1/");
    expect(SnapshotCreatePayloadV1.parse({ snapshotId: "s1", target }).target).toBe(target);
    expect(() => snapshotTarget("/d", "../etc")).toThrow();
  });
});

describe("the control plane's own record of a snapshot (issue 9: never the old agent's report)", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), "np-held-"));
    mkdirSync(join(dataDir, "snapshots", "node-1"), { recursive: true });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("is the file where SNAPSHOT_CREATE was told to write, hashed by the control plane", async () => {
    const body = Buffer.from("the archive as the control plane holds it");
    writeFileSync(join(dataDir, "snapshots", "node-1", "s1.tar.gz"), body);
    expect(await heldSnapshot(dataDir, "node-1", "s1")).toEqual({
      url: pathToFileURL(join(dataDir, "snapshots", "node-1", "s1.tar.gz")).href,
      sha256: createHash("sha256").update(body).digest("hex"),
      bytes: body.length,
    });
  });

  it("refuses a symlink put in the archive's place (the old host pointing the new one at another file), a missing archive and a bad id", async () => {
    writeFileSync(join(dataDir, "elsewhere"), "not the snapshot");
    symlinkSync(join(dataDir, "elsewhere"), join(dataDir, "snapshots", "node-1", "s2.tar.gz"));
    await expect(heldSnapshot(dataDir, "node-1", "s2")).rejects.toBeInstanceOf(HeldSnapshotError);
    await expect(heldSnapshot(dataDir, "node-1", "s3")).rejects.toBeInstanceOf(HeldSnapshotError);
    await expect(heldSnapshot(dataDir, "node-1", "../s1")).rejects.toThrow();
  });
});
