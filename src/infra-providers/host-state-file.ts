import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { HostStateError } from "./provider.js";

/** Reads and validates a provider's saved host state (host.json); undefined when the file does not exist. */
export async function readHostStateFile<S extends z.ZodType>(path: string, schema: S, what: string): Promise<z.infer<S> | undefined> {
  if (!existsSync(path)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new HostStateError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new HostStateError(`${path} does not match the ${what} schema: ${parsed.error.message}`);
  return parsed.data;
}
