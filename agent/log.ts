import { pino, type Logger } from "pino";

export type { Logger };

/** Fields never logged (SPEC R-KEY-3): key material, DEKs, credentials. */
const REDACT = [
  "dek",
  "*.dek",
  "key",
  "*.key",
  "plaintext",
  "*.plaintext",
  "ciphertext",
  "*.ciphertext",
  "creds",
  "*.creds",
  "token",
  "*.token",
  "payload.dek",
  "*.payload.dek",
];

/** The agent's logger: JSON lines on stdout, secret fields redacted. */
export function createAgentLogger(nodeId: string, level: string): Logger {
  return pino({
    level,
    base: { role: "agent", nodeId, pid: process.pid },
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
