import { defineConfig } from "drizzle-kit";

/**
 * `npx drizzle-kit generate` turns the read-model tables into SQL migrations under
 * projections/migrations/ (offline, no database). Tables are unqualified: src/projection/migrate.ts
 * applies the files into whichever schema it is given (live, a test namespace or a rebuild's shadow).
 */
export default defineConfig({
  dialect: "postgresql",
  schema: ["./src/projection/tables.ts", "./projections/*/table.ts"],
  out: "./projections/migrations",
});
