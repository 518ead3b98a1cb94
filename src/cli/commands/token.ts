import { Scope } from "../../../schemas/events/apikey.js";
import { createLocalAuth, parseTtl, TokenClaimsError, rotateSigningKey, redisRevocations } from "../../auth/index.js";
import { loadEnv, defaults } from "../../config/index.js";
import { namesFor } from "../../eventstore/index.js";
import { Redis } from "ioredis";
import { onePositional, parseFlags, UsageError, type CliCommand } from "../command.js";

/** `nodeplane token`: the operator's way to get a JWT for the local API (the only way to `admin`, R-API-4). */
export const tokenCommand: CliCommand = {
  name: "token",
  summary: "print a JWT the local API accepts",
  usage: `nodeplane token --sub <user> --scope <scope> [--scope <scope> …] [--ttl 1h]\n  scopes: ${Scope.options.join(", ")}\n  --ttl at most JWT_MAX_TTL (default ${defaults.auth.maxTokenTtl})`,
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
    const env = loadEnv();
    try {
      if (ttl && parseTtl(ttl) > parseTtl(env.JWT_MAX_TTL)) {
        throw new TokenClaimsError(
          `--ttl ${ttl} is longer than the maximum token lifetime ${env.JWT_MAX_TTL} (JWT_MAX_TTL); the API would refuse such a token`,
        );
      }
    } catch (err) {
      if (err instanceof TokenClaimsError) throw new UsageError(err.message);
      throw err;
    }
    const auth = await createLocalAuth({
      dataDir: env.NODEPLANE_DATA_DIR,
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      maxTtl: env.JWT_MAX_TTL,
    });
    const token = await auth.issueToken({ sub, scopes: requested.map((s) => Scope.parse(s)), ...(ttl ? { ttl } : {}) });
    process.stdout.write(`${token}\n`);
    return 0;
  },
};

/**
 * `nodeplane token rotate-key`: a fresh signing key signs from now on; the old one keeps verifying for
 * JWT_KEY_GRACE (default JWT_MAX_TTL), so no token issued before is cut short. Running APIs pick it up
 * on the first token that names the new kid.
 */
export const tokenRotateKeyCommand: CliCommand = {
  name: "token rotate-key",
  summary: "rotate the local JWT signing key (the old one verifies for a grace period)",
  usage: "nodeplane token rotate-key",
  async run(args) {
    if (args.length > 0) throw new UsageError(`unexpected argument ${args[0]}`);
    const env = loadEnv();
    const { retiredKid, kid } = await rotateSigningKey(env.NODEPLANE_DATA_DIR);
    process.stdout.write(`signing key ${kid} now signs; ${retiredKid} verifies until ${env.JWT_KEY_GRACE ?? env.JWT_MAX_TTL} from now\n`);
    return 0;
  },
};

const JTI = /^[A-Za-z0-9_\-:.]{1,128}$/;

/**
 * `nodeplane token revoke <jti>`: the operator's way to revoke a token by its id without an admin token
 * (same Redis list as POST /api/v1/auth/revoked-tokens); every API refuses it on the next request.
 */
export const tokenRevokeCommand: CliCommand = {
  name: "token revoke",
  summary: "revoke a JWT by its jti (refused by every API at once, until it would have expired)",
  usage: "nodeplane token revoke <jti>",
  async run(args) {
    const { flags, positional } = parseFlags(args);
    if (Object.keys(flags).length > 0) throw new UsageError(`unknown flag --${Object.keys(flags)[0]}`);
    const jti = onePositional(positional, "token id (the jti claim)");
    if (!JTI.test(jti)) throw new UsageError("a token id is 1-128 characters of A-Z a-z 0-9 _ - : .");
    const env = loadEnv();
    const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
    try {
      await redis.connect();
      const { until } = await redisRevocations(redis, {
        prefix: namesFor(env.NODEPLANE_NAMESPACE).redisPrefix,
        tokenMaxTtlSeconds: parseTtl(env.JWT_MAX_TTL),
      }).revokeToken(jti);
      process.stdout.write(`token ${jti} revoked until ${until.toISOString()}\n`);
      return 0;
    } finally {
      redis.disconnect();
    }
  },
};
