import type { z } from "zod";
import { generateKey, oneTimeKeyPair, openSealedBox, withServerKeyPair, type KeyType, type X25519KeyPair } from "../../crypto/index.js";
import { CaptureKeyResultV2 } from "../../../schemas/agent/index.js";
import { CommandFailedError } from "../../commands/index.js";
import { type StepHeartbeat, NonRetryableError, type Duration } from "../../saga/index.js";
import type { NodeKeyMetadata, NodeHost } from "../../domain/index.js";
import { lifecycleTimeouts, type LifecycleDeps } from "../deps.js";
import {
  applyNodeCommand,
  enqueueOnce,
  injectKeys,
  sendCommandAndWait,
  waitForAgentReady,
  deleteNodeKeys,
  destroyHost,
} from "../node-activities.js";
import type { StepFailure } from "../steps.js";
import { configureCommand } from "../recipes.js";
import type { ProvisionInput } from "./provision.saga.js";

/** A key of the node as the chain profile declares it (a secret input, R-IN-1). */
export interface PlannedKey {
  name: string;
  keyType: string;
  /** Where the agent writes it (or, chain-generated, reads it), relative to the chain data dir. */
  path: string;
  format: "raw" | "hex" | "base64" | "json";
}

/** What ValidateProvisionInputs resolved: the keys by source and the inputs to mark applied. */
export interface ProvisionPlan {
  generated: PlannedKey[];
  userProvided: PlannedKey[];
  chainGenerated: PlannedKey[];
  keyNames: string[];
  inputNames: string[];
}

/** The inputs do not satisfy the profile: provisioning cannot go on until a user provides them. */
export class ProvisionInputsMissingError extends NonRetryableError {
  override name = "ProvisionInputsMissingError";
}

/** The effects of the provision saga, one per step (SPEC §5), keyed for idempotence by the step. */
export interface ProvisionActivities {
  timeouts: { runTerraform: Duration; agentReady: Duration; commandAck: Duration; commandCompletion: Duration; inputs: Duration };
  /** The plan, or the required inputs still missing (the saga then waits for them). */
  validateProvisionInputs(
    input: ProvisionInput,
    hb: StepHeartbeat,
  ): Promise<{ ok: true; plan: ProvisionPlan } | { ok: false; missing: string[] }>;
  generateNodeKeys(nodeId: string, plan: ProvisionPlan, hb: StepHeartbeat): Promise<NodeKeyMetadata[]>;
  prepareUserProvidedKeys(input: ProvisionInput, plan: ProvisionPlan, hb: StepHeartbeat): Promise<NodeKeyMetadata[]>;
  runTerraform(input: ProvisionInput, plan: ProvisionPlan, hb: StepHeartbeat): Promise<NodeHost>;
  waitForAgentReady(host: NodeHost, hb: StepHeartbeat): Promise<{ agentId: string; instanceId: string; agentVersion: string }>;
  sendConfigureCommand(input: ProvisionInput, host: NodeHost, hb: StepHeartbeat): Promise<{ commandId: string }>;
  waitForCommandCompletion(host: NodeHost, commandId: string, hb: StepHeartbeat): Promise<Record<string, unknown>>;
  captureChainGeneratedKeys(nodeId: string, host: NodeHost, plan: ProvisionPlan, hb: StepHeartbeat): Promise<NodeKeyMetadata[]>;
  injectKeys(nodeId: string, host: NodeHost, plan: ProvisionPlan, hb: StepHeartbeat): Promise<{ injected: string[] }>;
  startNode(nodeId: string, host: NodeHost, hb: StepHeartbeat): Promise<void>;
  markInputsApplied(input: ProvisionInput, plan: ProvisionPlan, hb: StepHeartbeat): Promise<void>;
  // compensations
  deleteNodeKeys(nodeId: string, hb: StepHeartbeat): Promise<void>;
  destroyHost(nodeId: string, host: NodeHost, hb: StepHeartbeat): Promise<void>;
  markNodeFailed(nodeId: string, failure: StepFailure, hb: StepHeartbeat): Promise<void>;
}

/**
 * One CAPTURE_KEY (v2): a one-time X25519 pair of the control plane, its public half in the payload;
 * the agent seals the key file to it. The pair lives only in this call's memory, so the command id
 * carries its public key: a replayed or retried step makes a new pair and a new command rather than
 * wait for a result sealed to a secret key that is gone. The caller zeroes `pair.secretKey`.
 */
