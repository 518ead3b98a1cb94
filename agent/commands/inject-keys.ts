import type { CommandOf } from "../../schemas/agent/index.js";
import { AgentError } from "../errors.js";
import { encodeKeyFile, recordKeyPaths } from "../key-files.js";
import { writeConfinedFile } from "../confined-fs.js";
import type { ProgressFn } from "../recipe.js";
import { ephemeralKeyPair, openSealed } from "../sealed-box.js";
import type { CommandContext } from "./context.js";

/**
 * INJECT_KEYS (R-PROV InjectKeys): asks the control plane for the keys the command names, each sealed
 * to a one-time X25519 key, opens them and writes each file confined to the chain data dir (no `..`,
 * no symlink out, parents created) with its mode, atomically. Every plaintext, encoded file and the
 * one-time secret key are zeroed whatever happens; nothing of a key is logged or returned (not even a hash).
 */
export async function injectKeys(
  ctx: CommandContext,
  cmd: CommandOf<"INJECT_KEYS">,
  progress: ProgressFn,
): Promise<Record<string, unknown>> {
  const wanted = cmd.payload.keys;
  const pair = ephemeralKeyPair();
  const opened: Uint8Array[] = [];
  try {
    progress(10, `requesting ${wanted.length} key(s)`);
    const sealed = await ctx.requestSealedKeys(cmd.id, pair.publicKey);
    const byName = new Map(sealed.map((s) => [s.keyName, s.sealed]));
    const plain = wanted.map((k) => {
      const box = byName.get(k.keyName);
      if (!box) throw new AgentError("KEYS_UNAVAILABLE", `the control plane sent no key ${k.keyName}`);
      const bytes = openSealed(box, pair.publicKey, pair.secretKey);
      if (!bytes) throw new AgentError("KEYS_UNAVAILABLE", `the sealed key ${k.keyName} could not be opened`);
      opened.push(bytes);
      return bytes;
    });
    const injected: { keyName: string; path: string }[] = [];
    for (const [i, k] of wanted.entries()) {
      const file = encodeKeyFile(plain[i]!, k.format, k.keyName);
      try {
        await writeConfinedFile(ctx.paths.chainData, k.path, file, parseInt(k.mode ?? "0600", 8), {
          dirMode: 0o700,
          owner: ctx.chainOwner,
        });
      } finally {
        file.fill(0);
      }
      injected.push({ keyName: k.keyName, path: k.path });
      progress(20 + Math.floor(((i + 1) / wanted.length) * 75), `wrote key ${k.keyName}`);
    }
    await recordKeyPaths(
      ctx.paths.state,
      injected.map((k) => k.path),
    );
    return { injected };
  } finally {
    for (const b of opened) b.fill(0);
    pair.secretKey.fill(0);
  }
}
