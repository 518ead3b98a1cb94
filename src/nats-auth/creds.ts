import { decode } from "@nats-io/jwt";
import { fromSeed, type KeyPair } from "@nats-io/nkeys";
import { NatsAuthError } from "./errors.js";

/** A `.creds` file read back: its JWT's claims that matter for renewal, and the key pair of its seed (a secret). */
export interface ParsedCreds {
  readonly jwt: string;
  readonly name: string;
  readonly issuedAt: number;
  /** Unix seconds; undefined = never expires. */
  readonly expiresAt: number | undefined;
  readonly key: KeyPair;
}

const JWT = /-----BEGIN NATS USER JWT-----\s*\n\s*(\S+)\s*\n/;
const SEED = /-----BEGIN USER NKEY SEED-----\s*\n\s*(SU[A-Z2-7]+)\s*\n/;

/** Parses a `.creds` text; the error never quotes the text (it holds a seed). */
export function parseCreds(text: string): ParsedCreds {
  const jwt = JWT.exec(text)?.[1];
  const seed = SEED.exec(text)?.[1];
  if (!jwt || !seed) throw new NatsAuthError("not a .creds text (a user JWT and a user seed)");
  let claims: { name?: string; iat?: number; exp?: number };
  let key: KeyPair;
  try {
    claims = decode(jwt);
    key = fromSeed(new TextEncoder().encode(seed));
  } catch (err) {
    throw new NatsAuthError("the .creds text does not decode", { cause: err });
  }
  return { jwt, name: claims.name ?? "", issuedAt: claims.iat ?? 0, expiresAt: claims.exp, key };
}
