import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyFileNotFoundError, confineLexically, confineRecipePath, readConfinedFile } from "./paths.js";
import { PathConfinementError } from "./errors.js";

describe("CAPTURE_KEY path confinement (R-CMD-4)", () => {
  let base: string;
  let root: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), "np-paths-"));
    root = join(base, "chain");
    mkdirSync(join(root, "keys", "sub"), { recursive: true });
    mkdirSync(join(root, "other"));
    writeFileSync(join(root, "keys", "validator.key"), "secret-inside");
    writeFileSync(join(root, "other", "node.key"), "other-inside");
    writeFileSync(join(base, "outside.key"), "secret-outside");
    symlinkSync(join(base, "outside.key"), join(root, "keys", "link-out.key"));
    symlinkSync(join(root, "keys", "validator.key"), join(root, "keys", "link-in.key"));
    symlinkSync(base, join(root, "escape-dir"));
    symlinkSync(join(root, "other"), join(root, "keys", "inner-dir"));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("reads a plain file inside the data dir", async () => {
    const buf = await readConfinedFile(root, "keys/validator.key");
    expect(buf.toString()).toBe("secret-inside");
  });

  it("refuses `../` traversal, even one that would land back inside", async () => {
    await expect(readConfinedFile(root, "../outside.key")).rejects.toBeInstanceOf(PathConfinementError);
    await expect(readConfinedFile(root, "keys/../keys/validator.key")).rejects.toBeInstanceOf(PathConfinementError);
    await expect(readConfinedFile(root, "keys\\..\\..\\outside.key")).rejects.toBeInstanceOf(PathConfinementError);
  });

  it("refuses an absolute path outside the data dir and accepts one inside", async () => {
    await expect(readConfinedFile(root, join(base, "outside.key"))).rejects.toBeInstanceOf(PathConfinementError);
    await expect(readConfinedFile(root, "/etc/passwd")).rejects.toBeInstanceOf(PathConfinementError);
    expect((await readConfinedFile(root, join(root, "keys", "validator.key"))).toString()).toBe("secret-inside");
  });

  it("refuses a final symlink that points out, and one that points inside", async () => {
    await expect(readConfinedFile(root, "keys/link-out.key")).rejects.toThrow(/symlink/);
    await expect(readConfinedFile(root, "keys/link-in.key")).rejects.toThrow(/symlink/);
  });

  it("refuses a symlinked directory that escapes; allows one that stays inside", async () => {
    await expect(readConfinedFile(root, "escape-dir/outside.key")).rejects.toThrow(/escapes/);
    expect((await readConfinedFile(root, "keys/inner-dir/node.key")).toString()).toBe("other-inside");
  });

  it("refuses a key file with another hard link (a name the chain user made for a file it cannot read)", async () => {
    writeFileSync(join(base, "root-only"), "not a key of the node");
    linkSync(join(base, "root-only"), join(root, "keys", "hard.key"));
    await expect(readConfinedFile(root, "keys/hard.key")).rejects.toThrow(/hard links/);
  });

  it("reports a missing file or a directory as not found, not as a refusal", async () => {
    await expect(readConfinedFile(root, "keys/missing.key")).rejects.toBeInstanceOf(KeyFileNotFoundError);
    await expect(readConfinedFile(root, "keys/sub")).rejects.toBeInstanceOf(KeyFileNotFoundError);
  });

  it("refuses empty paths, NUL bytes and the root itself", () => {
    expect(() => confineLexically(root, "")).toThrow(PathConfinementError);
    expect(() => confineLexically(root, "keys/a\0b")).toThrow(PathConfinementError);
    expect(() => confineLexically(root, ".")).toThrow(PathConfinementError);
    expect(() => confineLexically(root, `${root}-evil/x`)).toThrow(PathConfinementError);
  });

  it("recipe paths must be relative", () => {
    expect(() => confineRecipePath(root, "/etc/x")).toThrow(PathConfinementError);
    expect(confineRecipePath(root, "config/node.json")).toBe(join(root, "config", "node.json"));
  });
});
