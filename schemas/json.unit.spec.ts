import { describe, it, expect } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import "./all.js";
import { renderJsonSchemas } from "./render.js";

describe("schemas/json", () => {
  it("matches the zod schemas (run `make schemas` after changing one)", () => {
    for (const [file, content] of renderJsonSchemas()) {
      const path = join(import.meta.dirname, "json", file);
      expect(existsSync(path), `${file} is missing: run make schemas`).toBe(true);
      expect(readFileSync(path, "utf8"), `${file} is stale: run make schemas`).toBe(content);
    }
  });
});
