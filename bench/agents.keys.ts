/**
 * Ed25519 nkeys backed by node:crypto for the agents bench's setup. @nats-io/nkeys signs in pure JS
 * (tweetnacl) and re-derives the key pair on every call: ~30 ms per agent credential and ~10 ms per
 * connection handshake on a busy 2-core box, i.e. a minute of setup for 2,000 agents and nonce
 * signatures that miss the server's auth timeout. The keys, JWTs and signatures are the same bytes
 * (Ed25519 is deterministic); only the setup gets faster. The measured windows do not sign anything.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from "node:crypto";
import { encode, Prefix, type KeyPair } from "@nats-io/nkeys";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import type { Authenticator } from "@nats-io/transport-node";

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/** The same key pair as `fromSeed(seed)`, signing natively. */
export function fastKeyPair(seed: Uint8Array): KeyPair {
  const { prefix, buf } = Codec.decodeSeed(seed);
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, buf]), format: "der", type: "pkcs8" });
  const pubKey = createPublicKey(priv);
  const rawPub = Buffer.from(pubKey.export({ format: "jwk" }).x ?? "", "base64url");
  const publicKey = new TextDecoder().decode(Codec.encode(prefix, rawPub));
  return {
    getPublicKey: () => publicKey,
    getPrivateKey: () => Codec.encode(Prefix.Private, Buffer.concat([buf, rawPub])),
    getSeed: () => seed,
    sign: (input) => new Uint8Array(sign(null, input, priv)),
    verify: (input, sig) => verify(null, input, pubKey, sig),
    clear: () => {
      seed.fill(0);
    },
    // Ed25519 pairs cannot seal (curve keys do); nkeys' own pairs throw here too.
    seal: () => {
      throw new Error("seal needs a curve key");
    },
    open: () => {
      throw new Error("open needs a curve key");
    },
  };
}

/** A fresh user nkey (what an agent generates for itself before asking for credentials). */
export function newUserKeyPair(): KeyPair {
  return fastKeyPair(Codec.encodeSeed(Prefix.User, randomBytes(32)));
}

/** What `credsAuthenticator` does for a creds file, without re-deriving the key on every handshake. */
export function userAuthenticator(jwt: string, user: KeyPair): Authenticator {
  return (nonce?: string) => ({ jwt, nkey: user.getPublicKey(), sig: nonce ? encode(user.sign(new TextEncoder().encode(nonce))) : "" });
}
