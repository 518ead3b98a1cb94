import { resolve } from "node:path";
import { loadEnv } from "../../config/index.js";
import { listLocalHosts } from "../../infra-providers/index.js";
import { parseFlags, UsageError, type CliCommand } from "../command.js";

/**
 * `nodeplane hosts list [--json]`: the local hosts under `<NODEPLANE_DATA_DIR>/hosts` with what an
 * operator (or a test) needs to act as a host's agent: its leaf URL and, in operator mode, its creds file.
 */
export const hostsListCommand: CliCommand = {
  name: "hosts list",
  summary: "list the local hosts: id, node id, directory, leaf URL, agent credentials file",
  usage: "nodeplane hosts list [--json]",
  async run(args) {
    const { flags, positional } = parseFlags(args, { bool: ["json"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const unknown = Object.keys(flags).find((f) => f !== "json");
    if (unknown) throw new UsageError(`unknown flag --${unknown}`);
    const dataDir = resolve(loadEnv().NODEPLANE_DATA_DIR);
    const hosts = await listLocalHosts(dataDir);
    if (flags.json) {
      process.stdout.write(
        `${JSON.stringify(
          hosts.map((h) => ({
            hostId: h.hostId,
            nodeId: h.nodeId,
            running: h.running,
            dir: h.dir,
            leafUrl: h.leaf.url,
            leafMode: h.leaf.mode,
            credsFile: h.credsFile ?? null,
            address: h.address,
            createdAt: h.createdAt,
          })),
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    if (hosts.length === 0) {
      process.stdout.write(`no local hosts in ${resolve(dataDir, "hosts")}\n`);
      return 0;
    }
    const rows = [
      ["HOST", "NODE", "STATE", "DIR", "LEAF URL", "CREDS"],
      ...hosts.map((h) => [h.hostId, h.nodeId, h.running ? "running" : "stopped", h.dir, h.leaf.url, h.credsFile ?? "-"]),
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    process.stdout.write(rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n");
    return 0;
  },
};
