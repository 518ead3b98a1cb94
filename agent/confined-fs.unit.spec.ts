import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdirConfined, moveIntoConfined, writeConfinedFile } from "./confined-fs.js";
import { PathConfinementError } from "./errors.js";

const root = process.getuid?.() === 0;

describe("confined writes into the chain dir (issue 9 item 4)", () => {
  let base: string;
  let chain: string;
  let outside: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), "np-confined-"));
    chain = join(base, "chain");
    outside = join(base, "outside");
    mkdirSync(chain);
    mkdirSync(outside);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it("keepExisting writes once and keeps what is there; a symlink there is refused even for keepExisting", async () => {
    expect(await writeConfinedFile(chain, "keys/node.key", Buffer.from("first"), 0o600, { keepExisting: true })).toBe("written");
    expect(await writeConfinedFile(chain, "keys/node.key", Buffer.from("second"), 0o600, { keepExisting: true })).toBe("kept");
    expect(readFileSync(join(chain, "keys/node.key"), "utf8")).toBe("first");
    expect(lstatSync(join(chain, "keys/node.key")).mode & 0o777).toBe(0o600);
    symlinkSync(join(outside, "x"), join(chain, "keys/link.key"));
    await expect(writeConfinedFile(chain, "keys/link.key", Buffer.from("s"), 0o600, { keepExisting: true })).rejects.toBeInstanceOf(
      PathConfinementError,
    );
    expect(readdirSync(outside)).toEqual([]);
    // No temporary file is left behind.
    expect(readdirSync(join(chain, "keys")).sort()).toEqual(["link.key", "node.key"]);
  });

  it("never uses a planted temp name, refuses parents that leave, allows a symlinked parent that stays inside", async () => {
    mkdirSync(join(chain, "config"));
    symlinkSync(join(outside, "victim"), join(chain, "config", "a.toml.tmp"));
    await writeConfinedFile(chain, "config/a.toml", Buffer.from("ok"), 0o644);
    expect(existsSync(join(outside, "victim"))).toBe(false);
    symlinkSync(outside, join(chain, "out"));
    await expect(mkdirConfined(chain, "out/sub")).rejects.toBeInstanceOf(PathConfinementError);
    await expect(writeConfinedFile(chain, "out/f", Buffer.from("x"), 0o644)).rejects.toBeInstanceOf(PathConfinementError);
    symlinkSync(join(chain, "config"), join(chain, "cfg"));
    await writeConfinedFile(chain, "cfg/b.toml", Buffer.from("in"), 0o644);
    expect(readFileSync(join(chain, "config", "b.toml"), "utf8")).toBe("in");
    expect(readdirSync(outside)).toEqual([]);
  });

  it("moves a staged file in, refusing a symlinked target and a symlinked parent that leaves", async () => {
    const staged = join(base, "staged");
    writeFileSync(staged, "artifact");
    symlinkSync(join(outside, "bin"), join(chain, "node"));
    await expect(moveIntoConfined(chain, "node", staged)).rejects.toBeInstanceOf(PathConfinementError);
    symlinkSync(outside, join(chain, "bin"));
    await expect(moveIntoConfined(chain, "bin/node", staged)).rejects.toBeInstanceOf(PathConfinementError);
    await moveIntoConfined(chain, "opt/node", staged);
    expect(readFileSync(join(chain, "opt", "node"), "utf8")).toBe("artifact");
    expect(readdirSync(outside)).toEqual([]);
  });

  it("gives what it creates (files and directories) to the chain user when the agent is root", async () => {
    const owner = root ? { uid: 65534, gid: 65534 } : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    await writeConfinedFile(chain, "a/b/c.json", Buffer.from("{}"), 0o644, { owner });
    await mkdirConfined(chain, "data/db", { owner });
    for (const p of ["a", "a/b", "a/b/c.json", "data", "data/db"]) expect(lstatSync(join(chain, p)).uid, p).toBe(owner.uid);
  });
});
