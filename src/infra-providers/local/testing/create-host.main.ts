import { createLocalProvider } from "../local-provider.js";

/**
 * A short-lived control plane (specs): creates one local host, prints it as JSON and exits, so a
 * spec can show that the host outlives the process that created it.
 * `node --import tsx create-host.main.ts '{"dataDir":…,"hubLeafUrls":[…],"namespace":…,"nodeId":…}'`
 */
const args = JSON.parse(process.argv[2] ?? "{}") as { dataDir: string; hubLeafUrls: string[]; namespace: string; nodeId: string };
const provider = createLocalProvider({
  dataDir: args.dataDir,
  hubLeafUrls: args.hubLeafUrls,
  namespace: args.namespace,
  agentLogLevel: "warn",
});
provider.create({ nodeId: args.nodeId }).then(
  (host) => {
    process.stdout.write(`${JSON.stringify(host)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
