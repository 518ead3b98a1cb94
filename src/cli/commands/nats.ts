import { join, resolve } from "node:path";
import { defaults, loadEnv } from "../../config/index.js";
import { namesFor } from "../../eventstore/index.js";
import { initNatsAuth, natsAuthDir } from "../../nats-auth/index.js";
import { parseFlags, UsageError, type CliCommand } from "../command.js";

/**
 * `nodeplane nats init`: writes the operator, accounts, TLS files, hub config and shared credentials
 * into `<NODEPLANE_DATA_DIR>/nats-auth/` once (R-NATS-1). Prints public keys and paths, never seeds.
 */
export const natsInitCommand: CliCommand = {
  name: "nats init",
  summary: "generate the NATS operator, accounts, TLS and hub config (once)",
  usage: "nodeplane nats init [--leafnode-host 0.0.0.0] [--tls-host <name> …]",
  async run(args) {
    const { flags, positional } = parseFlags(args, { multi: ["tls-host"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const unknown = Object.keys(flags).find((f) => !["leafnode-host", "tls-host"].includes(f));
    if (unknown) throw new UsageError(`unknown flag --${unknown}`);
    const env = loadEnv();
    const dataDir = resolve(env.NODEPLANE_DATA_DIR);
    const dir = natsAuthDir(env);
    const tlsHosts = (flags["tls-host"] as string[] | undefined) ?? ["localhost", "127.0.0.1"];
    const result = await initNatsAuth({
      dir,
      names: namesFor(env.NODEPLANE_NAMESPACE),
      hub: {
        serverName: "nodeplane-hub",
        port: defaults.localStack.natsPort,
        monitorPort: defaults.localStack.natsMonitorPort,
        leafnodePort: env.NATS_LEAFNODE_PORT,
        leafnodeHost: typeof flags["leafnode-host"] === "string" ? flags["leafnode-host"] : "127.0.0.1",
        tlsHosts,
        jetstreamDir: join(dataDir, "nats-operator", "jetstream"),
      },
    });
    const out = [
      `nats-auth directory: ${result.paths.dir}`,
      `operator:       ${result.publicKeys.operator}`,
      `SYS:            ${result.publicKeys.system}`,
      `AGENT:          ${result.publicKeys.agent}`,
      `CONTROL_PLANE:  ${result.publicKeys.controlPlane}`,
      `hub config:     ${result.paths.hubConfig}`,
      result.written.length === 0
        ? "nothing written: everything existed already"
        : `written (0600):\n${result.written.map((p) => `  ${p}`).join("\n")}`,
    ];
    process.stdout.write(`${out.join("\n")}\n`);
    return 0;
  },
};
