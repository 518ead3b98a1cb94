import { describe, expect, it } from "vitest";
import { metricsPortVars, ProfileRecipeError, ProfileRecipeV1, resolveProfileRecipe } from "./profile-recipe.js";

const component = (name: string, portVar: string) => ({
  name,
  service: {
    runtime: "process",
    command: ["{{node}}", "bin/demo-node.mts", "--config", `config/${name}.json`],
    metricsUrl: `http://127.0.0.1:{{${portVar}}}/metrics`,
  },
});
const opts = (vars: Record<string, string>) => ({ projectRoot: "/repo", vars, sha256OfFile: () => "0".repeat(64) });

describe("profile recipes with components", () => {
  const recipe = ProfileRecipeV1.parse({
    steps: [{ action: "write_file", path: "config/geth.json", content: '{"port": {{metrics_port_geth}}}' }],
    components: [component("geth", "metrics_port_geth"), component("lighthouse", "metrics_port_lighthouse")],
  });

  it("names the metrics port placeholders the control plane fills, and resolves them per component", () => {
    expect(metricsPortVars(recipe)).toEqual(["metrics_port", "metrics_port_geth", "metrics_port_lighthouse"]);
    const r = resolveProfileRecipe(recipe, opts({ metrics_port: "9001", metrics_port_geth: "9001", metrics_port_lighthouse: "9002" }));
    expect(r.service).toBeUndefined();
    expect(r.components?.map((c) => [c.name, c.service.metricsUrl])).toEqual([
      ["geth", "http://127.0.0.1:9001/metrics"],
      ["lighthouse", "http://127.0.0.1:9002/metrics"],
    ]);
    expect(r.steps[0]).toMatchObject({ content: '{"port": 9001}' });
    // Host variables stay for the agent.
    expect(r.components?.[0]?.service.command[0]).toBe("{{node}}");
  });

  it("refuses an unfilled metrics port, and a recipe with both or neither of service and components", () => {
    expect(() => resolveProfileRecipe(recipe, opts({ metrics_port_geth: "9001" }))).toThrow(ProfileRecipeError);
    expect(() => resolveProfileRecipe(recipe, opts({ metrics_port_geth: "9001" }))).toThrow(/metrics_port_lighthouse/);
    expect(ProfileRecipeV1.safeParse({ steps: [] }).success).toBe(false);
    expect(
      ProfileRecipeV1.safeParse({
        steps: [],
        service: component("a", "metrics_port").service,
        components: [component("a", "metrics_port")],
      }).success,
    ).toBe(false);
    expect(metricsPortVars(ProfileRecipeV1.parse({ steps: [], service: component("a", "metrics_port").service }))).toEqual([
      "metrics_port",
    ]);
  });
});
