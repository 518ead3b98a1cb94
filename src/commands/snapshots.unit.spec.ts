import { describe, expect, it } from "vitest";
import { SnapshotCreatePayloadV1 } from "../../schemas/agent/index.js";
import { snapshotTarget } from "./snapshots.js";

describe("snapshot target (R-MIG-1)", () => {
  it("is a file: directory URL under the data dir, per node, that SNAPSHOT_CREATE accepts", () => {
    const target = snapshotTarget("/var/lib/nodeplane", "node-1");
    expect(target).toBe("file:///var/lib/nodeplane/snapshots/node-1/");
    expect(SnapshotCreatePayloadV1.parse({ snapshotId: "s1", target }).target).toBe(target);
    expect(() => snapshotTarget("/d", "../etc")).toThrow();
  });
});
