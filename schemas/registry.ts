import type { z } from "zod";

/**
 * Non-event schemas exported by `make schemas` (payment messages, agent messages, saga journal),
 * keyed by their path under schemas/json/ without extension, e.g. "payments/payment.completed.v1".
 */
export const exportedSchemas: Record<string, z.ZodType> = {};

/** Adds schemas to the export (called by each schema module at import). */
export function registerSchemas(entries: Record<string, z.ZodType>): void {
  Object.assign(exportedSchemas, entries);
}
