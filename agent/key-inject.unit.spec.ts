import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PathConfinementError } from "./errors.js";
import { encodeKeyFile, loadKeyPaths, recordKeyPaths } from "./key-files.js";
import { writeConfinedFile } from "./confined-fs.js";

describe("INJECT_KEYS key files", () => {
  it("encodes raw, hex, base64 and json exactly as Buffer's own encoders would", () => {
    for (const len of [0, 1, 2, 3, 4, 31, 32, 33]) {
      const bytes = Buffer.from(Array.from({ length: len }, (_, i) => (i * 37 + 250) & 255));
      expect(encodeKeyFile(bytes, "raw", "k").equals(bytes)).toBe(true);
      expect(encodeKeyFile(bytes, "hex", "k").toString()).toBe(bytes.toString("hex"));
      expect(encodeKeyFile(bytes, "base64", "k").toString()).toBe(bytes.toString("base64"));
      expect(JSON.parse(encodeKeyFile(bytes, "json", "val-1").toString())).toEqual({ keyName: "val-1", hex: bytes.toString("hex") });
    }
    const stored = Buffer.from("abc");
    const raw = encodeKeyFile(stored, "raw", "k");
    raw.fill(0);
    expect(stored.toString()).toBe("abc");
  });

  it("remembers key paths once each (snapshots leave them out)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "np-keypaths-"));
    try {
      expect(await loadKeyPaths(dir)).toEqual([]);
      await recordKeyPaths(dir, ["keys/a", "b"]);
      await recordKeyPaths(dir, ["b", "c"]);
      expect(await loadKeyPaths(dir)).toEqual(["keys/a", "b", "c"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("writeConfinedFile (INJECT_KEYS destination)", () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "np-write-"));
    root = join(base, "chain");
    mkdirSync(join(root, "inner"), { recursive: true });
    symlinkSync(base, join(root, "escape"));
    symlinkSync(join(root, "inner"), join(root, "inside-link"));
    writeFileSync(join(base, "victim"), "untouched");
    symlinkSync(join(base, "victim"), join(root, "final-link"));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("creates parents, writes with the mode, replaces an existing file and leaves no temporary file", async () => {
    await writeConfinedFile(root, "keys/deep/v.key", Buffer.from("one"), 0o600);
    await writeConfinedFile(root, "keys/deep/v.key", Buffer.from("two"), 0o640);
    expect(readFileSync(join(root, "keys/deep/v.key"), "utf8")).toBe("two");
    expect(lstatSync(join(root, "keys/deep/v.key")).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(root, "keys/deep"))).toEqual(["v.key"]);
  });

  it("follows a parent symlink that stays inside, refuses one that leads out, a final symlink, `..` and absolute paths", async () => {
    await writeConfinedFile(root, "inside-link/k", Buffer.from("in"), 0o600);
    expect(readFileSync(join(root, "inner/k"), "utf8")).toBe("in");
    await expect(writeConfinedFile(root, "escape/evil", Buffer.from("x"), 0o600)).rejects.toBeInstanceOf(PathConfinementError);
    await expect(writeConfinedFile(root, "escape/new-dir/evil", Buffer.from("x"), 0o600)).rejects.toBeInstanceOf(PathConfinementError);
    await expect(writeConfinedFile(root, "final-link", Buffer.from("x"), 0o600)).rejects.toBeInstanceOf(PathConfinementError);
    await expect(writeConfinedFile(root, "../outside", Buffer.from("x"), 0o600)).rejects.toBeInstanceOf(PathConfinementError);
    await expect(writeConfinedFile(root, join(base, "abs"), Buffer.from("x"), 0o600)).rejects.toBeInstanceOf(PathConfinementError);
    expect(readFileSync(join(base, "victim"), "utf8")).toBe("untouched");
    expect(readdirSync(base).sort()).toEqual(["chain", "victim"]);
  });
});
