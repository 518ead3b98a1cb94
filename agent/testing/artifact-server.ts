import { createHash, randomBytes } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";

/**
 * An HTTP artifact whose download stops halfway until the test releases it: a command that makes
 * no progress (stall detection) or that finishes exactly when the test wants (during an outage).
 */
export interface HeldArtifact {
  url: string;
  sha256: string;
  /** Resolves once a client is mid-download. */
  requested: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

/** Serves `size` random bytes; the second half waits for `release()`. */
export async function heldArtifact(size = 64 * 1024): Promise<HeldArtifact> {
  const body = randomBytes(size);
  const half = Math.floor(size / 2);
  const waiting: ServerResponse[] = [];
  let released = false;
  let onRequest!: () => void;
  const requested = new Promise<void>((r) => (onRequest = r));
  const finish = (res: ServerResponse) => res.end(body.subarray(half));
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(size) });
    res.write(body.subarray(0, half));
    onRequest();
    if (released) finish(res);
    else waiting.push(res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/node.bin`,
    sha256: createHash("sha256").update(body).digest("hex"),
    requested,
    release() {
      released = true;
      for (const res of waiting.splice(0)) finish(res);
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
