/**
 * The projection runtime (DESIGN.md §6, SPEC R-ES-3/4): what other roles import.
 * - createDb / migrate: the one way to get a schema-bound database with the read-model tables;
 * - defineProjection / rowsApplier / isEvent: declare a read model (see projections/*);
 * - startProjector: run projections (one leader per projection across processes);
 * - waitForPosition: read-your-writes for the API (X-Wait-For-Position);
 * - rebuildProjection: shadow rebuild, compare, swap.
 */
export { createDb, quoteSchema, InvalidSchemaNameError, type SchemaDatabase, type ReadModelDb, type Tx } from "./db.js";
export { migrate, loadMigrations, MigrationError, MIGRATIONS_DIR } from "./migrate.js";
export { defineProjection, isEvent, readsEvents, type Projection } from "./define.js";
export { eventsSource, type ProjectionSource, type SourceMessage } from "./consumer.js";
export { rowsApplier, foldRows, type RowModel } from "./rows.js";
export {
  applyBatch,
  readCheckpoints,
  LeadershipLostError,
  PROJECTION_CHANNEL,
  type BatchResult,
  type CheckpointNotice,
} from "./checkpoint.js";
export { startProjector, type Projector, type ProjectorOptions, type ProjectionStatus, type RunnerState } from "./projector.js";
export { waitForPosition } from "./wait.js";
export { rebuildProjection, shadowSchemaFor, type RebuildOptions, type RebuildProgress, type RebuildResult } from "./rebuild.js";
export { compareTables, isEqual, type TableDiff } from "./compare.js";
export { projectionCheckpoints } from "./tables.js";
export { Leadership } from "./leadership.js";
