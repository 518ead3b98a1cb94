import type { CommandOf, NodeHealth } from "../../schemas/agent/index.js";
import { agentDefaults } from "../defaults.js";
import { InvalidCommandError } from "../errors.js";
import type { ProgressFn } from "../recipe.js";
import type { CommandContext } from "./context.js";

/** START: runs the configured service under the runtime and waits until the node reports health. */
export async function start(ctx: CommandContext, _cmd: CommandOf<"START">, progress: ProgressFn): Promise<Record<string, unknown>> {
  const spec = ctx.service();
  if (!spec) throw new InvalidCommandError("the node is not configured: run CONFIGURE first");
  progress(10, "starting the node");
  const st = await ctx.runtime.start(spec);
  progress(50, st.alreadyRunning ? "the node was already running" : `node started (pid ${st.pid ?? "?"})`);
  let health: NodeHealth = await ctx.health();
  const until = Date.now() + agentDefaults.process.healthWaitMs;
  while (spec.metricsUrl && health.status === "starting" && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 200));
    health = await ctx.health();
  }
  const now = await ctx.runtime.status();
  progress(100, `node ${health.status}`);
  return { ...(now.pid ? { pid: now.pid } : {}), health };
}

/** STOP: SIGTERM (or the runtime's polite stop), then a forced stop after the grace period. */
export async function stop(ctx: CommandContext, cmd: CommandOf<"STOP">, progress: ProgressFn): Promise<Record<string, unknown>> {
  progress(10, "stopping the node");
  const { wasRunning } = await ctx.runtime.stop(cmd.payload.graceMs);
  progress(100, wasRunning ? "node stopped" : "node was not running");
  return { wasRunning };
}

/** STATUS: whether the node runs, and its health. */
export async function status(ctx: CommandContext): Promise<Record<string, unknown>> {
  const st = await ctx.runtime.status();
  return { running: st.running, ...(st.pid ? { pid: st.pid } : {}), health: await ctx.health() };
}