async function captureSealed(
  deps: LifecycleDeps,
  agentId: string,
  k: PlannedKey,
  hb: StepHeartbeat,
): Promise<{ result: z.infer<typeof CaptureKeyResultV2>; pair: X25519KeyPair }> {
  const pair = oneTimeKeyPair();
  try {
    const recipientPublicKey = Buffer.from(pair.publicKey).toString("base64");
    const command = { type: "CAPTURE_KEY" as const, payload: { keyName: k.name, keyPath: k.path, keyType: k.keyType, recipientPublicKey } };
    const commandId = await enqueueOnce(deps, agentId, command, hb, `${k.name}|${Buffer.from(pair.publicKey).toString("hex")}`);
    const result = await deps.commands.waitForCommandCompletion({
      nodeId: agentId,
      commandId,
      heartbeat: () => hb(),
      signal: hb.signal,
      ...(deps.liveness ? { config: deps.liveness } : {}),
    });
    return { result: CaptureKeyResultV2.parse(result), pair };
  } catch (err) {
    pair.secretKey.fill(0);
    throw err;
  }
}

/** The vault's key types are generated here; other types (JSON key files, opaque secrets) come from users or chains. */
const GENERATABLE = new Set<string>(["ed25519", "secp256k1", "bls12-381", "hex32"]);

