import { connectNats } from "../../nats-auth/index.js";
import { onePositional, parseFlags, UsageError, type CliCommand } from "../command.js";
import { loadEnv } from "../../config/index.js";
import { createEventStore, namesFor } from "../../eventstore/index.js";
import { createDb } from "../../projection/index.js";
import { Id } from "../../../schemas/events/index.js";
import {
  createNodeService,
  listIncidents,
  nodeHealthOf,
  parseIncidentId,
  type IncidentView,
  type NodeHealthView,
} from "../../nodes/index.js";
import { NotFoundError } from "../../domain/index.js";

/** The actor of what an operator does from the CLI (on the control plane's own host: an admin). */
const CLI_ACTOR = "system:cli";

function checkFlags(flags: Record<string, unknown>, allowed: string[]): void {
  const unknown = Object.keys(flags).find((f) => !allowed.includes(f));
  if (unknown) throw new UsageError(`unknown flag --${unknown}`);
}

function nodeIdArg(value: string): string {
  if (!Id.safeParse(value).success) throw new UsageError(`not a node id: ${JSON.stringify(value)}`);
  return value;
}

/** Runs `read` on the configured read models. */
async function withReadModels<T>(read: (db: Parameters<typeof listIncidents>[0]) => Promise<T>): Promise<T> {
  const env = loadEnv();
  const db = await createDb(env.DATABASE_URL, namesFor(env.NODEPLANE_NAMESPACE).pgSchema, { max: 1 });
  try {
    return await read(db.db);
  } finally {
    await db.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** The incident list as an operator reads it. */
export function renderIncidents(items: IncidentView[]): string {
  if (items.length === 0) return "no incidents\n";
  return table([
    ["ID", "STATUS", "SEVERITY", "CAUSE", "OPENED", "ACK", "RESOLVED BY"],
    ...items.map((i) => [
      i.id,
      i.status,
      i.severity,
      i.cause,
      i.openedAt,
      i.acknowledged?.by ?? "-",
      i.resolved ? `${i.resolved.by}${i.resolved.actor ? ` (${i.resolved.actor})` : ""}` : "-",
    ]),
  ]);
}

/** A node's health as an operator reads it. */
export function renderNodeHealth(h: NodeHealthView): string {
  const head = [
    `node      ${h.nodeId} (${h.state ?? "state unknown"})`,
    `verdict   ${h.verdict ?? "none yet"}${h.since ? ` since ${h.since}` : ""}`,
    ...(h.policy ? [`policy    ${h.policy}`] : []),
    ...(h.cause ? [`cause     ${h.cause}`] : []),
    ...(h.detail ? [`detail    ${h.detail}`] : []),
    `incidents ${h.openIncidents.length > 0 ? h.openIncidents.join(", ") : "none open"}`,
  ].join("\n");
  if (h.history.length === 0) return `${head}\n`;
  return `${head}\n\n${table([["AT", "VERDICT", "FROM", "CAUSE", "STATE"], ...h.history.map((e) => [e.at, e.verdict, e.previousVerdict ?? "-", e.cause ?? e.policy ?? "-", e.state])])}`;
}

/** `nodeplane incidents list [--node <id>] [--status open|resolved] [--limit n] [--json]` (R-OBS-5). */
export const incidentsListCommand: CliCommand = {
  name: "incidents list",
  summary: "list incidents, newest first (all nodes, or one with --node)",
  usage: "nodeplane incidents list [--node <nodeId>] [--status open|resolved] [--limit <1-500>] [--json]",
  async run(args) {
    const { flags, positional } = parseFlags(args, { bool: ["json"] });
    if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
    checkFlags(flags, ["node", "status", "limit", "json"]);
    const status = flags.status;
    if (status !== undefined && status !== "open" && status !== "resolved") throw new UsageError("--status is open or resolved");
    const limit = flags.limit === undefined ? 100 : Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new UsageError("--limit is an integer from 1 to 500");
    const nodeId = typeof flags.node === "string" ? nodeIdArg(flags.node) : undefined;
    if (flags.node !== undefined && !nodeId) throw new UsageError("--node needs a node id");
    const items = await withReadModels((db) => listIncidents(db, { ...(nodeId ? { nodeId } : {}), ...(status ? { status } : {}), limit }));
    process.stdout.write(flags.json ? `${JSON.stringify(items, null, 2)}\n` : renderIncidents(items));
    return 0;
  },
};

function incidentCommand(action: "ack" | "resolve"): CliCommand {
  return {
    name: `incidents ${action}`,
    summary: action === "ack" ? "acknowledge an open incident" : "resolve an open incident by hand",
    usage: `nodeplane incidents ${action} <incidentId>`,
    async run(args) {
      const { flags, positional } = parseFlags(args);
      checkFlags(flags, []);
      const incidentId = onePositional(positional, "incident id");
      const parsed = parseIncidentId(incidentId);
      if (!parsed || !Id.safeParse(parsed.nodeId).success)
        throw new UsageError(`not an incident id (<nodeId>:incident:<n>): ${JSON.stringify(incidentId)}`);
      const env = loadEnv();
      const nc = await connectNats(env, { name: `nodeplane-cli-incidents-${action}` });
      try {
        const service = createNodeService({ store: await createEventStore(nc, { names: namesFor(env.NODEPLANE_NAMESPACE) }) });
        const now = new Date();
        const r = await service.handle(
          parsed.nodeId,
          {
            type: action === "ack" ? "AcknowledgeIncident" : "ResolveIncident",
            incidentId,
            by: CLI_ACTOR,
            at: now.toISOString(),
          },
          { actor: CLI_ACTOR, correlationId: `cli:incidents-${action}:${incidentId}` },
          now,
        );
        const what = action === "ack" ? "acknowledged" : "resolved";
        console.log(r.events.length > 0 ? `${incidentId} ${what} (position ${r.position})` : `${incidentId} already ${what}`);
        return 0;
      } finally {
        await nc.drain().catch(() => {});
      }
    },
  };
}

export const incidentsAckCommand = incidentCommand("ack");
export const incidentsResolveCommand = incidentCommand("resolve");

/** `nodeplane nodes health <nodeId> [--history n] [--json]`: the node's verdict, since when, recent changes. */
export const nodesHealthCommand: CliCommand = {
  name: "nodes health",
  summary: "show a node's health: current verdict, the policy that matched, recent verdict changes, open incidents",
  usage: "nodeplane nodes health <nodeId> [--history <0-100>] [--json]",
  async run(args) {
    const { flags, positional } = parseFlags(args, { bool: ["json"] });
    checkFlags(flags, ["history", "json"]);
    const nodeId = nodeIdArg(onePositional(positional, "node id"));
    const history = flags.history === undefined ? 20 : Number(flags.history);
    if (!Number.isInteger(history) || history < 0 || history > 100) throw new UsageError("--history is an integer from 0 to 100");
    const found = await withReadModels((db) => nodeHealthOf(db, nodeId, history));
    if (!found) throw new NotFoundError("node", nodeId);
    const { userId: _owner, ...view } = found;
    process.stdout.write(flags.json ? `${JSON.stringify(view, null, 2)}\n` : renderNodeHealth(view));
    return 0;
  },
};
