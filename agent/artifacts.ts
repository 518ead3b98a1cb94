import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { agentDefaults } from "./defaults.js";
import { ArtifactFetchError, ArtifactVerificationError } from "./errors.js";

/** Lower-case hex sha256 of a buffer. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Throws ArtifactVerificationError unless `actual` equals `expected` (both hex). */
export function verifySha256(expected: string, actual: string, what: string): void {
  if (expected.toLowerCase() !== actual.toLowerCase()) {
    throw new ArtifactVerificationError(`${what}: sha256 mismatch (expected ${expected.toLowerCase()}, got ${actual})`);
  }
}

async function openSource(url: URL, timeoutMs: number): Promise<{ stream: Readable; size?: number }> {
  if (url.protocol === "file:") {
    const path = fileURLToPath(url);
    const stream = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      stream.once("open", () => resolve());
      stream.once("error", (err) => reject(new ArtifactFetchError(`cannot read ${url.href}: ${err.message}`, { cause: err })));
    });
    return { stream };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new ArtifactFetchError(`unsupported artifact URL scheme ${url.protocol}`);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new ArtifactFetchError(`cannot fetch ${url.origin}${url.pathname}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw new ArtifactFetchError(`fetching ${url.origin}${url.pathname} answered ${res.status}`);
  const len = Number(res.headers.get("content-length"));
  return {
    stream: Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>),
    ...(Number.isFinite(len) && len > 0 ? { size: len } : {}),
  };
}

/**
 * Downloads (or copies, for file: URLs) an artifact into `stagingPath`, hashing on the way, and
 * verifies its sha256. On a mismatch or error the staged file is removed and nothing is installed.
 */
export async function fetchVerified(
  href: string,
  expectedSha256: string,
  stagingPath: string,
  onBytes: (received: number, total: number | undefined) => void,
  timeoutMs: number = agentDefaults.fetchTimeoutMs,
): Promise<{ sha256: string; bytes: number }> {
  const url = new URL(href);
  const hash = createHash("sha256");
  let received = 0;
  try {
    const { stream, size } = await openSource(url, timeoutMs);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        received += chunk.length;
        onBytes(received, size);
        cb(null, chunk);
      },
    });
    await pipeline(stream, meter, createWriteStream(stagingPath, { mode: 0o600 }));
    const sha256 = hash.digest("hex");
    verifySha256(expectedSha256, sha256, `artifact ${url.protocol === "file:" ? url.pathname.split("/").pop() : url.pathname}`);
    return { sha256, bytes: received };
  } catch (err) {
    await rm(stagingPath, { force: true });
    if (err instanceof ArtifactVerificationError || err instanceof ArtifactFetchError) throw err;
    throw new ArtifactFetchError(`cannot fetch artifact: ${(err as Error).message}`, { cause: err });
  }
}
