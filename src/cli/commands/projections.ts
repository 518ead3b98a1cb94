import { connectNats } from "../../nats-auth/index.js";
import { parseFlags, UsageError, type CliCommand } from "../command.js";
import { loadEnv } from "../../config/index.js";
import { createEventStore, namesFor } from "../../eventstore/index.js";
import { rebuildProjection, type RebuildProgress, type RebuildResult } from "../../projection/index.js";
import { projectionByName, projections } from "../../../projections/index.js";

/** `subscriptions: 120000/200000 events (60%), 41000 ev/s` */
export function formatProgress(p: RebuildProgress): string {
  const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
  return `${p.projection}: ${p.done}/${p.total} events (${pct}%), ${p.rate} ev/s${p.phase === "build" ? "" : ` [${p.phase}]`}`;
}

/** The comparison verdict an operator reads after a rebuild. */
export function formatResult(r: RebuildResult): string {
  const lines = [
    r.equal
      ? `${r.projection}: rebuild equals the live model (${r.events} events, position ${r.position})`
      : `${r.projection}: rebuild DIFFERS from the live model:`,
  ];
  for (const d of r.differences) {
    if (d.onlyInShadow + d.onlyInLive + d.differing === 0) continue;
    lines.push(
      `  ${d.table}: ${d.differing} rows differ, ${d.onlyInShadow} only in the rebuild, ${d.onlyInLive} only in the live model (e.g. ${d.sampleKeys.join(", ")})`,
    );
  }
  lines.push(
    r.swapped ? `${r.projection}: swapped in (${(r.durationMs / 1000).toFixed(1)} s)` : `${r.projection}: not swapped (--dry-run)`,
  );
  return lines.join("\n");
}

/** `nodeplane projections rebuild <name> [--dry-run]` (SPEC R-ES-4). */
export const projectionsRebuild: CliCommand = {
  name: "projections rebuild",
  summary: "rebuild a read model from the first event into a shadow schema, compare, swap",
  usage: "nodeplane projections rebuild <name> [--dry-run]",
  async run(args) {
    const { flags, positional } = parseFlags(args, { bool: ["dry-run"] });
    const names = projections.map((p) => p.name).join(", ");
    if (positional.length !== 1) throw new UsageError(`name one projection: ${names}`);
    const projection = projectionByName(positional[0]!);
    if (!projection) throw new UsageError(`unknown projection ${JSON.stringify(positional[0])}; known: ${names}`);
    const env = loadEnv();
    const nc = await connectNats(env, { name: "nodeplane-cli-rebuild" });
    try {
      const store = await createEventStore(nc, { names: namesFor(env.NODEPLANE_NAMESPACE) });
      const result = await rebuildProjection({
        store,
        databaseUrl: env.DATABASE_URL,
        schema: store.names.pgSchema,
        projection,
        swap: !flags["dry-run"],
        onProgress: (p) => console.log(formatProgress(p)),
      });
      console.log(formatResult(result));
      return 0;
    } finally {
      await nc.drain().catch(() => {});
    }
  },
};

/** `nodeplane projections list`: the registered read models. */
export const projectionsList: CliCommand = {
  name: "projections list",
  summary: "list the registered read models",
  usage: "nodeplane projections list",
  async run() {
    for (const p of projections) console.log(`${p.name}\t${p.tables.length} table(s)`);
    return 0;
  },
};
