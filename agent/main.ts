import { Agent } from "./agent.js";
import { loadAgentConfig } from "./config.js";
import { AgentConfigError } from "./errors.js";
import { createAgentLogger } from "./log.js";

/**
 * `npm run agent -- --node-id <id> --nats-url <url> --data-dir <dir> [--creds <file>] [--namespace <ns>]`
 * (env: NODEPLANE_NODE_ID, NATS_URL, NODEPLANE_AGENT_DATA_DIR, NODEPLANE_AGENT_CREDS, NODEPLANE_NAMESPACE).
 * SIGTERM/SIGINT stop the agent; the chain node keeps running and the next agent adopts it.
 */
async function main(): Promise<void> {
  const cfg = loadAgentConfig(process.argv.slice(2), process.env);
  const log = createAgentLogger(cfg.nodeId, cfg.logLevel);
  const agent = new Agent(cfg, log);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ sig }, "agent stopping");
    void agent.stop().finally(() => process.exit(0));
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  await agent.start();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `agent: ${err instanceof AgentConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(err instanceof AgentConfigError ? 2 : 1);
});
