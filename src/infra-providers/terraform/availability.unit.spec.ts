import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { terraformAvailability } from "./availability.js";
import { writeFakeTerraform } from "./testing/fake-terraform.js";

/** Issue 17: what the terraform provider needs before a placement counts as available, checked without reading a value out. */
describe("terraform placement availability", () => {
  let dir: string;
  let bin: string;
  let modules: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "np-tf-avail-"));
    bin = join(dir, "bin");
    modules = join(dir, "modules");
    await mkdir(bin);
    await mkdir(join(modules, "ethereum-mainnet"), { recursive: true });
    await writeFakeTerraform(bin);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const check = (cloud: string, env: Record<string, string>, chainProfileId = "ethereum-mainnet") =>
    terraformAvailability({
      cloud,
      chainProfileId,
      moduleRegistry: { kind: "local", root: modules },
      env: { PATH: bin, ...env },
      home: dir,
    });

  it("is available with the binary, the module and an AWS key pair; no reason ever carries the secret", () => {
    expect(check("aws", { AWS_ACCESS_KEY_ID: "AKIA1", AWS_SECRET_ACCESS_KEY: "s3cr3t" })).toEqual({ available: true, reasons: [] });
    const off = check("aws", { AWS_ACCESS_KEY_ID: "AKIA1" });
    expect(off.available).toBe(false);
    expect(off.reasons.join(" ")).toMatch(/no AWS credentials/);
    expect(JSON.stringify(off)).not.toContain("AKIA1");
  });

  it("accepts an AWS profile from the shared credentials file, by its header only", async () => {
    const creds = join(dir, "credentials");
    await writeFile(creds, "[ops]\naws_access_key_id = AKIA2\naws_secret_access_key = s3cr3t\n");
    expect(check("aws", { AWS_PROFILE: "ops", AWS_SHARED_CREDENTIALS_FILE: creds }).available).toBe(true);
    const other = check("aws", { AWS_PROFILE: "dev", AWS_SHARED_CREDENTIALS_FILE: creds });
    expect(other.available).toBe(false);
    expect(JSON.stringify(other)).not.toContain("s3cr3t");
  });

  it("needs HCLOUD_TOKEN for Hetzner, and knows no other cloud's credentials", () => {
    expect(check("hetzner", { HCLOUD_TOKEN: "tok" }).available).toBe(true);
    expect(check("hetzner", {}).reasons).toEqual(["no Hetzner Cloud credentials configured (HCLOUD_TOKEN)"]);
    expect(check("gcp", {}).available).toBe(false);
  });

  it("names a missing binary and a missing module", () => {
    const r = terraformAvailability({
      cloud: "aws",
      chainProfileId: "cosmos-hub",
      moduleRegistry: { kind: "local", root: modules },
      env: { PATH: join(dir, "nowhere"), AWS_ACCESS_KEY_ID: "a", AWS_SECRET_ACCESS_KEY: "b" },
      home: dir,
    });
    expect(r.available).toBe(false);
    expect(r.reasons).toHaveLength(2);
    expect(r.reasons[0]).toMatch(/not found on PATH/);
    expect(r.reasons[1]).toBe("no Terraform module for chain profile cosmos-hub");
  });
});
