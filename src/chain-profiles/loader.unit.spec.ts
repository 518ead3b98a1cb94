import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadChainProfiles, defaultChainProfilesDir } from "./loader.js";
import { ChainProfileError, UnknownChainProfileError, UnknownNodeTypeError, UnsupportedDurationError } from "./errors.js";
import { ValidationError } from "../domain/errors.js";

describe("chain profiles shipped in chain-profiles/", () => {
  it("load, and resolve placements per node type and duration", async () => {
    const reg = await loadChainProfiles(defaultChainProfilesDir);
    expect(reg.list().map((p) => p.id).sort()).toEqual(["demo", "ethereum-mainnet"]);
    for (const d of [1, 7, 30]) expect(reg.resolvePlacement("demo", "full", d)).toEqual({ provider: "local", region: "local", instanceType: "process" });
    const full = reg.resolvePlacement("ethereum-mainnet", "full", 30);
    const archive = reg.resolvePlacement("ethereum-mainnet", "archive", 30);
    expect(full.provider).toBe(archive.provider);
    expect(full.instanceType).not.toBe(archive.instanceType);
    for (const d of [90, 365]) expect(reg.resolvePlacement("ethereum-mainnet", "archive", d).instanceType).not.toBe(reg.resolvePlacement("ethereum-mainnet", "full", d).instanceType);
  });

  it("refuses unknown profiles, node types and durations with typed 400 errors", async () => {
    const reg = await loadChainProfiles();
    expect(() => reg.resolvePlacement("nope", "full", 30)).toThrow(UnknownChainProfileError);
    expect(() => reg.resolvePlacement("demo", "archive", 30)).toThrow(UnknownNodeTypeError);
    expect(() => reg.resolvePlacement("demo", "toString", 30)).toThrow(UnknownNodeTypeError);
    expect(() => reg.resolvePlacement("ethereum-mainnet", "full", 7)).toThrow(UnsupportedDurationError);
    try { reg.resolvePlacement("demo", "full", 2); } catch (e) { expect(e).toBeInstanceOf(ValidationError); expect((e as ValidationError).details).toEqual({ field: "durationDays", known: [1, 7, 30] }); }
  });
});

describe("loadChainProfiles on bad files", () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "np-profiles-")); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(join(dir, name), text);
  const fails = async (pattern: RegExp) => {
    const err = await loadChainProfiles(dir).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChainProfileError);
    expect((err as Error).message).toMatch(pattern);
    return err as ChainProfileError;
  };

  it("names the file and the field of a wrong type", async () => {
    write("x.yaml", "node_types: { full: {} }\ndurations:\n  30: { provider: aws, region: r, instance_type: 5 }\n");
    const err = await fails(/x\.yaml: durations\.30\.instance_type: expected string, received number$/);
    expect(err.file).toBe(join(dir, "x.yaml"));
    expect(err.field).toBe("durations.30.instance_type");
  });

  it("names a missing field", async () => {
    write("x.yaml", "node_types: { full: {} }\ndurations:\n  30: { provider: aws, instance_type: m5 }\n");
    await fails(/x\.yaml: durations\.30\.region: expected string, received undefined/);
  });

  it("refuses a duration key that is not a whole number of days", async () => {
    write("x.yaml", "node_types: { full: {} }\ndurations:\n  thirty: { provider: aws, region: r, instance_type: m5 }\n");
    await fails(/x\.yaml: durations\.thirty: .*whole number of days/);
  });

  it("refuses a node-type override that leaves a duration incomplete", async () => {
    write("x.yaml", "durations:\n  30: { provider: aws, region: r, instance_type: m5 }\nnode_types:\n  archive:\n    durations:\n      90: { instance_type: big }\n");
    await fails(/x\.yaml: node_types\.archive\.durations\.90\.provider: required/);
  });

  it("refuses a profile without node types, or a node type without durations", async () => {
    write("a.yaml", "durations:\n  30: { provider: aws, region: r, instance_type: m5 }\n");
    await fails(/a\.yaml: node_types: expected record/);
    rmSync(join(dir, "a.yaml"));
    write("b.yaml", "node_types:\n  full:\n");
    await fails(/b\.yaml: node_types\.full\.durations: no duration offered/);
  });

  it("refuses an id that differs from the file name", async () => {
    write("demo.yaml", "id: other\nnode_types: { full: {} }\ndurations: { 1: { provider: local, region: local, instance_type: process } }\n");
    await fails(/demo\.yaml: id: must equal the file name "demo"/);
  });

  it("reports invalid YAML with its line", async () => {
    write("broken.yml", "node_types:\n  full: {\n");
    await fails(/broken\.yml: invalid YAML \(line \d+, column \d+\)/);
  });

  it("reports a missing folder", async () => {
    const err = await loadChainProfiles(join(dir, "missing")).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChainProfileError);
    expect((err as Error).message).toMatch(/missing: cannot read the chain profile folder/);
  });

  it("accepts sections later capabilities add (open schema) and node-type overrides", async () => {
    write("c.yaml", [
      "name: C",
      "provisioning_inputs: [{ name: validator_key, type: secret }]",
      "observation: { collectors: [] }",
      "recipes: { configure: x }",
      "durations: { 30: { provider: aws, region: r, instance_type: m5, module: eth } }",
      "node_types:",
      "  full: { description: F }",
      "  archive: { durations: { 30: { instance_type: big }, 90: { provider: hetzner, region: fsn1, instance_type: ax } } }",
      "",
    ].join("\n"));
    const reg = await loadChainProfiles(dir);
    expect(reg.resolvePlacement("c", "archive", 30)).toEqual({ provider: "aws", region: "r", instanceType: "big" });
    expect(reg.resolvePlacement("c", "archive", 90)).toEqual({ provider: "hetzner", region: "fsn1", instanceType: "ax" });
    expect(() => reg.resolvePlacement("c", "full", 90)).toThrow(UnsupportedDurationError);
    expect(reg.get("c")?.spec.observation).toEqual({ collectors: [] });
  });
});
