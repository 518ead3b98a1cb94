import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { servicesAvailable } from "../support/services.js";
import { startUpSystem, type UpSystem } from "../support/up-system.js";
import { until } from "../support/until.js";
import { componentAlive, hostOf, nodeInState, payAndActivate, subscribe, type Json } from "../support/node-flow.js";
import { defaultChainProfilesDir } from "../../src/chain-profiles/index.js";
import { freePort } from "../../src/localstack/index.js";

/**
 * A copy of the shipped profiles whose demo observation runs faster: the health cycle every 2 s and
 * the node's metrics scraped every 2 s (the shipped 15 s / 5 s stay as they are). Everything else,
 * collectors and policies included, is the real profile.
 */
function fastProfilesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "np-e2e-profiles-"));
  cpSync(defaultChainProfilesDir, dir, { recursive: true });
  const file = join(dir, "demo.yaml");
  const shipped = readFileSync(file, "utf8");
  const fast = shipped.replace("cycle_interval: 15s", "cycle_interval: 2s").replace(/(name: node\n(?:.*\n){2}\s+interval:) 5s/, "$1 2s");
  if (fast.split("\n").filter((l, i) => l !== shipped.split("\n")[i]).length !== 2)
    throw new Error("demo.yaml changed: the test's faster observation no longer applies");
  writeFileSync(file, fast);
  return dir;
}

/**
 * Observation on `nodeplane up` (issue 12, R-OBS-1..5): the agent's collectors ship the demo node's
 * metrics, the observer writes them to VictoriaMetrics and evaluates the demo profile's CEL policies
 * every cycle, a verdict change goes through the node aggregate (NodeHealthChanged), the incidents
 * read model opens and resolves incidents, and the node moves running ↔ degraded.
 */
