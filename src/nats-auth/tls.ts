import { execFileSync } from "node:child_process";
import { chmod, mkdir, writeFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaults } from "../config/index.js";
import { TlsGenerationError } from "./errors.js";

/** Paths of the leaf-node TLS material (CA for the leaf servers to trust; cert and key for the hub). */
export interface TlsFiles {
  readonly caCert: string;
  readonly caKey: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

/** Where the TLS files live inside the nats-auth directory. */
export function tlsFiles(dir: string): TlsFiles {
  const tls = join(dir, "tls");
  return {
    caCert: join(tls, "ca.pem"),
    caKey: join(tls, "ca-key.pem"),
    serverCert: join(tls, "server.pem"),
    serverKey: join(tls, "server-key.pem"),
  };
}

/**
 * Generates a self-signed CA and a hub certificate for the leaf-node port, once. Shells out to the
 * machine's `openssl` (3.x): it is present wherever nats-server runs, and node:crypto cannot issue
 * X.509 certificates. Production replaces these files with certificates from its own PKI.
 */
export async function ensureTls(dir: string, opts: { hosts: readonly string[] }): Promise<{ files: TlsFiles; created: boolean }> {
  const files = tlsFiles(dir);
  if ([files.caCert, files.caKey, files.serverCert, files.serverKey].every((f) => existsSync(f))) return { files, created: false };
  const tlsDir = join(dir, "tls");
  await mkdir(tlsDir, { recursive: true, mode: 0o700 });
  const csr = join(tlsDir, "server.csr");
  const ext = join(tlsDir, "server.ext");
  const san = opts.hosts.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
  await writeFile(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`, {
    mode: 0o600,
  });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    openssl([
      "req",
      "-x509",
      ...ec,
      "-keyout",
      files.caKey,
      "-out",
      files.caCert,
      "-days",
      String(defaults.natsAuth.caValidityDays),
      "-subj",
      "/CN=nodeplane local NATS CA",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(["req", "-new", ...ec, "-keyout", files.serverKey, "-out", csr, "-subj", `/CN=${opts.hosts[0] ?? "localhost"}`]);
    openssl([
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      files.caCert,
      "-CAkey",
      files.caKey,
      "-CAcreateserial",
      "-out",
      files.serverCert,
      "-days",
      String(defaults.natsAuth.serverCertValidityDays),
      "-extfile",
      ext,
    ]);
  } finally {
    await rm(csr, { force: true });
    await rm(ext, { force: true });
    await rm(join(tlsDir, "ca.srl"), { force: true });
  }
  for (const f of [files.caCert, files.caKey, files.serverCert, files.serverKey]) await chmod(f, 0o600);
  return { files, created: true };
}

function openssl(args: string[]): void {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    // openssl's stderr names files and options only, never key material.
    const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim();
    throw new TlsGenerationError(`openssl ${args[0]} failed: ${stderr}`, { cause: err });
  }
}
