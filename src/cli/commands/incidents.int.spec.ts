import { describe, it, expect, beforeAll, afterAll, vi } from "vitest";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { testServices, servicesAvailable, type TestServices } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../../api/testing/harness.js";
import { incidentsProjection, nodesProjection } from "../../../projections/index.js";
import { waitForPosition } from "../../projection/wait.js";
import { createNodeService, recordHealth } from "../../nodes/index.js";
import { givenNode } from "../../nodes/testing/running-node.js";
import { InvalidTransitionError, NotFoundError } from "../../domain/errors.js";
import { UsageError } from "../command.js";
import { incidentsAckCommand, incidentsListCommand, incidentsResolveCommand, nodesHealthCommand } from "./incidents.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * `nodeplane incidents list|ack|resolve` and `nodeplane nodes health` against the real services: the
 * commands run in this process (this spec's worker takes the test namespace's environment), and one
 * run goes through the real `nodeplane` binary to check the wiring and exit codes.
 */
describe.skipIf(!servicesAvailable())("incidents CLI", () => {
  let s: TestServices;
  let h: ApiHarness;
  const saved = { ...process.env };
  /** Runs a command in-process, returning what it wrote to stdout. */
  const run = async (command: { run(args: string[]): Promise<number> }, ...args: string[]) => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
    const log = vi.spyOn(console, "log").mockImplementation((...parts) => void out.push(`${parts.join(" ")}\n`));
    try {
      expect(await command.run(args)).toBe(0);
      return out.join("");
    } finally {
      write.mockRestore();
      log.mockRestore();
    }
  };
  const caughtUp = async () =>
    expect(await waitForPosition(h.db.sql, ["incidents", "nodes"], await h.store.lastPosition(), 15_000)).toBe(true);

  beforeAll(async () => {
    s = testServices("inccli");
    Object.assign(process.env, s.env);
    h = await startApiHarness(s, { projections: [nodesProjection, incidentsProjection] });
    const service = createNodeService({ store: h.store });
    await givenNode(h.store, service, "n-cli-1", "alice");
    await recordHealth(service, "n-cli-1", { verdict: "critical", policy: "down", cause: "metrics_down", at: new Date() });
    await caughtUp();
  });
  afterAll(async () => {
    await h?.close();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("lists incidents, shows a node's health, acknowledges and resolves; a resolved incident is refused", async () => {
    expect(JSON.parse(await run(incidentsListCommand, "--status", "open", "--json"))).toMatchObject([
      { id: "n-cli-1:incident:1", cause: "metrics_down", severity: "critical" },
    ]);
    const health = await run(nodesHealthCommand, "n-cli-1");
    expect(health).toContain("verdict   critical since");
    expect(health).toContain("incidents n-cli-1:incident:1");

    expect(await run(incidentsAckCommand, "n-cli-1:incident:1")).toContain("n-cli-1:incident:1 acknowledged");
    expect(await run(incidentsAckCommand, "n-cli-1:incident:1")).toContain("already acknowledged");
    expect(await run(incidentsResolveCommand, "n-cli-1:incident:1")).toContain("n-cli-1:incident:1 resolved");
    await caughtUp();
    expect(await run(incidentsListCommand, "--node", "n-cli-1")).toMatch(
      /n-cli-1:incident:1\s+resolved\s+critical\s+metrics_down.*system:cli\s+admin \(system:cli\)/,
    );
    await expect(incidentsResolveCommand.run(["n-cli-1:incident:1"])).rejects.toThrow(InvalidTransitionError);
    await expect(nodesHealthCommand.run(["n-missing"])).rejects.toThrow(NotFoundError);
    await expect(incidentsResolveCommand.run(["n-missing:incident:1"])).rejects.toThrow(NotFoundError);
  });

  it("refuses bad arguments with a usage error", async () => {
    for (const [command, args] of [
      [incidentsListCommand, ["--status", "closed"]],
      [incidentsListCommand, ["--limit", "0"]],
      [incidentsListCommand, ["--node", "bad.id"]],
      [incidentsListCommand, ["--verbose"]],
      [incidentsAckCommand, ["not-an-incident"]],
      [incidentsResolveCommand, []],
      [nodesHealthCommand, []],
      [nodesHealthCommand, ["n-cli-1", "--history", "101"]],
    ] as const)
      await expect(command.run([...args]), args.join(" ")).rejects.toThrow(UsageError);
  });

  it("is wired into the nodeplane binary (exit 0, and 2 for a usage error)", async () => {
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ["--import", "tsx", "src/cli/main.ts", ...args],
          { cwd: root, env: { ...process.env, ...s.env }, encoding: "utf8", timeout: 60_000 },
          (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    const ok = await cli("nodes", "health", "n-cli-1", "--json");
    expect(ok.stderr).toBe("");
    expect(JSON.parse(ok.stdout)).toMatchObject({ nodeId: "n-cli-1", verdict: "critical", openIncidents: [] });
    const bad = await cli("incidents", "list", "--status", "closed");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("usage: nodeplane incidents list");
  });
});
