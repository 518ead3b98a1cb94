import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { KeyFileFormat } from "../schemas/agent/index.js";

const HEX = Buffer.from("0123456789abcdef", "ascii");

/** Lower-case hex of `bytes` straight into a Buffer (no JS string: a string of a key could not be zeroed). */
function hexBuffer(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = HEX[bytes[i]! >> 4]!;
    out[2 * i + 1] = HEX[bytes[i]! & 15]!;
  }
  return out;
}

const B64 = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "ascii");

/** Standard padded base64 of `bytes` straight into a Buffer (same reason as hexBuffer). */
function base64Buffer(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.ceil(bytes.length / 3) * 4, "=".charCodeAt(0));
  let o = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out[o++] = B64[(n >> 18) & 63]!;
    out[o++] = B64[(n >> 12) & 63]!;
    if (i + 1 < bytes.length) out[o] = B64[(n >> 6) & 63]!;
    o++;
    if (i + 2 < bytes.length) out[o] = B64[n & 63]!;
    o++;
  }
  return out;
}

/**
 * The bytes of a key file in `format`: `raw` the stored bytes as they are, `hex`/`base64` that text
 * (no newline), `json` `{"keyName":"<name>","hex":"<hex>"}` plus a newline. The caller zeroes the
 * result (it is a fresh buffer, also for `raw`).
 */
export function encodeKeyFile(bytes: Uint8Array, format: KeyFileFormat, keyName: string): Buffer {
  switch (format) {
    case "raw":
      return Buffer.from(bytes);
    case "hex":
      return hexBuffer(bytes);
    case "base64":
      return base64Buffer(bytes);
    case "json": {
      const hex = hexBuffer(bytes);
      try {
        return Buffer.concat([Buffer.from(`{"keyName":${JSON.stringify(keyName)},"hex":"`), hex, Buffer.from(`"}\n`)]);
      } finally {
        hex.fill(0);
      }
    }
  }
}

const KEY_PATHS_FILE = "key-paths.json";
const KeyPaths = z.array(z.string());

/** The chain-dir paths of key files this agent wrote (INJECT_KEYS) or read (CAPTURE_KEY): snapshots leave them out. */
export async function loadKeyPaths(stateDir: string): Promise<string[]> {
  const text = await readFile(join(stateDir, KEY_PATHS_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return [];
  try {
    return KeyPaths.parse(JSON.parse(text));
  } catch {
    return [];
  }
}

/** Adds key paths to the list (no duplicates), atomically. */
export async function recordKeyPaths(stateDir: string, paths: readonly string[]): Promise<void> {
  const all = [...new Set([...(await loadKeyPaths(stateDir)), ...paths])];
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, KEY_PATHS_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify(all), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
