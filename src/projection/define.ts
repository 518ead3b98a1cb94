import type { z } from "zod";
import type { PgTable } from "drizzle-orm/pg-core";
import type { EventDefinition } from "../../schemas/events/index.js";
import { type StoredEvent, type Names, assertToken } from "../eventstore/index.js";
import type { Tx } from "./db.js";
import { eventsSource, type ProjectionSource } from "./consumer.js";

/**
 * A read model fed by events (DESIGN.md §6). The runtime hands it batches of events in stream order
 * inside one transaction that also moves its checkpoint; it only writes its own `tables`.
 */
export interface Projection {
  readonly name: string;
  /** The stream it consumes and how its messages decode: the EVENTS stream unless declared otherwise. */
  readonly source: ProjectionSource;
  /** The subjects of its source stream it consumes (one durable consumer with these filter subjects). */
  filterSubjects(names: Names): string[];
  /** Tables it owns: a rebuild swaps exactly these, and compares them row by row. */
  readonly tables: readonly PgTable[];
  /** Applies events (position order, none applied before) inside the batch transaction. */
  applyBatch(tx: Tx, events: readonly StoredEvent[]): Promise<void>;
}

type Source = { categories: readonly string[] } | { filterSubjects: (names: Names) => string[] };

/** Either a per-event `apply` (simple) or a batch `applyBatch` (fast: one query per batch). */
type Apply =
  | { apply: (tx: Tx, event: StoredEvent) => Promise<void>; applyBatch?: never }
  | { applyBatch: (tx: Tx, events: readonly StoredEvent[]) => Promise<void>; apply?: never };

/** Declares a projection; `categories` become `events.<category>.>` filter subjects; `source` defaults to EVENTS. */
export function defineProjection(
  def: { name: string; tables: readonly PgTable[]; source?: ProjectionSource } & Source & Apply,
): Projection {
  assertToken("projection", def.name);
  const filterSubjects = "categories" in def ? (names: Names) => def.categories.map((c) => names.categorySubjects(c)) : def.filterSubjects;
  const applyBatch =
    def.applyBatch ??
    (async (tx: Tx, events: readonly StoredEvent[]) => {
      for (const e of events) await def.apply!(tx, e);
    });
  return { name: def.name, source: def.source ?? eventsSource, tables: def.tables, filterSubjects, applyBatch };
}

/** True when the projection's checkpoint is an EVENTS position (what read-your-writes waits compare against). */
export function readsEvents(p: Projection): boolean {
  return p.source === eventsSource;
}

/** Narrows a stored event to one definition, typing its data. */
export function isEvent<T extends string, S extends z.ZodType>(
  e: StoredEvent,
  def: EventDefinition<T, S>,
): e is StoredEvent<T, z.infer<S>> {
  return e.type === def.type;
}
