import { z } from "zod";

/**
 * An event type: its name, the aggregate category it belongs to, its current schema version and the
 * upcasters that lift older stored versions to the current one when read (SPEC R-ES-6).
 */
export interface EventDefinition<Type extends string = string, Schema extends z.ZodType = z.ZodType> {
  readonly type: Type;
  readonly category: string;
  readonly version: number;
  readonly schema: Schema;
  /** `upcasters[v]` turns data of version v into version v+1. */
  readonly upcasters: Readonly<Record<number, (data: unknown) => unknown>>;
}

/** Declares an event type (see `schemas/README.md` for the envelope every event travels in). */
export function defineEvent<Type extends string, Schema extends z.ZodType>(def: {
  type: Type;
  category: string;
  version: number;
  schema: Schema;
  upcasters?: Record<number, (data: unknown) => unknown>;
}): EventDefinition<Type, Schema> {
  return { upcasters: {}, ...def };
}

/** The data of an event definition. */
export type EventData<D> = D extends EventDefinition<string, infer S> ? z.infer<S> : never;

/** A typed event value `{ type, data }` of one definition. */
export type EventOf<D> = D extends EventDefinition<infer T, infer S> ? { type: T; data: z.infer<S> } : never;

/** Reused field shapes. */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_\-:]+$/, "letters, digits, _ - : only");
export const IsoTime = z.iso.datetime({ offset: true });
