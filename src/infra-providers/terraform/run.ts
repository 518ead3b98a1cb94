import { spawn } from "node:child_process";
import type { Logger } from "../../observability/index.js";
import { TerraformCommandError, TerraformTimeoutError } from "./errors.js";
import { describeDiagnostics, parseUiStream, redact, type UiStream } from "./json-stream.js";

/** One terraform invocation. */
export interface TerraformCall {
  binary: string;
  /** The subcommand and its flags, e.g. `["apply", "-auto-approve", "-input=false", "-json"]`; never a secret. */
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** After the timeout: SIGINT (clean stop, state lock released), SIGKILL after this grace. */
  interruptGraceMs: number;
  /** Values to scrub from any text that leaves this function. */
  secrets: readonly string[];
  logger: Logger;
}

/** What a successful call printed: its stdout and, for `-json` calls, the parsed UI stream. */
export interface TerraformResult {
  stdout: string;
  stream: UiStream;
}

const TAIL = 2_000;

/**
 * Runs terraform to completion. A non-zero exit becomes TerraformCommandError carrying the error
 * diagnostics of the JSON stream (or, for commands without `-json`, the tail of stderr), redacted.
 */
export function runTerraform(call: TerraformCall): Promise<TerraformResult> {
  const command = call.args[0] ?? "";
  const log = call.logger.child({ terraform: command });
  log.debug({ cwd: call.cwd }, "terraform started");
  return new Promise((resolvePromise, reject) => {
    const child = spawn(call.binary, call.args, { cwd: call.cwd, env: call.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 4 * TAIL) stderr = stderr.slice(-2 * TAIL);
    });
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGINT");
      killTimer = setTimeout(() => child.kill("SIGKILL"), call.interruptGraceMs);
    }, call.timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      reject(new TerraformCommandError(`terraform ${command} could not start: ${err.message}`, command, "spawn", [], { cause: err }));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      const stream = parseUiStream(stdout);
      for (const d of stream.diagnostics)
        log.warn({ severity: d.severity, summary: redact(d.summary, call.secrets) }, "terraform diagnostic");
      if (code === 0 && !timedOut) {
        log.debug({ changes: stream.changes }, "terraform finished");
        resolvePromise({ stdout, stream });
        return;
      }
      const exit = code ?? signal ?? "unknown";
      const diagnostics = stream.diagnostics.filter((d) => d.severity === "error");
      const why =
        diagnostics.length > 0
          ? describeDiagnostics(diagnostics, call.secrets)
          : redact([...stream.other, stderr].join("\n").trim().slice(-TAIL).replace(/\s+/g, " "), call.secrets) || "no diagnostics";
      const clean = diagnostics.map((d) => ({ ...d, summary: redact(d.summary, call.secrets), detail: redact(d.detail, call.secrets) }));
      if (timedOut) {
        reject(
          new TerraformTimeoutError(
            `terraform ${command} timed out after ${call.timeoutMs} ms and was interrupted: ${why}`,
            command,
            exit,
            clean,
          ),
        );
        return;
      }
      reject(new TerraformCommandError(`terraform ${command} failed (exit ${exit}): ${why}`, command, exit, clean));
    });
  });
}
