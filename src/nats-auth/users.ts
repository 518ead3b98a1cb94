import { encodeUser, fmtCreds, type ConnectionType } from "@nats-io/jwt";
import { createUser, fromPublic, type KeyPair } from "@nats-io/nkeys";
import type { UserPermissions } from "./permissions.js";

/** What a user JWT grants: permissions, lifetime and how it may connect. */
export interface UserGrant {
  readonly name: string;
  /** The account's identity key (public) and the signing key that issues on its behalf. */
  readonly account: KeyPair;
  readonly signingKey: KeyPair;
  /** Omitted = everything in the account. */
  readonly permissions?: UserPermissions;
  /** Seconds from now; omitted = no expiry. */
  readonly ttlSeconds?: number;
  readonly maxPayloadBytes?: number;
  readonly connectionTypes?: ConnectionType[];
}

/** A user JWT for a user's public nkey (the holder of the seed is not us: the agent case). */
export async function signUserJwt(
  userPublicKey: string,
  grant: UserGrant,
  now: Date = new Date(),
): Promise<{ jwt: string; expiresAt?: Date }> {
  const user = fromPublic(userPublicKey);
  const exp = grant.ttlSeconds === undefined ? undefined : Math.floor(now.getTime() / 1000) + grant.ttlSeconds;
  const jwt = await encodeUser(
    grant.name,
    user,
    grant.account.getPublicKey(),
    {
      ...(grant.permissions ? { pub: { allow: [...grant.permissions.pub.allow] }, sub: { allow: [...grant.permissions.sub.allow] } } : {}),
      ...(grant.maxPayloadBytes !== undefined ? { payload: grant.maxPayloadBytes } : {}),
      ...(grant.connectionTypes ? { allowed_connection_types: grant.connectionTypes } : {}),
    },
    { signer: grant.signingKey, ...(exp !== undefined ? { exp } : {}) },
  );
  return exp === undefined ? { jwt } : { jwt, expiresAt: new Date(exp * 1000) };
}

/** A fresh user nkey and its signed JWT, as a `.creds` text for `credsAuthenticator` (a secret: never log it). */
export async function signUserCreds(grant: UserGrant, now: Date = new Date()): Promise<string> {
  const user = createUser();
  const { jwt } = await signUserJwt(user.getPublicKey(), grant, now);
  return new TextDecoder().decode(fmtCreds(jwt, user));
}
