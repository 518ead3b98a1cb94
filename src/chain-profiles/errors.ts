import { ValidationError } from "../domain/index.js";

/** A chain profile file is unreadable or invalid; the message names the file and the field. */
export class ChainProfileError extends Error {
  override name = "ChainProfileError";
  constructor(
    readonly file: string,
    readonly field: string | undefined,
    readonly problem: string,
    options?: ErrorOptions,
  ) {
    super(field ? `${file}: ${field}: ${problem}` : `${file}: ${problem}`, options);
  }
}

/** R-SUB-1 step 2: the request names a chain profile that does not exist (400). */
export class UnknownChainProfileError extends ValidationError {
  override name = "UnknownChainProfileError";
  constructor(
    readonly chainProfileId: string,
    known: string[],
  ) {
    super(`unknown chain profile ${JSON.stringify(chainProfileId)}`, { field: "chainProfileId", known });
  }
}

/** R-SUB-1 step 2: the chain profile has no such node type (400). */
export class UnknownNodeTypeError extends ValidationError {
  override name = "UnknownNodeTypeError";
  constructor(
    readonly chainProfileId: string,
    readonly nodeType: string,
    known: string[],
  ) {
    super(`chain profile ${chainProfileId} has no node type ${JSON.stringify(nodeType)}`, { field: "nodeType", known });
  }
}

/** R-SUB-1 step 3: the node type is not offered for that many days (400). */
export class UnsupportedDurationError extends ValidationError {
  override name = "UnsupportedDurationError";
  constructor(
    readonly chainProfileId: string,
    readonly nodeType: string,
    readonly durationDays: number,
    known: number[],
  ) {
    super(`chain profile ${chainProfileId} does not offer ${nodeType} nodes for ${durationDays} days`, { field: "durationDays", known });
  }
}
