import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLocalAuth } from "../../auth/local.js";

const bin = fileURLToPath(new URL("../../../bin/nodeplane.mjs", import.meta.url));

/** Runs the real CLI as a process with its own data directory. */
function nodeplane(dataDir: string, ...args: string[]) {
  // The defaults of the lifetimes, whatever the calling shell sets.
  const { JWT_MAX_TTL: _max, JWT_KEY_GRACE: _grace, ...env } = process.env;
  const r = spawnSync(process.execPath, [bin, "token", ...args], { env: { ...env, NODEPLANE_DATA_DIR: dataDir }, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe("nodeplane token", () => {
  it("prints a JWT the local API's verifier accepts, with exactly the scopes asked for", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-cli-"));
    const r = nodeplane(dir, "--sub", "alice", "--scope", "subscriptions:read", "--scope", "payments:write", "--ttl", "15m");
    expect(r.code).toBe(0);
    const auth = await createLocalAuth({ dataDir: dir });
    await expect(auth.verifyJwt(r.stdout)).resolves.toEqual({
      id: "alice",
      scopes: ["subscriptions:read", "payments:write"],
      kind: "jwt",
      tokenId: expect.any(String),
    });
    const admin = nodeplane(dir, "--sub", "root", "--scope", "admin");
    await expect(auth.verifyJwt(admin.stdout)).resolves.toMatchObject({ scopes: ["admin"] });
  }, 30_000);

  it("refuses unknown scopes, bad ttls and missing flags with exit 2 and a clear message", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-cli-"));
    const unknown = nodeplane(dir, "--sub", "alice", "--scope", "root");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown scope root/);
    expect(unknown.stdout).toBe("");
    expect(nodeplane(dir, "--sub", "alice", "--scope", "admin", "--ttl", "forever").code).toBe(2);
    expect(nodeplane(dir, "--scope", "admin").stderr).toMatch(/--sub/);
    expect(nodeplane(dir, "--sub", "alice").stderr).toMatch(/--scope/);
  }, 30_000);

  it("refuses a --ttl above the maximum token lifetime (JWT_MAX_TTL, 24h by default) with a clear message", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-cli-"));
    const tooLong = nodeplane(dir, "--sub", "alice", "--scope", "admin", "--ttl", "30d");
    expect(tooLong.code).toBe(2);
    expect(tooLong.stdout).toBe("");
    expect(tooLong.stderr).toMatch(/--ttl 30d is longer than the maximum token lifetime 24h \(JWT_MAX_TTL\)/);
    expect(nodeplane(dir, "--sub", "alice", "--scope", "admin", "--ttl", "24h").code).toBe(0);
  }, 30_000);

  it("token rotate-key: a new key signs, tokens of the old one still verify (grace period)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "np-cli-"));
    const old = nodeplane(dir, "--sub", "alice", "--scope", "subscriptions:read");
    const rotated = nodeplane(dir, "rotate-key");
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/now signs; .* verifies until 24h from now/);
    const fresh = nodeplane(dir, "--sub", "bob", "--scope", "subscriptions:read");
    const auth = await createLocalAuth({ dataDir: dir });
    await expect(auth.verifyJwt(old.stdout)).resolves.toMatchObject({ id: "alice" });
    await expect(auth.verifyJwt(fresh.stdout)).resolves.toMatchObject({ id: "bob" });
    expect(JSON.parse(Buffer.from(fresh.stdout.split(".")[0]!, "base64url").toString()).kid).not.toBe(
      JSON.parse(Buffer.from(old.stdout.split(".")[0]!, "base64url").toString()).kid,
    );
  }, 30_000);
});
