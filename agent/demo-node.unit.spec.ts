import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { advance, METRICS_FLAVORS, renderMetrics, type ChainState } from "../chain-node/demo-node.js";
import { parseExposition } from "./collectors/prometheus-text.js";
import { recipeForNodeType } from "../schemas/agent/profile-recipe.js";
import { sha256Hex } from "./artifacts.js";
import { deriveHealth, parsePrometheusText } from "./health.js";

const root = resolve(import.meta.dirname, "..");

describe("demo chain node", () => {
  it("advances height by one per block and lowers the lag to 0", () => {
    let s: ChainState = { blockHeight: 10, syncLag: 5, peers: 8, startedAt: 0 };
    for (let t = 1; t <= 4; t++) s = advance(s, t);
    expect(s.blockHeight).toBe(14);
    expect(s.syncLag).toBe(0);
    expect(s.peers).toBeGreaterThan(0);
  });

  it("a stalled node keeps its height while its lag grows by one block per block time", () => {
    let s: ChainState = { blockHeight: 10, syncLag: 0, peers: 8, startedAt: 0 };
    for (let t = 1; t <= 5; t++) s = advance(s, t, true);
    expect([s.blockHeight, s.syncLag]).toEqual([10, 5]);
    s = advance(s, 6);
    expect([s.blockHeight, s.syncLag]).toEqual([11, 3]);
    expect(renderMetrics(s, "v", 0, true)).toContain("demo_node_stalled 1\n");
  });

  it("speaks the real clients' metric names per flavor, in valid exposition format", () => {
    const s: ChainState = { blockHeight: 100, syncLag: 4, peers: 9, startedAt: 0 };
    const names = (flavor: (typeof METRICS_FLAVORS)[number]) =>
      new Set(parseExposition(renderMetrics(s, "v", 0, false, flavor)).samples.map((x) => x.name));
    for (const f of METRICS_FLAVORS) for (const n of ["block_height", "peers", "sync_lag"]) expect(names(f).has(n), `${f} ${n}`).toBe(true);
    expect(names("cometbft").has("cometbft_p2p_peers")).toBe(true);
    expect(names("geth").has("chain_head_block")).toBe(true);
    expect(names("lighthouse").has("sync_eth2_synced")).toBe(true);
    const geth = parseExposition(renderMetrics(s, "v", 0, false, "geth")).samples;
    expect(geth.find((x) => x.name === "chain_head_header")!.value - geth.find((x) => x.name === "chain_head_block")!.value).toBe(4);
  });

  it("renders Prometheus text the agent's parser reads back, and health follows it", () => {
    const text = renderMetrics({ blockHeight: 42, syncLag: 3, peers: 7, startedAt: 0 }, 'v"1', 5_000);
    const m = parsePrometheusText(text);
    expect([m.get("block_height"), m.get("sync_lag"), m.get("peers"), m.get("demo_node_uptime_seconds")]).toEqual([42, 3, 7, 5]);
    expect(text).toContain('demo_node_info{version="v_1"} 1');
    const running = { running: true, restarts: 0, restarting: false };
    expect(deriveHealth(true, running, m)).toEqual({ status: "syncing", blockHeight: 42, peers: 7, syncLag: 3 });
    expect(
      deriveHealth(
        true,
        running,
        new Map([
          ["block_height", 1],
          ["sync_lag", 0],
          ["peers", 2],
        ]),
      ).status,
    ).toBe("healthy");
    expect(deriveHealth(true, { ...running, running: false }, undefined).status).toBe("stopped");
    expect(deriveHealth(false, running, undefined).status).toBe("not_configured");
  });
});

describe("demo profile recipe", () => {
  it("resolves into a CONFIGURE recipe whose artifact is the demo node with its current sha256", () => {
    const spec = parse(readFileSync(resolve(root, "chain-profiles/demo.yaml"), "utf8")) as { recipes: unknown };
    const recipe = recipeForNodeType(spec.recipes, "full", {
      projectRoot: root,
      vars: { metrics_port: "9700" },
      sha256OfFile: (p) => sha256Hex(readFileSync(p)),
    });
    const fetch = recipe.steps.find((s) => s.action === "fetch_artifact");
    expect(fetch).toMatchObject({
      url: `file://${root}/chain-node/demo-node.ts`,
      sha256: sha256Hex(readFileSync(resolve(root, "chain-node/demo-node.ts"))),
      path: "bin/demo-node.mts",
    });
    expect(recipe.service?.metricsUrl).toBe("http://127.0.0.1:9700/metrics");
    const cfg = recipe.steps.find((s) => s.action === "write_file");
    expect(cfg && "content" in cfg ? cfg.content : "").toContain('"port": 9700');
    expect(recipe.service?.command).toContain("{{tsx_loader}}");
    expect(() => recipeForNodeType(spec.recipes, "archive", { projectRoot: root, sha256OfFile: () => "" })).toThrow(/no recipe/);
  });
});
