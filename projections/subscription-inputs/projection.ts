import { and, eq, inArray, sql, type InferSelectModel } from "drizzle-orm";
import { subscriptionInputs } from "./table.js";
import { defineProjection, isEvent } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import { ProvisioningInputProvided, ProvisioningInputsApplied, ProvisioningSecretProvided } from "../../schemas/events/index.js";

export type SubscriptionInputRow = InferSelectModel<typeof subscriptionInputs>;

/** The input names an event touches (its rows are keyed by subscription id and name). */
export function inputNamesOf(e: StoredEvent): string[] {
  if (isEvent(e, ProvisioningInputProvided) || isEvent(e, ProvisioningSecretProvided)) return [e.data.name];
  if (isEvent(e, ProvisioningInputsApplied)) return [...e.data.names];
  return [];
}

/**
 * How the row of one input changes with an event (pure). A value replaces the previous one (a text's
 * row never keeps a fingerprint, a secret's never a value). Applying marks the named rows; a name with
 * no row is a secret the platform made (generated or chain-generated: nobody provided it), so it gets
 * a row of its own, dated by the application.
 */
export function evolveInputRow(row: SubscriptionInputRow | undefined, e: StoredEvent, name: string): SubscriptionInputRow | undefined {
  if (isEvent(e, ProvisioningInputProvided)) {
    const d = e.data;
    return {
      subscriptionId: d.subscriptionId,
      name,
      type: d.type,
      status: "provided",
      value: d.value,
      fingerprint: null,
      providedAt: d.providedAt,
      appliedAt: null,
      position: e.position,
    };
  }
  if (isEvent(e, ProvisioningSecretProvided)) {
    const d = e.data;
    return {
      subscriptionId: d.subscriptionId,
      name,
      type: "secret",
      status: "provided",
      value: null,
      fingerprint: d.fingerprint,
      providedAt: d.providedAt,
      appliedAt: null,
      position: e.position,
    };
  }
  if (isEvent(e, ProvisioningInputsApplied)) {
    const d = e.data;
    if (row) return { ...row, status: "applied", appliedAt: d.appliedAt, position: e.position };
    return {
      subscriptionId: d.subscriptionId,
      name,
      type: "secret",
      status: "applied",
      value: null,
      fingerprint: null,
      providedAt: d.appliedAt,
      appliedAt: d.appliedAt,
      position: e.position,
    };
  }
  return row;
}

/** Read model `subscription_inputs` (SPEC R-IN-3): one row per provided (or applied) input; never a secret's bytes. */
export const subscriptionInputsProjection = defineProjection({
  name: "subscription-inputs",
  categories: ["inputs"],
  tables: [subscriptionInputs],
  async apply(tx, e) {
    const names = inputNamesOf(e);
    if (names.length === 0) return;
    const found = await tx
      .select()
      .from(subscriptionInputs)
      .where(and(eq(subscriptionInputs.subscriptionId, e.aggregateId), inArray(subscriptionInputs.name, names)));
    const byName = new Map(found.map((r) => [r.name, r]));
    const rows = names.flatMap((n) => {
      const after = evolveInputRow(byName.get(n), e, n);
      return after && after !== byName.get(n) ? [after] : [];
    });
    if (rows.length === 0) return;
    const excluded = (col: string) => sql.raw(`excluded."${col}"`);
    await tx
      .insert(subscriptionInputs)
      .values(rows)
      .onConflictDoUpdate({
        target: [subscriptionInputs.subscriptionId, subscriptionInputs.name],
        set: {
          type: excluded("type"),
          status: excluded("status"),
          value: excluded("value"),
          fingerprint: excluded("fingerprint"),
          providedAt: excluded("provided_at"),
          appliedAt: excluded("applied_at"),
          position: excluded("position"),
        },
      });
  },
});
