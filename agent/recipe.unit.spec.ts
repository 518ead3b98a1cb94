import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { RecipeV1, type Recipe } from "../schemas/agent/index.js";
import { sha256Hex, verifySha256 } from "./artifacts.js";
import { ArtifactVerificationError, InvalidCommandError } from "./errors.js";
import { loadComponents, loadService, runRecipe } from "./recipe.js";
import { renderTemplate } from "./template.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function host() {
  const base = mkdtempSync(join(tmpdir(), "np-recipe-"));
  dirs.push(base);
  const chainDir = join(base, "chain");
  mkdirSync(chainDir);
  const artifact = join(base, "node-bin");
  writeFileSync(artifact, "#!/bin/sh\necho demo\n");
  const progress: [number, string][] = [];
  const ctx = {
    chainDir,
    stagingDir: join(base, "staging"),
    stateDir: join(base, "state"),
    vars: { node: "/usr/bin/node", tsx_loader: "file:///tsx.mjs", chain_dir: chainDir, node_id: "n1" },
    progress: (p: number, m: string) => {
      progress.push([p, m]);
    },
  };
  return { base, chainDir, artifact, ctx, progress };
}

const recipe = (url: string, sha256: string): Recipe => ({
  steps: [
    { action: "mkdir", path: "data" },
    { action: "fetch_artifact", url, sha256, path: "bin/node", mode: "0755" },
    { action: "write_file", path: "config/node.json", content: '{"dir":"{{chain_dir}}/data","id":"{{node_id}}"}' },
  ],
  service: { runtime: "process", command: ["{{node}}", "bin/node"], env: {}, metricsUrl: "http://127.0.0.1:9/metrics" },
});

describe("sha256 verification", () => {
  it("accepts the same digest in any case and refuses another", () => {
    const d = sha256Hex("abc");
    expect(d).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(() => verifySha256(d.toUpperCase(), d, "x")).not.toThrow();
    expect(() => verifySha256(sha256Hex("abd"), d, "x")).toThrow(ArtifactVerificationError);
  });
});

