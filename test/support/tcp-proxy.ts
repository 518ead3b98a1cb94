import { createServer, connect, type Server, type Socket } from "node:net";

/**
 * A TCP proxy between a client and a server, for cutting a link in fault tests (the agent's NATS
 * connection): `cut()` closes every proxied connection and stops listening, `restore()` listens
 * again on the same port.
 */
export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Proxies 127.0.0.1:<random port> to `targetHost:targetPort`. */
export async function startTcpProxy(targetHost: string, targetPort: number, scheme = "nats"): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const sock of [client, upstream]) {
        sockets.add(sock);
        sock.once("close", () => sockets.delete(sock));
        sock.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    const addr = s.address();
    if (typeof addr === "object" && addr) port = addr.port;
    server = s;
  };
  const stop = async () => {
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    get port() {
      return port;
    },
    get url() {
      return `${scheme}://127.0.0.1:${port}`;
    },
    cut: stop,
    restore: listen,
    close: stop,
  };
}
