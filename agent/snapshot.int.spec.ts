import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnapshotError } from "./errors.js";
import { createSnapshot, extractSnapshot } from "./snapshot.js";

/** tar.gz snapshots with the system tar (no NATS needed: real files and real tar processes). */
describe("snapshot archives (R-MIG-1)", () => {
  let base: string;
  let chain: string;
  const progress: [number, string][] = [];
  const report = (p: number, m: string) => {
    progress.push([p, m]);
  };
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "np-snap-"));
    chain = join(base, "chain");
    mkdirSync(join(chain, "data", "db"), { recursive: true });
    mkdirSync(join(chain, "data", "keys"), { recursive: true });
    writeFileSync(join(chain, "data", "db", "blocks"), Buffer.alloc(300_000, 7));
    writeFileSync(join(chain, "data", "height"), "42");
    writeFileSync(join(chain, "data", "keys", "validator.key"), "SECRET-KEY");
    symlinkSync("db/blocks", join(chain, "data", "latest"));
    progress.length = 0;
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it("archives data without the key files, atomically, with its sha256; a restore replaces data with exactly that", async () => {
    const target = join(base, "snapshots", "node-1");
    const snap = await createSnapshot({
      chainDir: chain,
      targetDir: target,
      snapshotId: "s1",
      paths: ["data"],
      exclude: ["data/keys/validator.key"],
      progress: report,
    });
    expect(snap.file).toBe(join(target, "s1.tar.gz"));
    expect(readdirSync(target)).toEqual(["s1.tar.gz"]);
    const bytes = readFileSync(snap.file);
    expect(snap.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(snap.bytes).toBe(bytes.length);
    const members = execFileSync("tar", ["-tzf", snap.file], { encoding: "utf8" }).split("\n").filter(Boolean);
    expect(members).toContain("data/db/blocks");
    expect(members.some((m) => m.includes("validator.key"))).toBe(false);
    expect(progress.length).toBeGreaterThan(0);

    const other = join(base, "other-chain");
    mkdirSync(join(other, "data"), { recursive: true });
    writeFileSync(join(other, "data", "stale"), "old");
    writeFileSync(join(other, "keep.conf"), "kept");
    const staging = join(base, "staging");
    const restored = await extractSnapshot({ archive: snap.file, chainDir: other, scratchDir: staging, paths: ["data"], progress: report });
    expect(restored).toBe(300_000 + 2);
    expect(existsSync(join(other, "data", "stale"))).toBe(false);
    expect(readFileSync(join(other, "data", "height"), "utf8")).toBe("42");
    expect(readlinkSync(join(other, "data", "latest"))).toBe("db/blocks");
    expect(readFileSync(join(other, "keep.conf"), "utf8")).toBe("kept");
    expect(readdirSync(staging)).toEqual([]);
  });

  it("fails on a missing path and leaves no partial archive", async () => {
    const target = join(base, "snapshots");
    await expect(
      createSnapshot({ chainDir: chain, targetDir: target, snapshotId: "s2", paths: ["nope"], exclude: [], progress: report }),
    ).rejects.toBeInstanceOf(SnapshotError);
    expect(existsSync(join(target, "s2.tar.gz"))).toBe(false);
  });

  it("refuses archives whose members escape: `..`, absolute names, symlinks pointing out; nothing lands in the chain dir", async () => {
    const src = join(base, "src");
    mkdirSync(src);
    writeFileSync(join(src, "a"), "evil");
    symlinkSync("/etc", join(src, "etc-link"));
    symlinkSync("../../outside", join(src, "up-link"));
    const archives = {
      dotdot: ["-czf", join(base, "dotdot.tgz"), "-C", src, "--transform", "s,^,../,", "a"],
      absolute: ["-czPf", join(base, "absolute.tgz"), join(src, "a")],
      symlinkAbs: ["-czf", join(base, "symlinkAbs.tgz"), "-C", src, "etc-link"],
      symlinkUp: ["-czf", join(base, "symlinkUp.tgz"), "-C", src, "up-link"],
    };
    const victim = join(base, "victim-chain");
    mkdirSync(victim);
    for (const [name, args] of Object.entries(archives)) {
      execFileSync("tar", args, { stdio: "ignore" });
      const err = await extractSnapshot({
        archive: join(base, `${name}.tgz`),
        chainDir: victim,
        scratchDir: join(base, "staging"),
        paths: ["a", "etc-link", "up-link"],
        progress: report,
      }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(SnapshotError);
      expect((err as SnapshotError).code, name).toBe("SNAPSHOT_REFUSED");
    }
    expect(readdirSync(victim)).toEqual([]);
    expect(existsSync(join(base, "a"))).toBe(false);
    expect(readdirSync(join(base, "staging"))).toEqual([]);
  });
});
