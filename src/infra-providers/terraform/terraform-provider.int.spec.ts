import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join, relative } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../observability/logger.js";
import type { AgentCredentialIssuer } from "../local/local-provider.js";
import { HostCreateError, HostDestroyError, InvalidNodeSpecError } from "../provider.js";
import { TerraformNotInstalledError, TerraformTimeoutError } from "./errors.js";
import { renderRootModule } from "./render.js";
import { createTerraformProvider, type TerraformProviderOptions } from "./terraform-provider.js";
import { writeFakeTerraform } from "./testing/fake-terraform.js";

/** The host material the recording issuer hands out for a node (the gateway itself is specified in src/gateway). */
function materialFor(nodeId: string) {
  const token = `npb_${nodeId}_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  const creds = (what: string) => `-----BEGIN NATS USER JWT-----\n${what}-${nodeId}-jwt\n------END NATS USER JWT------\n`;
  return {
    token,
    bootstrapCreds: creds("bootstrap"),
    leafAgentCreds: creds("leaf"),
    leafSystemCreds: creds("leaf-sys"),
    expiresAt: new Date(Date.now() + 3_600_000),
  };
}

/** The agent gateway's two calls, recorded. */
function recordingIssuer(): AgentCredentialIssuer & {
  issued: string[];
  revoked: string[];
  tokens: Map<string, string>;
  material: Map<string, ReturnType<typeof materialFor>>;
} {
  const issued: string[] = [];
  const revoked: string[] = [];
  const tokens = new Map<string, string>();
  const material = new Map<string, ReturnType<typeof materialFor>>();
  return {
    issued,
    revoked,
    tokens,
    material,
    async issueHostCredentials(nodeId) {
      issued.push(nodeId);
      const m = materialFor(nodeId);
      tokens.set(nodeId, m.token);
      material.set(nodeId, m);
      return m;
    },
    async revokeAgent(nodeId) {
      revoked.push(nodeId);
      return { revokedKeys: [] };
    },
  };
}

/** Every log line the provider writes, so a spec can check no secret reached one. */
function capturedLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ role: "test", level: "trace", destination }), text: () => lines.join("") };
}

/** The error a promise rejects with (undefined when it resolves, which the expectations then catch). */
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

interface Call {
  args: string[];
  cwd: string;
  tfvarsMode: number | null;
}

const spec = (nodeId: string) => ({
  nodeId,
  chainProfileId: "ethereum-mainnet",
  nodeType: "full",
  region: "eu-central-1",
  instanceType: "m6i.2xlarge",
});

describe("terraform provider against a fake terraform binary (adapter spec)", () => {
  let dir: string;
  let binDir: string;
  let log: string;
  const modulesRoot = join(import.meta.dirname, "../../../infra/terraform/modules");
  const calls = async (): Promise<Call[]> =>
    existsSync(log)
      ? (await readFile(log, "utf8"))
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Call)
      : [];
  const setup = (extra: Partial<TerraformProviderOptions> = {}) => {
    const issuer = recordingIssuer();
    const logs = capturedLogger();
    const provider = createTerraformProvider({
      dataDir: join(dir, "data"),
      moduleRegistry: { kind: "local", root: modulesRoot },
      credentialIssuer: issuer,
      hubLeafUrl: "tls://hub.nodeplane.test:17422",
      agentPackage: { sha256: "c3".repeat(32) },
      env: { ...process.env, PATH: `${binDir}${delimiter}/usr/bin${delimiter}/bin`, FAKE_TF_LOG: log },
      logger: logs.logger,
      ...extra,
    });
    return { provider, issuer, logs };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "np-tf-fake-"));
    binDir = join(dir, "bin");
    await mkdir(binDir);
    await writeFakeTerraform(binDir);
    log = join(dir, "calls.jsonl");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("create renders the root module, runs init, apply -json and output -json in the node's work dir, and returns the host", async () => {
    await rm(log, { force: true });
    const { provider, issuer, logs } = setup();
    const host = await provider.create(spec("node-a"));
    const workDir = join(dir, "data", "terraform", "node-a");

    expect(host).toMatchObject({
      provider: "terraform",
      hostId: "aws-i-06e6f64652d61",
      nodeId: "node-a",
      address: "3.120.0.6",
      instanceId: "i-06e6f64652d61",
      workDir,
      cloud: "aws",
    });
    const seen = await calls();
    expect(seen.map((c) => c.args)).toEqual([
      ["init", "-input=false", "-no-color"],
      ["apply", "-auto-approve", "-input=false", "-json", "-lock-timeout=60s"],
      ["output", "-json"],
    ]);
    expect(seen.every((c) => c.cwd === workDir)).toBe(true);
    expect(seen[0]!.tfvarsMode).toBe(0o600);

    const token = issuer.tokens.get("node-a")!;
    expect(issuer.issued).toEqual(["node-a"]);
    const mainTf = await readFile(join(workDir, "main.tf.json"), "utf8");
    expect(JSON.parse(mainTf)).toEqual(
      renderRootModule({
        spec: spec("node-a"),
        module: { source: relative(workDir, join(modulesRoot, "ethereum-mainnet")) },
        cloud: "aws",
        variables: { hub_leaf_url: "tls://hub.nodeplane.test:17422", agent_package_sha256: "c3".repeat(32) },
      }),
    );
    // The host package's checksum always reaches the module (its cloud-init refuses a package that does not match).
    expect((JSON.parse(mainTf) as { module: { node: Record<string, unknown> } }).module.node.agent_package_sha256).toBe("c3".repeat(32));
    expect(mainTf).not.toContain(token);
    const m = issuer.material.get("node-a")!;
    expect(JSON.parse(await readFile(join(workDir, "terraform.tfvars.json"), "utf8"))).toEqual({
      agent_bootstrap_token: token,
      agent_bootstrap_creds: m.bootstrapCreds,
      leaf_agent_creds: m.leafAgentCreds,
      leaf_system_creds: m.leafSystemCreds,
    });
    for (const creds of [m.bootstrapCreds, m.leafAgentCreds, m.leafSystemCreds]) expect(mainTf).not.toContain(creds);
    expect(statSync(join(workDir, "terraform.tfvars.json")).mode & 0o777).toBe(0o600);
    expect(logs.text()).toContain("terraform host applied");
    expect(logs.text()).not.toContain(token);

    expect((await provider.list()).map((h) => [h.hostId, h.nodeId, h.address])).toEqual([["aws-i-06e6f64652d61", "node-a", "3.120.0.6"]]);
  });

  it("a second create for the same node re-applies with the same token and returns the same host", async () => {
    await rm(log, { force: true });
    const { provider, issuer } = setup();
    const first = await provider.create(spec("node-b"));
    const again = await setup().provider.create(spec("node-b"));
    expect(again).toEqual({ ...first, appliedAt: again.appliedAt });
    expect(again.createdAt).toBe(first.createdAt);
    expect((await calls()).filter((c) => c.args[0] === "apply")).toHaveLength(2);
    expect(issuer.issued).toEqual(["node-b"]);
    const state = JSON.parse(await readFile(join(first.workDir, "terraform.tfstate"), "utf8")) as { applies: number };
    expect(state.applies).toBe(2);
  });

  it("destroy runs terraform destroy, revokes the agent and removes the work dir; a host already gone is not an error", async () => {
    const { provider, issuer } = setup();
    const host = await provider.create(spec("node-c"));
    await rm(log, { force: true });
    await provider.destroy(host);
    expect((await calls()).map((c) => c.args[0])).toEqual(["init", "destroy"]);
    expect((await calls())[1]!.args).toEqual(["destroy", "-auto-approve", "-input=false", "-json", "-lock-timeout=60s"]);
    expect(issuer.revoked).toEqual(["node-c"]);
    expect(existsSync(host.workDir)).toBe(false);
    expect((await provider.list()).map((h) => h.nodeId)).not.toContain("node-c");

    await rm(log, { force: true });
    await provider.destroy(host);
    expect(await calls()).toEqual([]);
    expect(issuer.revoked).toEqual(["node-c"]);
  });

  it("destroy of a node whose work dir holds another host refuses, and a failing terraform destroy keeps the work dir", async () => {
    const { provider } = setup();
    const host = await provider.create(spec("node-d"));
    await expect(provider.destroy({ hostId: "aws-i-other", nodeId: "node-d" })).rejects.toThrow(HostDestroyError);
    await writeFile(join(dir, "data", "terraform", "FAIL_DESTROY"), "");
    try {
      const err = await rejection(provider.destroy(host));
      expect(err).toBeInstanceOf(HostDestroyError);
      expect(err?.message).toContain("deleting EC2 Instance: UnauthorizedOperation — You are not authorized to perform this operation.");
      expect(existsSync(join(host.workDir, "terraform.tfstate"))).toBe(true);
    } finally {
      await rm(join(dir, "data", "terraform", "FAIL_DESTROY"));
    }
    await provider.destroy(host);
    expect(existsSync(host.workDir)).toBe(false);
  });

  it("an error diagnostic becomes a HostCreateError with its summary and detail, the token redacted, and a first create leaves nothing behind", async () => {
    await rm(log, { force: true });
    const { provider, issuer, logs } = setup();
    const err = await rejection(provider.create(spec("fail-1")));
    const token = issuer.tokens.get("fail-1")!;
    expect(err).toBeInstanceOf(HostCreateError);
    expect(err?.message).toContain("creating EC2 Instance: operation error EC2: RunInstances, api error InvalidParameterValue");
    expect(err?.message).toContain("User data is limited to 16384 bytes (token [redacted])");
    expect(err?.message).not.toContain(token);
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(token);
    expect(logs.text()).not.toContain(token);
    // the partial apply is destroyed, the token revoked, the work dir removed
    expect((await calls()).map((c) => c.args[0])).toEqual(["init", "apply", "destroy"]);
    expect(issuer.revoked).toEqual(["fail-1"]);
    expect(existsSync(join(dir, "data", "terraform", "fail-1"))).toBe(false);
  });

  it("a re-apply that fails leaves the existing host alone: no destroy, no revocation, host.json kept", async () => {
    const { provider, issuer } = setup();
    const host = await provider.create(spec("node-i"));
    await writeFile(join(dir, "data", "terraform", "FAIL_APPLY"), "");
    await rm(log, { force: true });
    try {
      const err = await rejection(provider.create(spec("node-i")));
      expect(err).toBeInstanceOf(HostCreateError);
      expect(err?.message).toContain("InvalidParameterValue");
    } finally {
      await rm(join(dir, "data", "terraform", "FAIL_APPLY"));
    }
    expect((await calls()).map((c) => c.args[0])).toEqual(["init", "apply"]);
    expect(issuer.revoked).toEqual([]);
    expect((await provider.list()).find((h) => h.nodeId === "node-i")?.hostId).toBe(host.hostId);
    await provider.destroy(host);
  });

  it("a first create whose cleanup destroy fails keeps its work dir, and the next create converges with the same token", async () => {
    const { provider, issuer } = setup();
    const markers = ["FAIL_APPLY", "FAIL_DESTROY"].map((m) => join(dir, "data", "terraform", m));
    for (const m of markers) await writeFile(m, "");
    let err: Error | undefined;
    try {
      err = await rejection(provider.create(spec("node-j")));
    } finally {
      for (const m of markers) await rm(m);
    }
    expect(err).toBeInstanceOf(HostCreateError);
    expect(err?.message).toMatch(/InvalidParameterValue.*destroying what was created failed too.*UnauthorizedOperation.*is kept/);
    expect(existsSync(join(dir, "data", "terraform", "node-j", "terraform.tfstate"))).toBe(true);
    expect(issuer.revoked).toEqual([]);
    const host = await provider.create(spec("node-j"));
    expect(host.nodeId).toBe("node-j");
    expect(issuer.issued).toEqual(["node-j"]);
    await provider.destroy(host);
  });

  it("a command past its timeout is interrupted (SIGINT) and the create fails with the timeout named", async () => {
    const { provider } = setup({ timeouts: { applyTimeoutMs: 300, interruptGraceMs: 2_000 } });
    const err = await rejection(provider.create(spec("slow-1")));
    expect(err).toBeInstanceOf(HostCreateError);
    expect(err?.cause).toBeInstanceOf(TerraformTimeoutError);
    expect(err?.message).toMatch(/terraform apply timed out after 300 ms and was interrupted: execution halted/);
    expect(existsSync(join(dir, "data", "terraform", "slow-1"))).toBe(false);
  });

  it("an invalid node spec or a profile without a module is refused before anything is written or run", async () => {
    await rm(log, { force: true });
    const { provider, issuer } = setup();
    await expect(provider.create({ nodeId: "node-e", chainProfileId: "ethereum-mainnet", region: "eu-central-1" })).rejects.toThrow(
      InvalidNodeSpecError,
    );
    await expect(provider.create({ ...spec("node-e"), region: '${file("/etc/shadow")}' })).rejects.toThrow(InvalidNodeSpecError);
    await expect(provider.create({ ...spec("node-e"), chainProfileId: "no-such-chain" })).rejects.toThrow(
      /no Terraform module for chain profile no-such-chain/,
    );
    await expect(provider.destroy({ hostId: "x", nodeId: "../../etc" })).rejects.toThrow(InvalidNodeSpecError);
    expect(existsSync(join(dir, "data", "terraform", "node-e"))).toBe(false);
    expect(issuer.issued).toEqual([]);
    expect(await calls()).toEqual([]);
  });

  it("without terraform or tofu on PATH: TerraformNotInstalledError and no work dir, no token", async () => {
    const empty = join(dir, "empty-bin");
    await mkdir(empty, { recursive: true });
    const { provider, issuer } = setup({ env: { PATH: empty, FAKE_TF_LOG: log } });
    const err = await rejection(provider.create(spec("node-f")));
    expect(err).toBeInstanceOf(TerraformNotInstalledError);
    expect(err?.message).toMatch(/terraform or tofu not found on PATH/);
    expect(existsSync(join(dir, "data", "terraform", "node-f"))).toBe(false);
    expect(issuer.issued).toEqual([]);

    const missing = setup({ binary: join(dir, "nowhere", "terraform") });
    await expect(missing.provider.create(spec("node-f"))).rejects.toThrow(TerraformNotInstalledError);
    expect(existsSync(join(dir, "data", "terraform", "node-f"))).toBe(false);
  });

  it("finds tofu when terraform is absent, and runs a configured binary by path", async () => {
    const tofuDir = join(dir, "tofu-bin");
    await mkdir(tofuDir, { recursive: true });
    await writeFakeTerraform(tofuDir, "tofu");
    await rm(log, { force: true });
    const viaTofu = setup({ env: { PATH: tofuDir, FAKE_TF_LOG: log } });
    const host = await viaTofu.provider.create(spec("node-g"));
    expect(host.hostId).toMatch(/^aws-i-0/);
    await viaTofu.provider.destroy(host);
    const byPath = setup({ binary: join(tofuDir, "tofu"), env: { PATH: "", FAKE_TF_LOG: log } });
    expect((await byPath.provider.create(spec("node-h"))).nodeId).toBe("node-h");
    expect((await readdir(join(dir, "data", "terraform"))).sort()).toContain("node-h");
  });
});
