import { unavailable } from "../availability.js";
import { terraformAvailability } from "./availability.js";
import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { z } from "zod";
import { defaults } from "../../config/index.js";
import type { Logger } from "../../observability/index.js";
import type { AgentCredentialIssuer } from "../local/local-provider.js";
import {
  HostCreateError,
  HostDestroyError,
  HostStateError,
  InvalidNodeSpecError,
  type Host,
  type InfrastructureProvider,
} from "../provider.js";
import { findTerraformBinary } from "./binary.js";
import { moduleFor, type ModuleRegistry } from "./registry.js";
import type { AgentPackage } from "./config.js";
import { renderRootModule, renderSensitiveVariables } from "./render.js";
import { parseHostOutputs } from "./outputs.js";
import { runTerraform } from "./run.js";
import {
  readAllTerraformHosts,
  readTerraformHost,
  workDirPaths,
  writeFileAtomic,
  type TerraformHost,
  type TerraformHostState,
} from "./state.js";
import { parseTerraformNodeSpec, patterns, type BackendConfig, type ExtraVariables, type TerraformNodeSpec } from "./values.js";

/** How long each terraform command may run (defaults.terraform). */
export interface TerraformTimeouts {
  initTimeoutMs: number;
  applyTimeoutMs: number;
  destroyTimeoutMs: number;
  outputTimeoutMs: number;
  interruptGraceMs: number;
  stateLockTimeoutSeconds: number;
}

export interface TerraformProviderOptions {
  /** NODEPLANE_DATA_DIR: each node's root module, tfvars and (local backend) state live in `<dataDir>/terraform/<nodeId>/`. */
  dataDir: string;
  /** The target cloud (`aws` by default): the provider block and the registry module name's last part. */
  cloud?: string;
  /** `terraform`, `tofu` or a path; unset: the first of terraform, tofu on the PATH of `env`. */
  binary?: string;
  moduleRegistry: ModuleRegistry;
  /** Issues the host's one-time bootstrap token and revokes the agent's credentials at destroy (the agent gateway). */
  credentialIssuer: AgentCredentialIssuer;
  /** The hub's leaf-node URL the host's agent connects to (tls://… in operator mode). */
  hubLeafUrl: string;
  /** The nodeplane host package cloud hosts install: its sha256 is required, a host refuses a package that does not match. */
  agentPackage: AgentPackage;
  sshKeyName?: string;
  /** More module variables (literals), e.g. `{ data_volume_size_gb: 3000 }`. */
  variables?: ExtraVariables;
  /** A remote state backend; `{nodeId}` in a string setting is replaced (e.g. an S3 key per node). Default: local state in the work dir. */
  backend?: BackendConfig;
  /** The environment terraform runs with (cloud credentials, PATH); process.env by default. */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  timeouts?: Partial<TerraformTimeouts>;
}

/** The terraform provider: its hosts are `TerraformHost`s (work dir, cloud, module, instance id). */
export interface TerraformProvider extends InfrastructureProvider<TerraformHost> {
  readonly dataDir: string;
}

const SecretsFile = z.object({
  agent_bootstrap_token: z.string().min(1),
  agent_bootstrap_creds: z.string().min(1),
  leaf_agent_creds: z.string().min(1),
  leaf_system_creds: z.string().min(1),
});
type SecretsFile = z.infer<typeof SecretsFile>;

/** Every string of the host's material that must never appear in an output (whole texts, and each JWT and seed of a creds text). */
function secretStrings(s: SecretsFile): string[] {
  const out: string[] = [s.agent_bootstrap_token];
  for (const creds of [s.agent_bootstrap_creds, s.leaf_agent_creds, s.leaf_system_creds]) {
    out.push(creds);
    for (const line of creds.split("\n")) if (/^(ey|SU)[A-Za-z0-9._-]{20,}$/.test(line.trim())) out.push(line.trim());
  }
  return out;
}

/**
 * Cloud hosts through Terraform/OpenTofu (R-INFRA-1): per node a root module in JSON syntax that calls
 * the chain profile's module, `init` + `apply -json`, the host read from `output -json`. The host's
 * bootstrap material (token, bootstrap user, leaf users: all for this node only) lives only in the work
 * dir's 0600 tfvars (and the state), never in main.tf.json, logs or errors.
 */
