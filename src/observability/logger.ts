import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/**
 * Field paths whose values never reach a log line (SPEC R-KEY-3): credentials, keys, secrets.
 * pino's redaction censors them wherever they appear at these paths.
 */
export const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  'req.headers["x-api-key"]',
  'headers["x-api-key"]',
  "*.apiKey",
  "apiKey",
  "key",
  "*.key",
  "token",
  "*.token",
  "password",
  "*.password",
  "secret",
  "*.secret",
  "*.secrets",
  "privateKey",
  "*.privateKey",
  "seed",
  "*.seed",
  "plaintext",
  "*.plaintext",
  "sealed",
  "*.sealed",
  "value",
  "*.value",
  "dek",
  "*.dek",
  "creds",
  "*.creds",
];

/** The one logger factory: JSON lines, secret fields redacted, a `role` on every line. */
export function createLogger(
  opts: { role: string; level?: string; destination?: NodeJS.WritableStream } & Pick<LoggerOptions, "base"> = { role: "nodeplane" },
): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? process.env.LOG_LEVEL ?? "info",
    base: { role: opts.role, pid: process.pid, ...(opts.base ?? {}) },
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return opts.destination ? pino(options, opts.destination as never) : pino(options);
}