/** Builds the provision activities over the lifecycle deps. */
export function provisionActivities(deps: LifecycleDeps): ProvisionActivities {
  const l = lifecycleTimeouts(deps);
  /** A stored key's event metadata: public key and its fingerprint, or a keyed HMAC; never a hash of the key (R-KEY-3). */
  const describedKey = async (nodeId: string, k: PlannedKey, source: NodeKeyMetadata["source"]): Promise<NodeKeyMetadata> => {
    const d = await deps.vault.describeNodeKey(nodeId, k.name, k.keyType);
    return { name: k.name, type: k.keyType, source, fingerprint: d.fingerprint, ...(d.publicKey ? { publicKey: d.publicKey } : {}) };
  };

  return {
    timeouts: {
      runTerraform: l.runTerraformTimeoutMs,
      agentReady: l.agentReadyTimeoutMs,
      commandAck: l.commandAckTimeoutMs,
      commandCompletion: l.commandCompletionTimeoutMs,
      inputs: l.inputsWaitTimeoutMs,
    },

    async validateProvisionInputs(input) {
      const resolved = await deps.inputs.resolveProvisionInputs(input.subscriptionId, input.chainProfileId);
      if (resolved.missing.length > 0) return { ok: false, missing: resolved.missing };
      const keys = resolved.secrets.map((s) => ({ name: s.name, keyType: s.keyType, path: s.path, format: s.format, source: s.source }));
      for (const k of keys) {
        if (k.source === "generated" && !GENERATABLE.has(k.keyType))
          throw new ProvisionInputsMissingError(`input ${k.name}: key type ${k.keyType} cannot be generated`);
      }
      const pick = (source: string): PlannedKey[] => keys.filter((k) => k.source === source).map(({ source: _s, ...k }) => k);
      return {
        ok: true,
        plan: {
          generated: pick("generated"),
          userProvided: pick("user_provided"),
          chainGenerated: pick("chain_generated"),
          keyNames: keys.map((k) => k.name),
          inputNames: resolved.applicable,
        },
      };
    },

    async generateNodeKeys(nodeId, plan, hb) {
      await deps.vault.createDek(nodeId);
      const out: NodeKeyMetadata[] = [];
      for (const k of plan.generated) {
        // A retried step finds the key the crashed attempt made and stored, and keeps it.
        if (!(await deps.vault.readEncryptedKey(nodeId, k.name))) {
          await deps.vault.encryptNodeKey(nodeId, k.name, generateKey(k.keyType as KeyType).privateKey); // zeroes the private key
        }
        out.push(await describedKey(nodeId, k, "generated"));
      }
      await applyNodeCommand(deps, hb, nodeId, { type: "RecordNodeKeys", keys: out });
      return out;
    },

    async prepareUserProvidedKeys(input, plan, hb) {
      const out: NodeKeyMetadata[] = [];
      for (const k of plan.userProvided) {
        const sealed = await deps.inputs.readSealedSecret(input.subscriptionId, k.name);
        if (!sealed) {
          // Already moved into the vault by an earlier attempt (the sealed copy is deleted only after apply).
          if (await deps.vault.readEncryptedKey(input.nodeId, k.name)) continue;
          throw new ProvisionInputsMissingError(`input ${k.name}: the sealed secret is gone`);
        }
        // The server key pair is loaded for this one opening and its secret half zeroed right after.
        const plain = await withServerKeyPair(deps.serverKeyPair, (pair) => openSealedBox(sealed, pair));
        await deps.vault.encryptNodeKey(input.nodeId, k.name, plain); // zeroes plain
        out.push(await describedKey(input.nodeId, k, "user_provided"));
      }
      if (out.length > 0) await applyNodeCommand(deps, hb, input.nodeId, { type: "RecordNodeKeys", keys: out });
      return out;
    },

    async runTerraform(input, _plan, hb) {
      const agentId = input.nodeId;
      hb();
      const host = await deps.providers(input.provider).create({
        nodeId: agentId,
        chainProfileId: input.chainProfileId,
        nodeType: input.nodeType,
        region: input.region,
        instanceType: input.instanceType,
        ...(deps.agentArgsFor ? { agentArgs: [...deps.agentArgsFor(input.chainProfileId)] } : {}),
      });
      const assigned: NodeHost = { provider: host.provider, hostId: host.hostId, address: host.address, agentId };
      await applyNodeCommand(deps, hb, input.nodeId, { type: "AssignHost", host: assigned });
      return assigned;
    },

    waitForAgentReady: (host, hb) => waitForAgentReady(deps, host, hb),

    async sendConfigureCommand(input, host, hb) {
      await applyNodeCommand(deps, hb, input.nodeId, { type: "MarkConfiguring" });
      const command = await configureCommand(deps, input.chainProfileId, input.nodeType);
      const commandId = await enqueueOnce(deps, host.agentId, command, hb);
      try {
        await deps.commands.waitForCommandAck({
          nodeId: host.agentId,
          commandId,
          heartbeat: () => hb(),
          signal: hb.signal,
          ...(deps.liveness ? { config: deps.liveness } : {}),
        });
      } catch (err) {
        // The agent took it and it already failed: that is the next step's verdict, not a reason to send it again.
        if (!(err instanceof CommandFailedError)) throw err;
      }
      return { commandId };
    },

    waitForCommandCompletion: (host, commandId, hb) =>
      deps.commands.waitForCommandCompletion({
        nodeId: host.agentId,
        commandId,
        heartbeat: () => hb(),
        signal: hb.signal,
        ...(deps.liveness ? { config: deps.liveness } : {}),
      }),

    async captureChainGeneratedKeys(nodeId, host, plan, hb) {
      const out: NodeKeyMetadata[] = [];
      for (const k of plan.chainGenerated) {
        const sealed = await captureSealed(deps, host.agentId, k, hb);
        try {
          await deps.vault.importSealedKey(nodeId, k.name, Buffer.from(sealed.result.sealed, "base64"), sealed.pair);
        } finally {
          sealed.pair.secretKey.fill(0);
        }
        out.push(await describedKey(nodeId, k, "chain_generated"));
      }
      await applyNodeCommand(deps, hb, nodeId, { type: "RecordNodeKeys", keys: out });
      return out;
    },

    injectKeys: (nodeId, host, plan, hb) =>
      injectKeys(
        deps,
        nodeId,
        host,
        [...plan.generated, ...plan.userProvided].map((k) => ({ keyName: k.name, path: k.path, format: k.format })),
        hb,
      ),

    async startNode(nodeId, host, hb) {
      await applyNodeCommand(deps, hb, nodeId, { type: "MarkStarting" });
      await sendCommandAndWait(deps, host.agentId, { type: "START", payload: {} }, hb);
      await applyNodeCommand(deps, hb, nodeId, { type: "MarkSyncing" });
      await deps.syncWatcher.watchNodeSync(host.agentId, nodeId);
    },

    async markInputsApplied(input, plan, hb) {
      const at = deps.now();
      await deps.inputs.markInputsApplied(input.subscriptionId, input.nodeId, plan.inputNames, at);
      await applyNodeCommand(deps, hb, input.nodeId, {
        type: "RecordInputsApplied",
        subscriptionId: input.subscriptionId,
        inputs: plan.inputNames,
      });
      // The sealed copies served their purpose: the keys now live only under the node's DEK.
      await deps.inputs.deleteSealedSecrets(input.subscriptionId);
    },

    deleteNodeKeys: (nodeId, hb) => deleteNodeKeys(deps, nodeId, hb),
    destroyHost: (nodeId, host, hb) => destroyHost(deps, nodeId, host, hb),
    markNodeFailed: (nodeId, failure, hb) =>
      applyNodeCommand(deps, hb, nodeId, { type: "FailProvision", step: failure.step, reason: failure.reason }),
  };
}
