import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { servicesAvailable, testServices } from "../support/services.js";
import { spawnTs, runCli, type TsProcess } from "../support/processes.js";
import { processesUnder } from "../support/up-system.js";

/**
 * The path a user walks on `make run`'s stack, the system running as a real process (`nodeplane up`
 * against the test services): token → subscription → same again → pay → complete → active.
 */
describe.skipIf(!servicesAvailable())("e2e: subscribe, pay, activate", () => {
  let system: TsProcess;
  let base: string;
  let env: Record<string, string>;
  let dataDir: string;

  beforeAll(async () => {
    const s = testServices("e2e");
    dataDir = mkdtempSync(join(tmpdir(), "nodeplane-e2e-"));
    // Hosts below it run their chain node as another user (agent/runtime/chain-user.ts), which must traverse this dir.
    chmodSync(dataDir, 0o711);
    // METRICS_PORT off: up's default (9464) would clash with other specs' systems running beside this one.
    env = { ...s.env, NODEPLANE_DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "warn", METRICS_PORT: "0" };
    system = spawnTs("src/cli/main.ts", ["up"], env);
    const m = await system.waitFor(/API ready at (http:\/\/\S+)/, 120_000);
    base = m[1]!;
  });
  afterAll(async () => {
    const code = await system?.stop("SIGINT");
    // The paid subscriptions' nodes are provisioned for real on local hosts, which outlive the control plane by design.
    for (const pid of processesUnder(dataDir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        /* gone meanwhile */
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  const token = async (...scopes: string[]) => {
    const r = await runCli(["token", "--sub", "alice", ...scopes.flatMap((s) => ["--scope", s])], env);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const call = async (method: string, path: string, tok: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  };

  it("is ready, and walks a subscription from pending_payment to active", async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const tok = await token("subscriptions:read", "subscriptions:write", "payments:write");

    const first = await call("POST", "/api/v1/subscriptions", tok, { chainProfileId: "demo", nodeType: "full", durationDays: 7 });
    expect(first.status).toBe(201);
    expect(first.headers.get("x-event-position")).toMatch(/^\d+$/);
    const sub = first.body;
    expect(sub).toMatchObject({
      status: "pending_payment",
      chainProfileId: "demo",
      nodeType: "full",
      durationDays: 7,
      provider: "local",
      paymentId: null,
    });
    for (const k of ["id", "region", "instanceType", "expiresAt", "createdAt"]) expect(sub[k], k).toBeTruthy();

    const again = await call("POST", "/api/v1/subscriptions", tok, { chainProfileId: "demo", nodeType: "full", durationDays: 7 });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(sub.id);

    const pay = await call("POST", "/api/v1/payments", tok, { subscriptionIds: [sub.id] });
    expect(pay.status).toBe(201);
    expect(pay.body).toMatchObject({ status: "pending" });
    const paymentId = String(pay.body.id);

    const done = await runCli(["payments", "complete", paymentId], env);
    expect(done.code, done.stderr).toBe(0);

    let active: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && active?.status !== "active"; i++) {
      active = (await call("GET", `/api/v1/subscriptions/${sub.id}`, tok)).body;
      if (active.status !== "active") await new Promise((r) => setTimeout(r, 100));
    }
    expect(active).toMatchObject({ id: sub.id, status: "active", paymentId });
    const days = (Date.parse(String(active!.expiresAt)) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);

    const list = await call("GET", "/api/v1/subscriptions", tok);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain(String(sub.id));
  });

  it("hides one user's subscriptions from another and refuses bad input with 400", async () => {
    const alice = await token("subscriptions:read", "subscriptions:write");
    const created = await call("POST", "/api/v1/subscriptions", alice, {
      chainProfileId: "ethereum-mainnet",
      nodeType: "archive",
      durationDays: 7,
    });
    expect(created.status).toBe(201);
    const r = await runCli(["token", "--sub", "bob", "--scope", "subscriptions:read"], env);
    const bob = r.stdout.trim();
    const seen = await call("GET", `/api/v1/subscriptions/${created.body.id}`, bob, undefined, {
      "x-wait-for-position": created.headers.get("x-event-position")!,
    });
    expect(seen.status).toBe(404);
    const bad = await call("POST", "/api/v1/subscriptions", alice, { chainProfileId: "nope", nodeType: "full", durationDays: 7 });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: "invalid_input" } });
  });

  it("shows an admin the provision saga a paid subscription started, and its journal from the first step", async () => {
    const carol = (
      await runCli(
        ["token", "--sub", "carol", "--scope", "subscriptions:read", "--scope", "subscriptions:write", "--scope", "payments:write"],
        env,
      )
    ).stdout.trim();
    const admin = (await runCli(["token", "--sub", "ops", "--scope", "admin"], env)).stdout.trim();
    /** Reads until `done` holds (the read models follow the journal and the events asynchronously), at most 100 times. */
    const until = async (path: string, tok: string, done: (body: Record<string, unknown>) => boolean) => {
      let last = (await call("GET", path, tok)).body;
      for (let i = 0; i < 100 && !done(last); i++) {
        await new Promise((r) => setTimeout(r, 100));
        last = (await call("GET", path, tok)).body;
      }
      return last;
    };

    const sub = (await call("POST", "/api/v1/subscriptions", carol, { chainProfileId: "demo", nodeType: "full", durationDays: 7 })).body;
    const pay = await call("POST", "/api/v1/payments", carol, { subscriptionIds: [sub.id] });
    expect(pay.status).toBe(201);
    const done = await runCli(["payments", "complete", String(pay.body.id)], env);
    expect(done.code, done.stderr).toBe(0);
    const active = await until(`/api/v1/subscriptions/${sub.id}`, carol, (b) => b.status === "active");
    expect(active).toMatchObject({ status: "active", nodeId: expect.any(String) });
    const sagaId = `provision-${active.nodeId}`;

    // The real provision saga (SPEC §5) runs for the paid node; test/e2e/node-lifecycle.e2e.spec.ts follows one to running and back.
    type SagaItem = { id: string; type: string; status: string; endedAt: string | null };
    const listed = await until("/api/v1/sagas?type=provision", admin, (b) => (b.items as SagaItem[]).some((i) => i.id === sagaId));
    expect((listed.items as SagaItem[]).find((i) => i.id === sagaId)).toMatchObject({
      type: "provision",
      status: expect.stringMatching(/^(running|waiting|completed)$/),
    });
    expect((await call("GET", "/api/v1/sagas?type=provision", carol)).status).toBe(403);
    const history = (await call("GET", `/api/v1/sagas/${sagaId}/history`, admin)).body as {
      sagaId: string;
      entries: { entry: { k: string; step?: string } }[];
    };
    expect(history.sagaId).toBe(sagaId);
    expect(history.entries[0]?.entry.k).toBe("SagaStarted");
    expect(history.entries.find((e) => e.entry.step)?.entry).toMatchObject({ k: "StepStarted", step: "ValidateProvisionInputs" });
  });
});
