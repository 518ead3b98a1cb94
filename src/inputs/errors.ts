import { DomainError } from "../domain/index.js";

/** What is wrong with one submitted input; never carries the submitted value (it may be a secret). */
export interface InputProblem {
  name: string;
  code:
    | "unknown_input"
    | "duplicate"
    | "wrong_kind"
    | "not_user_provided"
    | "too_long"
    | "invalid_format"
    | "invalid_sealed_secret"
    | "required";
  message: string;
}

/**
 * A submission with problems (400): every bad input is listed by name in `details`, and nothing was
 * written. The code is `invalid_sealed_secret` when the only problem is secrets that do not open.
 */
export class InputsValidationError extends DomainError {
  override name = "InputsValidationError";
  constructor(readonly problems: readonly InputProblem[]) {
    const sealedOnly = problems.length > 0 && problems.every((p) => p.code === "invalid_sealed_secret");
    super(
      sealedOnly ? "invalid_sealed_secret" : "invalid_input",
      `invalid provisioning inputs: ${[...new Set(problems.map((p) => p.name))].join(", ")}`,
      problems.map((p) => ({ name: p.name, code: p.code, message: p.message })),
    );
  }
}

/** The events name a sealed secret that the sealed-input store no longer holds (deleted after apply, or lost). */
export class SealedSecretMissingError extends Error {
  override name = "SealedSecretMissingError";
  constructor(
    readonly subscriptionId: string,
    readonly inputName: string,
    options?: ErrorOptions,
  ) {
    super(`subscription ${subscriptionId}: the sealed secret ${inputName} is not in the sealed-input store`, options);
  }
}
