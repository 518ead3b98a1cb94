import { Scope } from "../../../schemas/events/apikey.js";
import { createLocalAuth } from "../../auth/local.js";
import { parseTtl, TokenClaimsError } from "../../auth/jwt.js";
import { loadEnv } from "../../config/env.js";
import { parseFlags, UsageError, type CliCommand } from "../command.js";

/** `nodeplane token`: the operator's way to get a JWT for the local API (the only way to `admin`, R-API-4). */
export const tokenCommand: CliCommand = {
  name: "token",
  summary: "print a JWT the local API accepts",
  usage: `nodeplane token --sub <user> --scope <scope> [--scope <scope> …] [--ttl 1h]\n  scopes: ${Scope.options.join(", ")}`,
  async run(args) {
    const { flags, positional } = parseFlags(args, { multi: ["scope"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    const unknownFlag = Object.keys(flags).find((f) => !["sub", "scope", "ttl"].includes(f));
    if (unknownFlag) throw new UsageError(`unknown flag --${unknownFlag}`);
    const sub = flags.sub;
    if (typeof sub !== "string" || sub.length === 0) throw new UsageError("--sub <user> is required");
    const requested = (flags.scope as string[] | undefined) ?? [];
    if (requested.length === 0) throw new UsageError("at least one --scope is required");
    const unknown = requested.filter((s) => !Scope.safeParse(s).success);
    if (unknown.length > 0) throw new UsageError(`unknown scope ${unknown.join(", ")} (known: ${Scope.options.join(", ")})`);
    const ttl = typeof flags.ttl === "string" ? flags.ttl : undefined;
    try {
      if (ttl) parseTtl(ttl);
    } catch (err) {
      throw new UsageError((err as TokenClaimsError).message);
    }
    const env = loadEnv();
    const auth = await createLocalAuth({ dataDir: env.NODEPLANE_DATA_DIR, issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE });
    const token = await auth.issueToken({ sub, scopes: requested.map((s) => Scope.parse(s)), ...(ttl ? { ttl } : {}) });
    process.stdout.write(`${token}\n`);
    return 0;
  },
};
