/** Named errors of the agent; each carries a stable `code` that command_failed reports. */
export class AgentError extends Error {
  override name = "AgentError";
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A CAPTURE_KEY (or recipe) path that would leave the chain data directory. */
export class PathConfinementError extends AgentError {
  override name = "PathConfinementError";
  constructor(message: string) {
    super("PATH_REFUSED", message);
  }
}

/** An artifact whose sha256 is not the one the recipe names; nothing was installed. */
export class ArtifactVerificationError extends AgentError {
  override name = "ArtifactVerificationError";
  constructor(message: string) {
    super("ARTIFACT_MISMATCH", message);
  }
}

/** An artifact that could not be fetched. */
export class ArtifactFetchError extends AgentError {
  override name = "ArtifactFetchError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ARTIFACT_FETCH_FAILED", message, options);
  }
}

/** A recipe or command payload that does not fit its schema or references unknown values. */
export class InvalidCommandError extends AgentError {
  override name = "InvalidCommandError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_COMMAND", message, options);
  }
}

/** The runtime could not start, stop or inspect the node. */
export class RuntimeError extends AgentError {
  override name = "RuntimeError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("RUNTIME_FAILED", message, options);
  }
}

/** A snapshot could not be written, fetched, verified or restored (`code` says which). */
export class SnapshotError extends AgentError {
  override name = "SnapshotError";
  constructor(
    message: string,
    options?: { cause?: unknown; code?: "SNAPSHOT_FAILED" | "SNAPSHOT_MISMATCH" | "SNAPSHOT_REFUSED" | "UNSUPPORTED_URL" },
  ) {
    super(options?.code ?? "SNAPSHOT_FAILED", message, options);
  }
}

/** Invalid agent configuration (flags/env). */
export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

/** The error's code for command_failed: an AgentError's own, else a generic one. */
export function errorCode(err: unknown): string {
  return err instanceof AgentError ? err.code : "COMMAND_FAILED";
}

/** A message safe to send: an error's message only, never a stack or a cause's payload. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
