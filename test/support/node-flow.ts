import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { runCli } from "./processes.js";
import type { UpSystem } from "./up-system.js";
import { until } from "./until.js";
import { needlesOf, scanFor, type Needle } from "./secret-scan.js";
import { hostIdFor, hostPaths, isRunning, readPidFile, type PidRecord } from "../../src/infra-providers/index.js";
import { DekNotFoundError } from "../../src/crypto/index.js";

/**
 * The steps a user's client takes in the node lifecycle e2e (issue 5), shared by its flows: subscribe,
 * pay, wait for `running`, find the host's processes, terminate and check that nothing is left.
 */

export type Json = Record<string, unknown>;
const T0 = Date.now();
export const tmark = (m: string) => {
  if (process.env.E2E_TIMINGS) process.stderr.write(`[t+${((Date.now() - T0) / 1000).toFixed(1)}s] ${m}\n`);
};

/** Where a node's host lives on this machine (the local provider's layout, src/infra-providers/README.md). */
export function hostOf(sys: UpSystem, nodeId: string) {
  const p = hostPaths(join(sys.dataDir, "hosts"), hostIdFor(nodeId));
  return { ...p, chain: join(p.agentData, "chain"), agentRun: join(p.agentData, "agent", "run") };
}

/** POST subscription; returns its id, placement provider and event position (for read-your-writes). */
export async function subscribe(
  sys: UpSystem,
  tok: string,
  body: { chainProfileId: string; nodeType: string; durationDays: number },
): Promise<{ subscriptionId: string; provider: string; position: string }> {
  const sub = await sys.call("POST", "/api/v1/subscriptions", tok, body);
  expect(sub.status, JSON.stringify(sub.body)).toBe(201);
  const position = sub.headers.get("x-event-position");
  expect(position).toMatch(/^\d+$/);
  return { subscriptionId: String(sub.body.id), provider: String(sub.body.provider), position: position! };
}

/** Pays a subscription and completes the payment with the CLI (the local payment provider); resolves with the node id. */
export async function payAndActivate(sys: UpSystem, tok: string, subscriptionId: string): Promise<string> {
  const pay = await sys.call("POST", "/api/v1/payments", tok, { subscriptionIds: [subscriptionId] });
  expect(pay.status, JSON.stringify(pay.body)).toBe(201);
  tmark("pay");
  let done = await runCli(["payments", "complete", String(pay.body.id)], sys.env);
  // A NATS request timeout on a loaded machine: payment.completed is deduplicated by its message id, so once more is safe.
  if (done.code !== 0 && /timeout/i.test(done.stderr)) done = await runCli(["payments", "complete", String(pay.body.id)], sys.env);
  expect(done.code, done.stderr).toBe(0);
  let seen: Json = {};
  const active = await until(
    "subscription active",
    async () => {
      seen = (await sys.call("GET", `/api/v1/subscriptions/${subscriptionId}`, tok)).body;
      return seen.status === "active" && typeof seen.nodeId === "string" ? seen : undefined;
    },
    { timeoutMs: 60_000, lastSeen: () => seen },
  );
  return String(active.nodeId);
}

/** Polls GET /api/v1/nodes/{id} until the node is in `state` (a `failed` node ends the wait at once). */
export async function nodeInState(sys: UpSystem, tok: string, nodeId: string, state: string, timeoutMs = 90_000): Promise<Json> {
  tmark(`wait ${state}`);
  let seen: Json = {};
  return until(
    `node ${nodeId} ${state}`,
    async () => {
      const r = await sys.call("GET", `/api/v1/nodes/${nodeId}`, tok);
      seen = r.body;
      if (seen.state === "failed" && state !== "failed") throw new Error(`node failed: ${JSON.stringify(seen)}`);
      return r.status === 200 && seen.state === state ? seen : undefined;
    },
    { timeoutMs, lastSeen: () => seen },
  );
}

/** The steps the provision saga journaled as completed, in order (admin saga API), once the saga completed. */
export async function provisionSteps(sys: UpSystem, admin: string, nodeId: string): Promise<string[]> {
  const id = `provision-${nodeId}`;
  let seen: Json = {};
  await until(
    `${id} completed`,
    async () => {
      seen = (await sys.call("GET", `/api/v1/sagas/${id}`, admin)).body;
      return seen.status === "completed" ? seen : undefined;
    },
    { timeoutMs: 30_000, lastSeen: () => seen },
  );
  expect(seen).toMatchObject({ type: "provision", lastError: null });
  const h = await sys.call("GET", `/api/v1/sagas/${id}/history`, admin);
  expect(h.status).toBe(200);
  return (h.body.entries as { entry: { k: string; step?: string } }[]).flatMap((e) =>
    e.entry.k === "StepCompleted" && e.entry.step ? [e.entry.step] : [],
  );
}

