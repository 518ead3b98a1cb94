import type { CommandOf } from "../../schemas/agent/index.js";
import { recordKeyPaths } from "../key-files.js";
import { readConfinedFile } from "../paths.js";
import type { ProgressFn } from "../recipe.js";
import { seal } from "../sealed-box.js";
import type { CommandContext } from "./context.js";

/**
 * CAPTURE_KEY (R-CMD-4, version 2): reads a key file confined to the chain data dir (no `..`, no
 * absolute path outside, no symlink out, no final symlink) and returns it sealed to the control
 * plane's one-time X25519 key from the payload. The agent never holds a DEK (R-NATS-4): whoever owns
 * the host learns nothing it could use on another node's keys. The plaintext is zeroed whatever
 * happens and never logged.
 */
export async function captureKey(
  ctx: CommandContext,
  cmd: CommandOf<"CAPTURE_KEY">,
  progress: ProgressFn,
): Promise<Record<string, unknown>> {
  const { keyName, keyPath, keyType, recipientPublicKey } = cmd.payload;
  const plaintext = await readConfinedFile(ctx.paths.chainData, keyPath);
  try {
    progress(30, `read key ${keyName}`);
    const sealed = seal(plaintext, Buffer.from(recipientPublicKey, "base64"));
    progress(90, `sealed key ${keyName}`);
    // A key file stays out of snapshots from now on (SNAPSHOT_CREATE excludes it).
    await recordKeyPaths(ctx.paths.state, [keyPath]);
    return { keyName, keyType, encryption: "X25519-SEALED-BOX", sealed: Buffer.from(sealed).toString("base64") };
  } finally {
    plaintext.fill(0);
  }
}
