import { createRoute, z } from "@hono/zod-openapi";
import type { RouteModule } from "../deps.js";
import { json } from "./common.js";

const PublicKey = z
  .object({
    algorithm: z.literal("X25519"),
    format: z
      .literal("crypto_box_seal")
      .openapi({ description: "Seal secrets with libsodium crypto_box_seal (ephPub(32) ‖ box); `ephPub ‖ nonce ‖ ciphertext` is refused" }),
    publicKey: z
      .string()
      .openapi({ description: "Base64 of the 32-byte X25519 public key", example: "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=" }),
  })
  .openapi("CryptoPublicKey");

const getPublicKey = createRoute({
  method: "get",
  path: "/api/v1/crypto/public-key",
  tags: ["crypto"],
  summary: "The server's X25519 public key, to seal user-provided secrets to (no auth, R-KEY-1)",
  responses: { 200: json(PublicKey, "The public key") },
});

/** `GET /api/v1/crypto/public-key`: public by design, so clients can seal before they hold a token. */
export function cryptoRoutes(opts: { publicKey: Uint8Array }): RouteModule {
  const body = {
    algorithm: "X25519" as const,
    format: "crypto_box_seal" as const,
    publicKey: Buffer.from(opts.publicKey).toString("base64"),
  };
  return (app) => {
    app.openapi(getPublicKey, (c) => c.json(body, 200));
  };
}