describe("CONFIGURE recipe", () => {
  it("installs a verified artifact, writes templated config files, saves the service, reports progress up to 99", async () => {
    const h = host();
    const sha = sha256Hex(readFileSync(h.artifact));
    const result = await runRecipe(recipe(pathToFileURL(h.artifact).href, sha), h.ctx);
    expect(result).toEqual({ files: ["config/node.json"], artifacts: [{ path: "bin/node", sha256: sha }] });
    expect(readFileSync(join(h.chainDir, "bin/node"), "utf8")).toContain("echo demo");
    expect(statSync(join(h.chainDir, "bin/node")).mode & 0o777).toBe(0o755);
    expect(JSON.parse(readFileSync(join(h.chainDir, "config/node.json"), "utf8"))).toEqual({ dir: `${h.chainDir}/data`, id: "n1" });
    expect(existsSync(join(h.chainDir, "data"))).toBe(true);
    expect((await loadService(h.ctx.stateDir))?.command).toEqual(["/usr/bin/node", "bin/node"]);
    const pcts = h.progress.map(([p]) => p);
    expect(pcts).toEqual([...pcts].sort((a, b) => a - b));
    expect(Math.max(...pcts)).toBe(99);
  });

  it("a sha256 mismatch fails and installs nothing (no file, no config, no service, no staging left)", async () => {
    const h = host();
    await expect(runRecipe(recipe(pathToFileURL(h.artifact).href, sha256Hex("something else")), h.ctx)).rejects.toBeInstanceOf(
      ArtifactVerificationError,
    );
    expect(existsSync(join(h.chainDir, "bin"))).toBe(false);
    expect(existsSync(join(h.chainDir, "config"))).toBe(false);
    expect(existsSync(join(h.chainDir, "data"))).toBe(false);
    expect(await loadService(h.ctx.stateDir)).toBeUndefined();
    expect(readdirSync(h.ctx.stagingDir)).toEqual([]);
  });

  it("an unknown template variable is refused before anything is written", async () => {
    const h = host();
    const r = recipe(pathToFileURL(h.artifact).href, sha256Hex(readFileSync(h.artifact)));
    r.steps[2] = { action: "write_file", path: "config/node.json", content: "{{nope}}" };
    await expect(runRecipe(r, h.ctx)).rejects.toBeInstanceOf(InvalidCommandError);
    expect(existsSync(join(h.chainDir, "bin"))).toBe(false);
  });

  it("renderTemplate fills known names and refuses unknown ones", () => {
    expect(renderTemplate("a {{ x }} b {{y}}", { x: "1", y: "2" })).toBe("a 1 b 2");
    expect(() => renderTemplate("{{z}}", {})).toThrow(InvalidCommandError);
  });

  it("a multi-component recipe saves each rendered component in order; a service.json of an older agent still loads as the component node", async () => {
    const h = host();
    const svc = (port: number) => ({
      runtime: "process" as const,
      command: ["{{node}}", "bin/node", String(port)],
      env: { DIR: "{{chain_dir}}" },
      metricsUrl: `http://127.0.0.1:${port}/metrics`,
    });
    const r: Recipe = {
      steps: [{ action: "mkdir", path: "data" }],
      components: [
        { name: "geth", service: svc(9001) },
        { name: "lighthouse", service: svc(9002) },
      ],
    };
    await runRecipe(r, h.ctx);
    const saved = await loadComponents(h.ctx.stateDir);
    expect(saved?.map((c) => [c.name, c.service.command[0], c.service.env.DIR])).toEqual([
      ["geth", "/usr/bin/node", h.chainDir],
      ["lighthouse", "/usr/bin/node", h.chainDir],
    ]);
    writeFileSync(join(h.ctx.stateDir, "service.json"), JSON.stringify({ runtime: "process", command: ["bin/old"], env: {} }));
    expect(await loadComponents(h.ctx.stateDir)).toEqual([
      { name: "node", service: { runtime: "process", command: ["bin/old"], env: {} } },
    ]);
    expect((await loadService(h.ctx.stateDir))?.command).toEqual(["bin/old"]);
  });

  it("a recipe has exactly one of service and components, with distinct component names", () => {
    const service = { runtime: "process" as const, command: ["x"], env: {} };
    expect(RecipeV1.safeParse({ steps: [] }).success).toBe(false);
    expect(RecipeV1.safeParse({ steps: [], service, components: [{ name: "a", service }] }).success).toBe(false);
    expect(
      RecipeV1.safeParse({
        steps: [],
        components: [
          { name: "a", service },
          { name: "a", service },
        ],
      }).success,
    ).toBe(false);
    expect(RecipeV1.safeParse({ steps: [], components: [{ name: "Geth-1", service }] }).success).toBe(false);
    expect(
      RecipeV1.safeParse({
        steps: [],
        components: [
          { name: "geth", service },
          { name: "lighthouse", service },
        ],
      }).success,
    ).toBe(true);
  });
});

describe("generate_secret", () => {
  it("makes a random hex secret (0600) once: a CONFIGURE run again keeps the node's identity", async () => {
    const h = host();
    const recipe: Recipe = RecipeV1.parse({
      steps: [{ action: "generate_secret", path: "geth/nodekey" }],
      service: { runtime: "process", command: ["/bin/true"] },
    });
    await runRecipe(recipe, h.ctx);
    const file = join(h.chainDir, "geth/nodekey");
    const first = readFileSync(file, "utf8");
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await runRecipe(recipe, h.ctx);
    expect(readFileSync(file, "utf8")).toBe(first);
    const other = host();
    await runRecipe(recipe, other.ctx);
    expect(readFileSync(join(other.chainDir, "geth/nodekey"), "utf8")).not.toBe(first);
  });
});
