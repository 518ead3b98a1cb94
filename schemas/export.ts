/**
 * `make schemas`: writes every schema as JSON Schema under schemas/json/ (generated, committed so
 * that consumers outside TypeScript can read them; schemas/json.unit.spec.ts fails when stale).
 */
import { mkdirSync, writeFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import "./all.js";
import { renderJsonSchemas } from "./render.js";

const out = join(import.meta.dirname, "json");
rmSync(out, { recursive: true, force: true });
const files = renderJsonSchemas();
for (const [file, content] of files) {
  mkdirSync(dirname(join(out, file)), { recursive: true });
  writeFileSync(join(out, file), content);
}
console.log(`wrote ${files.size - 1} JSON Schemas to ${out}`);
