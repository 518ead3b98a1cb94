import { type CliCommand, UsageError } from "../command.js";
import { loadEnv } from "../../config/index.js";
import { createLogger } from "../../observability/index.js";
import { startSystem, ROLE_NAMES, type RoleName } from "../../roles/system.js";

/**
 * `nodeplane role <name> [<name> …]`: runs some roles in this process against already running
 * NATS/PostgreSQL/Redis (R-OPS-2: many processes, any mix, coordinating only through those).
 */
export const roleCommand: CliCommand = {
  name: "role",
  summary: `run roles in this process (${ROLE_NAMES.join(", ")})`,
  usage: `nodeplane role <${ROLE_NAMES.join("|")}> [...]`,
  async run(args) {
    if (args.length === 0) throw new UsageError("name at least one role");
    const unknown = args.filter((a) => !(ROLE_NAMES as readonly string[]).includes(a));
    if (unknown.length) throw new UsageError(`unknown role ${unknown.join(", ")} (roles: ${ROLE_NAMES.join(", ")})`);
    const env = loadEnv();
    const logger = createLogger({ role: args.join("+"), level: env.LOG_LEVEL });
    const system = await startSystem(env, { roles: args as RoleName[], logger });
    console.log(system.apiUrl ? `API ready at ${system.apiUrl}` : `roles running: ${args.join(", ")}`);
    await new Promise<void>((done) => {
      process.once("SIGINT", done);
      process.once("SIGTERM", done);
    });
    await system.stop();
    return 0;
  },
};
