import { createHash } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { CommandFailedError, type NewCommand } from "../commands/index.js";
import { InjectKeysResultV1 } from "../../schemas/agent/index.js";
import { DekNotFoundError } from "../crypto/index.js";
import type { NodeCommand, NodeHost } from "../domain/index.js";
import { type StepHeartbeat, NonRetryableError } from "../saga/index.js";
import { lifecycleTimeouts, type LifecycleDeps } from "./deps.js";

/** Shared effects of the provision, migrate and terminate sagas; each is idempotent per step key. */

/** Applies a node command as the saga (actor and correlation = the saga id); a repeat is a no-op in the decider. */
export async function applyNodeCommand(
  deps: LifecycleDeps,
  hb: Pick<StepHeartbeat, "sagaId">,
  nodeId: string,
  command: DistributiveOmit<NodeCommand, "at">,
): Promise<void> {
  const now = deps.now();
  await deps.nodes.handle(
    nodeId,
    { ...command, at: now.toISOString() } as NodeCommand,
    { actor: `saga:${hb.sagaId}`, correlationId: hb.sagaId },
    now,
  );
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * A command id from the step's idempotency key and its try (1 + the failed attempts before it): the
 * same on a replay and on an attempt that resumes an interrupted one (the agent never runs a command
 * twice because the control plane restarted), new on a retry after a failure.
 */
export function commandIdFor(idempotencyKey: string, attempt: number, part = ""): string {
  return `cmd-${createHash("sha256").update(`${idempotencyKey}|${part}|${attempt}`).digest("hex").slice(0, 40)}`;
}

/** The try an attempt's command belongs to: interrupted attempts share it. */
const tryOf = (hb: Pick<StepHeartbeat, "failedBefore">): number => hb.failedBefore + 1;

/** Waits until the host's agent heartbeats (it registered and took its first commands channel). */
export async function waitForAgentReady(
  deps: LifecycleDeps,
  host: NodeHost,
  hb: StepHeartbeat,
): Promise<{ agentId: string; instanceId: string; agentVersion: string }> {
  while (!hb.signal.aborted) {
    const state = await deps.commands.readAgentState(host.agentId);
    if (state) return { agentId: host.agentId, instanceId: state.instanceId, agentVersion: state.agentVersion };
    hb();
    await delay(lifecycleTimeouts(deps).agentReadyPollMs, undefined, { signal: hb.signal }).catch(() => undefined);
  }
  throw hb.signal.reason ?? new Error("WaitForAgentReady was aborted");
}

/**
 * Sends one command to an agent and waits for its ending (R-CMD-3). An attempt that resumes an
 * interrupted one finds the command that attempt queued (same id) and waits for it; a retry after a
 * failure first looks at the previous try's command: still running or completed, it is awaited
 * instead of sent again, so neither a crash nor a restart runs a command twice; only a command that
 * failed is sent anew.
 */
export async function sendCommandAndWait(
  deps: LifecycleDeps,
  agentId: string,
  command: DistributiveOmit<NewCommand, "id">,
  hb: StepHeartbeat,
  part = "",
): Promise<Record<string, unknown>> {
  const wait = (commandId: string) =>
    deps.commands.waitForCommandCompletion({
      nodeId: agentId,
      commandId,
      heartbeat: () => hb(),
      signal: hb.signal,
      ...(deps.liveness ? { config: deps.liveness } : {}),
    });
  if (hb.failedBefore > 0) {
    const previous = commandIdFor(hb.idempotencyKey, tryOf(hb) - 1, part);
    if (await deps.commands.store.readRecord(previous)) {
      try {
        return await wait(previous);
      } catch (err) {
        if (!(err instanceof CommandFailedError)) throw err;
      }
    }
  }
  const id = await enqueueOnce(deps, agentId, command, hb, part);
  return wait(id);
}

/** Queues the attempt's command unless it was queued already; returns its id. */
export async function enqueueOnce(
  deps: LifecycleDeps,
  agentId: string,
  command: DistributiveOmit<NewCommand, "id">,
  hb: StepHeartbeat,
  part = "",
): Promise<string> {
  const id = commandIdFor(hb.idempotencyKey, tryOf(hb), part);
  if (!(await deps.commands.store.readRecord(id))) {
    await deps.commands.enqueueCommand(agentId, { ...command, id, correlationId: hb.sagaId } as NewCommand);
  }
  return id;
}

/** The keys to deliver to a host: every key the vault holds for the node, with where the profile puts it. */
export interface KeyPlacement {
  keyName: string;
  path: string;
  format: "raw" | "hex" | "base64" | "json";
}

/** InjectKeys: the agent fetches the node's keys sealed to a one-time key and writes them (INJECT_KEYS). */
export async function injectKeys(
  deps: LifecycleDeps,
  nodeId: string,
  host: NodeHost,
  keys: readonly KeyPlacement[],
  hb: StepHeartbeat,
): Promise<{ injected: string[] }> {
  if (keys.length === 0) return { injected: [] };
  const r = await sendCommandAndWait(
    deps,
    host.agentId,
    { type: "INJECT_KEYS", payload: { keyOwner: nodeId, keys: keys.map((k) => ({ keyName: k.keyName, path: k.path, format: k.format })) } },
    hb,
  );
  return { injected: InjectKeysResultV1.parse(r).injected.map((k) => k.keyName) };
}

/** Crypto-shredding (R-KEY-3): the DEK goes, so every stored and backed-up key of the node is unrecoverable. */
export async function deleteNodeKeys(deps: LifecycleDeps, nodeId: string, hb: Pick<StepHeartbeat, "sagaId">): Promise<void> {
  await deps.vault.deleteDek(nodeId);
  await applyNodeCommand(deps, hb, nodeId, { type: "RecordKeysDeleted" });
}

/** Destroys a host through its provider (idempotent: a host already gone is fine) and records the release. */
export async function destroyHost(deps: LifecycleDeps, nodeId: string, host: NodeHost, hb: Pick<StepHeartbeat, "sagaId">): Promise<void> {
  await deps.providers(host.provider).destroy({ hostId: host.hostId, nodeId: host.agentId });
  await applyNodeCommand(deps, hb, nodeId, { type: "ReleaseHost", hostId: host.hostId });
}

/** True once the node's DEK is gone (the keys are unrecoverable). */
export async function dekShredded(deps: LifecycleDeps, nodeId: string): Promise<boolean> {
  try {
    (await deps.vault.dekFor(nodeId)).fill(0);
    return false;
  } catch (err) {
    if (err instanceof DekNotFoundError) return true;
    throw err;
  }
}

/** The node's current aggregate state, or a NonRetryableError when there is no such node. */
export async function loadNode(deps: LifecycleDeps, nodeId: string) {
  const { state } = await deps.nodes.load(nodeId);
  if (!state) throw new NonRetryableError(`node ${nodeId} does not exist`);
  return state;
}
