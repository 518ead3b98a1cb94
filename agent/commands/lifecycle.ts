import type { CommandOf, NodeHealth } from "../../schemas/agent/index.js";
import type { ComponentStatus } from "../components.js";
import { agentDefaults } from "../defaults.js";
import { InvalidCommandError } from "../errors.js";
import type { ProgressFn } from "../recipe.js";
import type { CommandContext } from "./context.js";

/** Per-component processes for a result: only for nodes of several components (a single one reports `pid` alone, as before). */
function processes(st: readonly ComponentStatus[]): { pid?: number; components?: { name: string; running: boolean; pid?: number }[] } {
  const pid = st[0]?.pid;
  const base = pid ? { pid } : {};
  if (st.length <= 1) return base;
  return { ...base, components: st.map((s) => ({ name: s.name, running: s.running, ...(s.pid ? { pid: s.pid } : {}) })) };
}

/** START: runs the configured components in order under the runtime and waits until the node reports health. */
export async function start(ctx: CommandContext, _cmd: CommandOf<"START">, progress: ProgressFn): Promise<Record<string, unknown>> {
  const components = ctx.components();
  if (!components) throw new InvalidCommandError("the node is not configured: run CONFIGURE first");
  progress(10, components.length > 1 ? `starting ${components.map((c) => c.name).join(", ")}` : "starting the node");
  await ctx.node.start(components, (name, st) => {
    const what = components.length > 1 ? name : "node";
    progress(50, st.alreadyRunning ? `the ${what} was already running` : `${what} started (pid ${st.pid ?? "?"})`);
  });
  let health: NodeHealth = await ctx.health();
  const until = Date.now() + agentDefaults.process.healthWaitMs;
  while (components.some((c) => c.service.metricsUrl) && health.status === "starting" && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    health = await ctx.health();
  }
  const now = await ctx.node.status();
  progress(100, `node ${health.status}`);
  return { ...processes(now), health };
}

/** STOP: each component in reverse order, SIGTERM (or the runtime's polite stop), then a forced stop after the grace period. */
export async function stop(ctx: CommandContext, cmd: CommandOf<"STOP">, progress: ProgressFn): Promise<Record<string, unknown>> {
  progress(10, "stopping the node");
  const { wasRunning } = await ctx.node.stop(cmd.payload.graceMs);
  progress(100, wasRunning ? "node stopped" : "node was not running");
  return { wasRunning };
}

/** STATUS: whether the node runs (every component), and its health. */
export async function status(ctx: CommandContext): Promise<Record<string, unknown>> {
  const st = await ctx.node.status();
  return { running: st.length > 0 && st.every((s) => s.running), ...processes(st), health: await ctx.health() };
}
