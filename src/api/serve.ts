import { serve, type ServerType } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import type { Api } from "./deps.js";

/** A running API server. */
export interface ServedApi {
  url: string;
  close(): Promise<void>;
}

/** Serves the app on `host:port` (port 0 = ephemeral) and resolves once it listens. */
export function serveApi(app: Api, opts: { host: string; port: number }): Promise<ServedApi> {
  return new Promise((resolve, reject) => {
    let server: ServerType | undefined;
    const onError = (err: Error) => reject(err);
    server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info: AddressInfo) => {
      server!.off("error", onError);
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () =>
          new Promise<void>((done, fail) => {
            server!.close((err) => (err ? fail(err) : done()));
            if ("closeAllConnections" in server!) server!.closeAllConnections();
          }),
      });
    });
    server.once("error", onError);
  });
}