export function createTerraformProvider(o: TerraformProviderOptions): TerraformProvider {
  const cloud = o.cloud ?? "aws";
  const t: TerraformTimeouts = { ...defaults.terraform, ...o.timeouts };
  const baseEnv = o.env ?? process.env;
  const env: NodeJS.ProcessEnv = { ...baseEnv, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
  let binary: string | undefined;
  const terraformBinary = () => (binary ??= findTerraformBinary(o.binary, baseEnv.PATH));
  const locks = new Map<string, Promise<unknown>>();
  const serial = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const next = (locks.get(key) ?? Promise.resolve()).catch(() => undefined).then(fn);
    locks.set(key, next);
    return next.finally(() => {
      if (locks.get(key) === next) locks.delete(key);
    });
  };
  const lock = `-lock-timeout=${t.stateLockTimeoutSeconds}s`;
  const tf = (bin: string, cwd: string, args: string[], timeoutMs: number, secrets: string[]) =>
    runTerraform({ binary: bin, args, cwd, env, timeoutMs, interruptGraceMs: t.interruptGraceMs, secrets, logger: o.logger });

  /** The material of an earlier create of this node (reused, so a re-apply does not change the host's user data). */
  const savedSecrets = async (tfvars: string): Promise<SecretsFile | undefined> => {
    if (!existsSync(tfvars)) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(tfvars, "utf8"));
    } catch (err) {
      // no cause: a parse error quotes the file, which holds the token
      throw new HostStateError(`cannot read ${tfvars}: ${(err as Error).name}`);
    }
    const parsed = SecretsFile.safeParse(json);
    if (!parsed.success) throw new HostStateError(`${tfvars} does not hold the host's bootstrap material`);
    return parsed.data;
  };

  const toHost = (s: TerraformHostState): TerraformHost => ({ ...s, provider: "terraform" });

  const createHost = async (spec: TerraformNodeSpec, bin: string): Promise<TerraformHost> => {
    const p = workDirPaths(o.dataDir, spec.nodeId);
    const module = moduleFor(o.moduleRegistry, spec.chainProfileId, cloud, p.dir);
    const root = renderRootModule({
      spec,
      module,
      cloud,
      ...(o.backend ? { backend: o.backend } : {}),
      variables: {
        hub_leaf_url: o.hubLeafUrl,
        agent_package_sha256: o.agentPackage.sha256,
        ...(o.agentPackage.url !== undefined ? { agent_package_url: o.agentPackage.url } : {}),
        ...(o.sshKeyName !== undefined ? { ssh_key_name: o.sshKeyName } : {}),
        ...(o.variables ? { extra: o.variables } : {}),
      },
    });
    const existing = await readTerraformHost(p.hostJson);
    const saved = await savedSecrets(p.tfvars);
    const secrets: string[] = saved ? secretStrings(saved) : [];
    // saved material means an earlier create got as far as writing it: its apply may have created resources
    let applyStarted = saved !== undefined;
    try {
      const material =
        saved ??
        (await (async () => {
          const m = await o.credentialIssuer.issueHostCredentials(spec.nodeId);
          return {
            agent_bootstrap_token: m.token,
            agent_bootstrap_creds: m.bootstrapCreds,
            leaf_agent_creds: m.leafAgentCreds,
            leaf_system_creds: m.leafSystemCreds,
          };
        })());
      secrets.push(...secretStrings(material));
      await mkdir(p.dir, { recursive: true, mode: 0o700 });
      await writeFileAtomic(p.mainTf, `${JSON.stringify(root, null, 2)}\n`, 0o644);
      if (!saved) await writeFileAtomic(p.tfvars, `${JSON.stringify(renderSensitiveVariables(material), null, 2)}\n`, 0o600);
      await tf(bin, p.dir, ["init", "-input=false", "-no-color"], t.initTimeoutMs, secrets);
      applyStarted = true;
      await tf(bin, p.dir, ["apply", "-auto-approve", "-input=false", "-json", lock], t.applyTimeoutMs, secrets);
      const { stdout } = await tf(bin, p.dir, ["output", "-json"], t.outputTimeoutMs, secrets);
      const out = parseHostOutputs(stdout);
      const now = new Date().toISOString();
      const state: TerraformHostState = {
        v: 1,
        provider: "terraform",
        hostId: out.host_id,
        nodeId: spec.nodeId,
        address: out.address,
        ...(out.instance_id ? { instanceId: out.instance_id } : {}),
        createdAt: existing?.createdAt ?? now,
        appliedAt: now,
        spec,
        cloud,
        module,
        workDir: p.dir,
      };
      await writeFileAtomic(p.hostJson, `${JSON.stringify(state, null, 2)}\n`, 0o600);
      o.logger.info(
        { nodeId: spec.nodeId, hostId: state.hostId, address: state.address, reapplied: existing !== undefined },
        "terraform host applied",
      );
      return toHost(state);
    } catch (err) {
      // a host that existed before stays as it is; a first create that failed leaves nothing behind
      // (a destroy that fails too keeps the work dir, whose state is the only record of what exists)
      if (!existing) await undoFirstCreate(spec.nodeId, bin, applyStarted, secrets, err);
      throw err instanceof HostCreateError || err instanceof InvalidNodeSpecError
        ? err
        : new HostCreateError(`creating the host of ${spec.nodeId} failed: ${(err as Error).message}`, { cause: err });
    }
  };

  const undoFirstCreate = async (nodeId: string, bin: string, applyStarted: boolean, secrets: string[], cause: unknown): Promise<void> => {
    const p = workDirPaths(o.dataDir, nodeId);
    if (applyStarted) {
      try {
        await tf(bin, p.dir, ["destroy", "-auto-approve", "-input=false", "-json", lock], t.destroyTimeoutMs, secrets);
      } catch (err) {
        o.logger.error({ nodeId, err: (err as Error).message }, "terraform: destroying a failed first create failed; the work dir is kept");
        throw new HostCreateError(
          `creating the host of ${nodeId} failed (${(cause as Error).message}) and destroying what was created failed too (${(err as Error).message}); its work dir ${p.dir} is kept`,
          { cause },
        );
      }
    }
    await o.credentialIssuer
      .revokeAgent(nodeId)
      .catch((err: unknown) => o.logger.warn({ nodeId, err: (err as Error).message }, "terraform: revoking a failed host's agent failed"));
    await rm(p.dir, { recursive: true, force: true });
  };

  const destroyHost = async (host: Pick<Host, "hostId" | "nodeId">): Promise<void> => {
    const p = workDirPaths(o.dataDir, host.nodeId);
    if (!existsSync(p.dir)) return;
    const saved = await readTerraformHost(p.hostJson);
    if (saved && saved.hostId !== host.hostId)
      throw new HostDestroyError(`the work dir of ${host.nodeId} holds host ${saved.hostId}, not ${host.hostId}`);
    if (existsSync(p.mainTf) && existsSync(p.tfvars)) {
      const bin = terraformBinary();
      const material = await savedSecrets(p.tfvars);
      const secrets = material ? secretStrings(material) : [];
      try {
        await tf(bin, p.dir, ["init", "-input=false", "-no-color"], t.initTimeoutMs, secrets);
        await tf(bin, p.dir, ["destroy", "-auto-approve", "-input=false", "-json", lock], t.destroyTimeoutMs, secrets);
      } catch (err) {
        throw new HostDestroyError(`destroying ${host.hostId} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    try {
      await o.credentialIssuer.revokeAgent(host.nodeId);
    } catch (err) {
      throw new HostDestroyError(`revoking the credentials of ${host.nodeId} failed: ${(err as Error).message}`, { cause: err });
    }
    await rm(p.dir, { recursive: true, force: true });
    o.logger.info({ nodeId: host.nodeId, hostId: host.hostId }, "terraform host destroyed");
  };

  return {
    name: "terraform",
    /** Binary, the profile's module and the cloud's credentials, as `init`/`apply` will need them (terraform/availability.ts). */
    availability: (placement) =>
      placement.provider !== cloud
        ? unavailable(`this terraform provider serves ${cloud}, not ${placement.provider}`)
        : terraformAvailability({
            cloud,
            chainProfileId: placement.chainProfileId,
            ...(o.binary !== undefined ? { binary: o.binary } : {}),
            moduleRegistry: o.moduleRegistry,
            env: baseEnv,
          }),
    dataDir: o.dataDir,
    async create(input) {
      const spec = parseTerraformNodeSpec(input);
      const bin = terraformBinary();
      return serial(spec.nodeId, () => createHost(spec, bin));
    },
    async destroy(host) {
      if (!patterns.nodeId.test(host.nodeId)) throw new InvalidNodeSpecError("a node id must be one subject token");
      return serial(host.nodeId, () => destroyHost(host));
    },
    async list() {
      return (await readAllTerraformHosts(o.dataDir)).map(toHost);
    },
  };
}
