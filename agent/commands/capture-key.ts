import type { CommandOf } from "../../schemas/agent/index.js";
import { sealWithDek } from "../crypto.js";
import { AgentError } from "../errors.js";
import { recordKeyPaths } from "../key-files.js";
import { readConfinedFile } from "../paths.js";
import type { ProgressFn } from "../recipe.js";
import { ephemeralKeyPair, openSealed } from "../sealed-box.js";
import type { CommandContext } from "./context.js";

/**
 * CAPTURE_KEY (R-CMD-4): reads a key file confined to the chain data dir (no `..`, no absolute path
 * outside, no symlink out, no final symlink), asks the control plane for the node DEK sealed to a
 * one-time key, and returns only the AES-256-GCM ciphertext. The plaintext, the DEK and the one-time
 * secret key are zeroed whatever happens; none of them is logged.
 */
export async function captureKey(ctx: CommandContext, cmd: CommandOf<"CAPTURE_KEY">, progress: ProgressFn): Promise<Record<string, unknown>> {
  const { keyName, keyPath, keyType } = cmd.payload;
  const plaintext = await readConfinedFile(ctx.paths.chainData, keyPath);
  const pair = ephemeralKeyPair();
  let dek: Uint8Array | undefined;
  try {
    progress(30, `read key ${keyName}`);
    const sealed = await ctx.requestSealedDek(cmd.id, pair.publicKey);
    dek = openSealed(sealed, pair.publicKey, pair.secretKey);
    if (!dek) throw new AgentError("DEK_UNAVAILABLE", "the sealed DEK could not be opened");
    if (dek.length !== 32) throw new AgentError("DEK_UNAVAILABLE", "the DEK is not 32 bytes");
    const ciphertext = sealWithDek(plaintext, dek, ctx.nodeId);
    progress(90, `encrypted key ${keyName}`);
    // A key file stays out of snapshots from now on (SNAPSHOT_CREATE excludes it).
    await recordKeyPaths(ctx.paths.state, [keyPath]);
    return { keyName, keyType, encryption: "AES-256-GCM", ciphertext: ciphertext.toString("base64") };
  } finally {
    plaintext.fill(0);
    dek?.fill(0);
    pair.secretKey.fill(0);
  }
}