/** A running component of the node: its pid record and metrics port, checked alive and answering. */
export async function componentAlive(runDir: string, configFile: string): Promise<PidRecord> {
  const pid = readPidFile(join(runDir, "node.pid"));
  expect(pid, `${runDir}/node.pid`).toBeDefined();
  expect(isRunning(pid!), `pid ${pid!.pid} runs`).toBe(true);
  const port = (JSON.parse(readFileSync(configFile, "utf8")) as { port: number }).port;
  const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toMatch(/^block_height \d+$/m);
  return pid!;
}

/** The host's own processes (supervisor, leaf server, agent): all alive now. */
export function hostProcesses(sys: UpSystem, nodeId: string): PidRecord[] {
  return ["supervisor", "leaf", "agent"].map((name) => {
    const pid = readPidFile(join(hostOf(sys, nodeId).run, `${name}.pid`));
    expect(pid, `${name}.pid`).toBeDefined();
    expect(isRunning(pid!), `${name} runs`).toBe(true);
    return pid!;
  });
}

/** Every key of the node in the vault, decrypted (before termination): the needles of its secret scan. */
export async function vaultKeyNeedles(sys: UpSystem, nodeId: string, keyNames: readonly string[]): Promise<Needle[]> {
  const out: Needle[] = [];
  for (const name of keyNames) {
    const plain = await sys.vault.decryptNodeKey(nodeId, name);
    expect(plain.length, name).toBeGreaterThanOrEqual(16);
    out.push(...needlesOf(`${nodeId}/${name}`, plain));
    plain.fill(0);
  }
  return out;
}

/**
 * DELETE /api/v1/nodes/{id} → `terminated`, then nothing is left: no process of the host, no host
 * directory, no DEK, and no stored key of the node can be decrypted any more (crypto-shredding).
 */
export async function terminateAndCheckGone(
  sys: UpSystem,
  tok: string,
  admin: string,
  nodeId: string,
  pids: readonly PidRecord[],
  keyNames: readonly string[],
): Promise<void> {
  tmark(`terminate ${nodeId}`);
  const del = await sys.call("DELETE", `/api/v1/nodes/${nodeId}`, tok);
  expect(del.status, JSON.stringify(del.body)).toBe(202);
  expect(del.body).toMatchObject({ nodeId, request: "termination" });
  const node = await nodeInState(sys, tok, nodeId, "terminated");
  expect(node).toMatchObject({ host: null, partialFailures: [] });
  const saga = await until(
    "terminate saga ended",
    async () => {
      const r = await sys.call("GET", `/api/v1/sagas/terminate-${nodeId}`, admin);
      return r.status === 200 && r.body.status === "completed" ? r.body : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(saga).toMatchObject({ type: "terminate", lastError: null });

  tmark("terminated");
  for (const pid of pids) expect(isRunning(pid), `pid ${pid.pid} gone`).toBe(false);
  expect(existsSync(hostOf(sys, nodeId).dir)).toBe(false);
  await expect(sys.vault.dekFor(nodeId)).rejects.toBeInstanceOf(DekNotFoundError);
  for (const name of keyNames) await expect(sys.vault.decryptNodeKey(nodeId, name), name).rejects.toBeInstanceOf(DekNotFoundError);
  expect((await sys.call("DELETE", `/api/v1/nodes/${nodeId}`, tok)).status).toBe(409);
}

/** The secret scan (R-KEY-3): no form of any needle in the streams, the read models, the logs, the process output or any API body. */
export async function expectNoSecrets(sys: UpSystem, needles: readonly Needle[]): Promise<void> {
  tmark("scan");
  expect(needles.length).toBeGreaterThan(0);
  const sources = await sys.scanSources();
  expect(sources.some((s) => s.where.startsWith(sys.s.names.eventsStream))).toBe(true);
  expect(sources.some((s) => s.where.startsWith(sys.s.names.sagasStream))).toBe(true);
  expect(sources.some((s) => s.where.startsWith("pg "))).toBe(true);
  tmark(`scanned ${sources.length}`);
  expect(scanFor(needles, sources)).toEqual([]);
}
