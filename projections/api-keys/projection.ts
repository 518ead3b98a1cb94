import type { InferSelectModel } from "drizzle-orm";
import { apiKeys } from "./table.js";
import { defineProjection, isEvent, rowsApplier, type RowModel } from "../../src/projection/index.js";
import type { StoredEvent } from "../../src/eventstore/index.js";
import { ApiKeyCreated, ApiKeyRevoked } from "../../schemas/events/index.js";

export type ApiKeyRow = InferSelectModel<typeof apiKeys>;

/** How one API key row changes with an event (pure): the hash only, never the key. */
export function evolveApiKey(row: ApiKeyRow | undefined, e: StoredEvent): ApiKeyRow | undefined {
  if (isEvent(e, ApiKeyCreated)) {
    if (row) return row;
    const d = e.data;
    return {
      id: d.apiKeyId,
      ownerId: d.ownerId,
      name: d.name,
      scopes: d.scopes,
      keyHash: d.keyHash,
      keyPrefix: d.keyPrefix,
      createdAt: d.createdAt,
      expiresAt: d.expiresAt ?? null,
      revokedAt: null,
      position: e.position,
    };
  }
  if (!row) return undefined;
  if (isEvent(e, ApiKeyRevoked)) return row.revokedAt ? row : { ...row, revokedAt: e.data.revokedAt, position: e.position };
  return row;
}

export const apiKeyRows: RowModel<typeof apiKeys> = {
  table: apiKeys,
  key: apiKeys.id,
  keyOf: (e) => (e.category === "apikey" ? e.aggregateId : undefined),
  evolve: evolveApiKey,
};

/** Read model `api_keys` (SPEC R-API-2). */
export const apiKeysProjection = defineProjection({
  name: "api-keys",
  categories: ["apikey"],
  tables: [apiKeys],
  applyBatch: rowsApplier(apiKeyRows),
});