describe.skipIf(!servicesAvailable())("e2e: observation on nodeplane up", () => {
  let sys: UpSystem;
  let user: string;
  let nodeId: string;
  let profiles: string;
  let metricsPort: number;

  const health = async () => (await sys.call("GET", `/api/v1/nodes/${nodeId}/health`, user)).body;
  const incidents = async (status: "open" | "resolved") => {
    const r = await sys.call("GET", `/api/v1/incidents?nodeId=${nodeId}&status=${status}`, user);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.items as Json[];
  };
  /** Waits for the node to be `state` with verdict `verdict` (and `cause`), as GET /nodes/{id}/health shows it. */
  const healthIs = async (state: string, verdict: string, cause?: string) => {
    let seen: Json = {};
    return until(
      `node ${nodeId} ${state} (${verdict}${cause ? `, ${cause}` : ""})`,
      async () => {
        seen = await health();
        return seen.state === state && seen.verdict === verdict && (!cause || seen.cause === cause) ? seen : undefined;
      },
      { timeoutMs: 60_000, lastSeen: () => seen },
    );
  };

  beforeAll(async () => {
    profiles = fastProfilesDir();
    metricsPort = await freePort();
    // Its own VictoriaMetrics (not the test stack's): the one `nodeplane up` starts, which scrapes the control plane.
    sys = await startUpSystem("observation", {
      CHAIN_PROFILES_DIR: profiles,
      VICTORIA_METRICS_URL: `http://127.0.0.1:${await freePort()}`,
      METRICS_PORT: String(metricsPort),
    });
    user = await sys.token("alice", "subscriptions:read", "subscriptions:write", "payments:write", "nodes:read", "nodes:write");
    const { subscriptionId } = await subscribe(sys, user, { chainProfileId: "demo", nodeType: "full", durationDays: 7 });
    nodeId = await payAndActivate(sys, user, subscriptionId);
    await nodeInState(sys, user, nodeId, "running");
    // The first verdicts: the demo node syncs (its initial lag is below the policy's threshold) and answers.
    await healthIs("running", "ok", "healthy");
  });
  afterAll(async () => {
    await sys?.close();
    if (profiles) rmSync(profiles, { recursive: true, force: true });
  });

  it("a frozen node (SIGSTOP): an incident opens and the node is degraded; SIGCONT: the incident resolves and the node runs again", async () => {
    const host = hostOf(sys, nodeId);
    const chain = await componentAlive(host.agentRun, join(host.chain, "config/node.json"));
    process.kill(chain.pid, "SIGSTOP");
    let open: Json[];
    try {
      const degraded = await healthIs("degraded", "critical", "metrics_unavailable");
      expect(degraded).toMatchObject({ policy: "metrics_down", openIncidents: [expect.any(String)] });
      open = await until("an open incident", async () => {
        const items = await incidents("open");
        return items.length > 0 ? items : undefined;
      });
      expect(open).toEqual([
        expect.objectContaining({ nodeId, cause: "metrics_unavailable", severity: "critical", status: "open", policy: "metrics_down" }),
      ]);
      // The node collector's failures are the node's health view's business too (its status may trail the verdict by a batch).
      let seen: Json = {};
      const failing = await until(
        "the node collector's error in the health view",
        async () => {
          seen = await health();
          return ((seen.collectors ?? []) as Json[]).find((c) => c.name === "node" && c.status === "error");
        },
        { lastSeen: () => seen.collectors },
      );
      expect(failing).toMatchObject({ type: "prometheus", error: expect.stringMatching(/timed out|fail/) });
    } finally {
      process.kill(chain.pid, "SIGCONT");
    }

    const recovered = await healthIs("running", "ok", "healthy");
    expect(recovered.openIncidents).toEqual([]);
    const resolved = await until("the incident resolved", async () => {
      const items = await incidents("resolved");
      return items.find((i) => i.id === open[0]!.id);
    });
    expect(resolved).toMatchObject({ status: "resolved", resolved: { by: "health" } });
    expect(await incidents("open")).toEqual([]);
  });

  it("a stalled node (sync_lag rising): degraded with cause sync_lag_high; resumed: running again", async () => {
    const port = (JSON.parse(readFileSync(join(hostOf(sys, nodeId).chain, "config/node.json"), "utf8")) as { port: number }).port;
    const node = `http://127.0.0.1:${port}`;
    expect((await fetch(`${node}/stall`, { method: "POST" })).status).toBe(200);
    try {
      const degraded = await healthIs("degraded", "degraded", "sync_lag_high");
      expect(degraded).toMatchObject({ policy: "sync_lag_high" });
      const open = await incidents("open");
      expect(open).toEqual([
        expect.objectContaining({ nodeId, cause: "sync_lag_high", severity: "degraded", status: "open", policy: "sync_lag_high" }),
      ]);
    } finally {
      await fetch(`${node}/resume`, { method: "POST" });
    }
    await healthIs("running", "ok", "healthy");
    await until("no open incident", async () => (await incidents("open")).length === 0);
    expect((await incidents("resolved")).map((i) => i.cause).sort()).toEqual(["metrics_unavailable", "sync_lag_high"]);
  });

  it("GET /nodes/{id}/health: the verdict, the policy that matched, the history and the collectors' statuses", async () => {
    const h = await until("both collectors ok", async () => {
      const b = await health();
      const c = (b.collectors ?? []) as Json[];
      return c.length === 2 && c.every((x) => x.status === "ok") ? b : undefined;
    });
    expect(h).toMatchObject({ nodeId, state: "running", verdict: "ok", policy: "healthy", cause: "healthy", openIncidents: [] });
    expect(h.collectors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "node", type: "prometheus", status: "ok", lastRunAt: expect.any(String) }),
        expect.objectContaining({ name: "health", type: "http", status: "ok", lastRunAt: expect.any(String) }),
      ]),
    );
    // Newest first: the recovery from the stall, the stall, the recovery from the freeze, the freeze, the first ok.
    const history = (h.history as Json[]).map((e) => `${e.verdict}:${e.cause}:${e.state}`);
    expect(history.slice(0, 5)).toEqual([
      "ok:healthy:running",
      "degraded:sync_lag_high:degraded",
      "ok:healthy:running",
      "critical:metrics_unavailable:degraded",
      "ok:healthy:running",
    ]);
  });

  it("make run's VictoriaMetrics scrapes the control plane's own metrics (METRICS_PORT, job nodeplane)", async () => {
    const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(own.status).toBe(200);
    expect(await own.text()).toMatch(/^nodeplane_tsdb_breaker_state /m);
    const query = async (q: string) => {
      const r = await fetch(`${sys.env.VICTORIA_METRICS_URL}/api/v1/query?query=${encodeURIComponent(q)}`);
      expect(r.status).toBe(200);
      return ((await r.json()) as { data: { result: { metric: Json; value: [number, string] }[] } }).data.result;
    };
    // The first scrape comes within one scrape interval of the start.
    const up = await until("a scrape of the control plane", async () => {
      const r = await query('up{job="nodeplane"}');
      return r.length > 0 ? r : undefined;
    });
    expect(up).toEqual([
      expect.objectContaining({
        metric: expect.objectContaining({ instance: `127.0.0.1:${metricsPort}` }),
        value: [expect.any(Number), "1"],
      }),
    ]);
    expect(await query('nodeplane_tsdb_breaker_state{job="nodeplane"}')).not.toEqual([]);
  });
});
