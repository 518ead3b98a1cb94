#!/usr/bin/env node
import { commands } from "./commands/index.js";
import { UsageError } from "./command.js";
import { ConfigError } from "../config/index.js";

/** `nodeplane <command> [args]`: the longest command name that prefixes the arguments wins. */
async function main(argv: string[]): Promise<number> {
  const match = [...commands]
    .sort((a, b) => b.name.split(" ").length - a.name.split(" ").length)
    .find((c) => c.name.split(" ").every((w, i) => argv[i] === w));
  if (!match || argv[0] === "help" || argv[0] === "--help") {
    console.log("usage: nodeplane <command>\n\ncommands:");
    for (const c of commands) console.log(`  ${c.name.padEnd(28)} ${c.summary}`);
    return match || argv.length === 0 || argv[0] === "help" || argv[0] === "--help" ? 0 : 2;
  }
  try {
    return await match.run(argv.slice(match.name.split(" ").length));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`nodeplane ${match.name}: ${err.message}\nusage: ${match.usage}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    console.error(`nodeplane ${match.name}: ${(err as Error).message}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
