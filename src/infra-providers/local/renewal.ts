import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { connect } from "@nats-io/transport-node";
import { namesFor } from "../../eventstore/index.js";
import { renewCredentialsOver, INITIAL_CREDS_PREFIX, BootstrapRefusedError, type RenewableRole } from "../../credentials/index.js";
import { authenticatorFor, parseCreds, writeSecretFile } from "../../nats-auth/index.js";
import type { RenewalSpec } from "./supervisor-spec.js";

/** One credential the host renews: its role and file. */
interface Renewable {
  readonly role: RenewableRole;
  readonly file: string;
}

/**
 * True when a credential is due: the control plane generated its seed (an `initial-` user: rotated to a
 * key of the host's own at once), or `fraction` of its lifetime has passed.
 */
export function renewalDue(
  c: { name: string; issuedAt: number; expiresAt: number | undefined },
  nowSeconds: number,
  fraction: number,
): boolean {
  if (c.name.startsWith(INITIAL_CREDS_PREFIX)) return true;
  if (c.expiresAt === undefined) return false;
  return nowSeconds >= c.issuedAt + (c.expiresAt - c.issuedAt) * fraction;
}

/**
 * One pass of the host's renewal (R-NATS-4): every due credential is renewed over a connection with the
 * agent's creds, proving possession of its current key, and rotated to a fresh key generated here (the
 * new seed never leaves the host). Returns the roles renewed; the caller restarts the leaf when a leaf
 * user changed. A refusal (revoked node, unknown key) is thrown: nothing on this host can fix it.
 */
export async function renewDueCredentials(r: RenewalSpec, now: Date = new Date()): Promise<RenewableRole[]> {
  if (!existsSync(r.agentCredsFile)) return [];
  // The leaf's AGENT user last: the gateway revokes a replaced initial leaf user right after answering,
  // which cuts the link this pass talks over; every other renewal is done by then.
  const all: Renewable[] = [
    { role: "agent", file: r.agentCredsFile },
    ...(r.leaf
      ? [
          { role: "leaf-sys" as const, file: r.leaf.systemCredsFile },
          { role: "leaf" as const, file: r.leaf.agentCredsFile },
        ]
      : []),
  ];
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const due: (Renewable & { text: string })[] = [];
  for (const c of all) {
    const text = await readFile(c.file, "utf8");
    if (renewalDue(parseCreds(text), nowSeconds, r.renewAtFraction)) due.push({ ...c, text });
  }
  if (due.length === 0) return [];
  const names = namesFor(r.namespace);
  const agentCreds = await readFile(r.agentCredsFile, "utf8");
  const nc = await connect({
    servers: r.servers,
    authenticator: authenticatorFor(agentCreds),
    inboxPrefix: names.agentInboxPrefix(r.nodeId),
    name: `renewal-${r.nodeId}`,
    reconnect: false,
  });
  const renewed: RenewableRole[] = [];
  try {
    for (const c of due) {
      const { creds } = await renewCredentialsOver(nc, names, r.nodeId, c.role, parseCreds(c.text).key);
      await writeSecretFile(c.file, creds);
      renewed.push(c.role);
    }
  } finally {
    await nc.close();
  }
  return renewed;
}

/** Whether a renewal failure is final (the gateway refused) rather than a connection to retry. */
export function renewalRefused(err: unknown): err is BootstrapRefusedError {
  return err instanceof BootstrapRefusedError;
}
