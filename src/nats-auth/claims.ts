import type { NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import { defaults } from "../config/index.js";
import { ClaimsUpdateError } from "./errors.js";

/** `$SYS.REQ.CLAIMS.UPDATE`: full resolvers store the JWT and apply it; cache resolvers (leaf servers) apply it too. */
export const CLAIMS_UPDATE_SUBJECT = "$SYS.REQ.CLAIMS.UPDATE";

const UpdateReply = z.object({
  data: z.object({ code: z.number(), message: z.string().optional() }).optional(),
  error: z.object({ code: z.number(), description: z.string().optional() }).optional(),
});

/** Pushes an account JWT to the running servers over a SYS connection; throws unless the resolver stored it. */
export async function pushAccountJwt(
  sys: NatsConnection,
  jwt: string,
  timeoutMs: number = defaults.natsAuth.claimsUpdateTimeoutMs,
): Promise<void> {
  let text: string;
  try {
    text = (await sys.request(CLAIMS_UPDATE_SUBJECT, jwt, { timeout: timeoutMs })).string();
  } catch (err) {
    throw new ClaimsUpdateError(`no server answered ${CLAIMS_UPDATE_SUBJECT}`, { cause: err });
  }
  const parsed = UpdateReply.safeParse(safeJson(text));
  if (!parsed.success) throw new ClaimsUpdateError(`unexpected answer to ${CLAIMS_UPDATE_SUBJECT}`);
  if (parsed.data.error) throw new ClaimsUpdateError(`account JWT refused: ${parsed.data.error.description ?? parsed.data.error.code}`);
  if (!parsed.data.data || parsed.data.data.code !== 200)
    throw new ClaimsUpdateError(`account JWT not stored (code ${parsed.data.data?.code ?? "none"})`);
}

/** The account JWT the running servers hold (so a revocation adds to it instead of replacing it). */
export async function lookupAccountJwt(
  sys: NatsConnection,
  account: string,
  timeoutMs: number = defaults.natsAuth.claimsUpdateTimeoutMs,
): Promise<string | undefined> {
  try {
    const text = (await sys.request(`$SYS.REQ.ACCOUNT.${account}.CLAIMS.LOOKUP`, "", { timeout: timeoutMs })).string();
    return text.length > 0 ? text : undefined;
  } catch (err) {
    throw new ClaimsUpdateError(`no server answered the lookup of account ${account}`, { cause: err });
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
