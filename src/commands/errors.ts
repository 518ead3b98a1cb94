import type { Doubt } from "./liveness.js";

/** Base of the errors a command wait ends with; `commandId` names the command. */
export class CommandWaitError extends Error {
  override name = "CommandWaitError";
  constructor(
    readonly commandId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The agent reported `command_failed`. */
export class CommandFailedError extends CommandWaitError {
  override name = "CommandFailedError";
  constructor(
    commandId: string,
    readonly error: { code: string; message: string },
    options?: ErrorOptions,
  ) {
    super(commandId, `command ${commandId} failed: ${error.code}: ${error.message}`, options);
  }
}

/** The agent flagged the command `stalled` for StallMaxThreshold checks in a row (R-CMD-3 (3)). */
export class CommandStalledError extends CommandWaitError {
  override name = "CommandStalledError";
  constructor(
    commandId: string,
    readonly stalledChecks: number,
    options?: ErrorOptions,
  ) {
    super(commandId, `command ${commandId} stalled for ${stalledChecks} checks`, options);
  }
}

/** No heartbeat (or the command gone from running_command_ids) beyond the grace window (R-CMD-3 (4)). */
export class CommandLivenessLostError extends CommandWaitError {
  override name = "CommandLivenessLostError";
  constructor(
    commandId: string,
    readonly nodeId: string,
    readonly lost: Doubt,
    readonly silentForMs: number,
    options?: ErrorOptions,
  ) {
    super(
      commandId,
      `command ${commandId} on node ${nodeId}: liveness lost (${lost === "no_heartbeat" ? "no heartbeat" : "no longer running"} for ${silentForMs} ms)`,
      options,
    );
  }
}

/** The command never showed as running: not acknowledged, or not in running_command_ids (R-CMD-3 (1)). */
export class CommandNotRunningError extends CommandWaitError {
  override name = "CommandNotRunningError";
  constructor(
    commandId: string,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(commandId, `command ${commandId} is not running: ${detail}`, options);
  }
}

/** A command could not be queued (invalid, or queued before with other content). */
export class CommandEnqueueError extends Error {
  override name = "CommandEnqueueError";
}
