import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { servicesAvailable } from "../../test/support/services.js";
import { startGatewayHarness } from "../../test/support/protocol-agent.js";
import { createLogger } from "../../src/observability/logger.js";
import { createDb, type SchemaDatabase } from "../../src/projection/db.js";
import { waitForPosition } from "../../src/projection/wait.js";
import { startProjectorRole, type ProjectorRole } from "../../src/roles/projector.js";
import { agentRegistrations } from "./table.js";

describe.skipIf(!servicesAvailable())("agent_registrations read model", () => {
  let h: Awaited<ReturnType<typeof startGatewayHarness>>;
  let db: SchemaDatabase;
  let role: ProjectorRole;

  beforeAll(async () => {
    h = await startGatewayHarness("agreg");
    role = await startProjectorRole({
      nc: h.nc,
      store: h.store,
      databaseUrl: h.s.databaseUrl,
      names: h.s.names,
      logger: createLogger({ role: "test", level: "silent" }),
    });
    db = await createDb(h.s.databaseUrl, h.s.names.pgSchema);
  });
  afterAll(async () => {
    await role?.stop();
    await db?.sql.unsafe(`drop schema if exists "${h.s.names.pgSchema}" cascade`);
    await db?.close();
    await h?.close();
  });

  it("shows each node's latest agent boot and counts boots, from registrations over NATS", async () => {
    const boot1 = await h.agent("node-a");
    await boot1.register();
    await boot1.register();
    const boot2 = await h.agent("node-a");
    await boot2.register({ agentVersion: "0.2.0" });
    await (await h.agent("node-b")).register();
    expect(await waitForPosition(db.sql, ["agent-registrations"], await h.store.lastPosition(), 15_000)).toBe(true);
    const rows = await db.db.select().from(agentRegistrations).orderBy(agentRegistrations.nodeId);
    expect(rows).toMatchObject([
      {
        nodeId: "node-a",
        instanceId: boot2.instanceId,
        agentVersion: "0.2.0",
        registrations: 2,
        hostname: "test-host",
        runtime: "process",
      },
      { nodeId: "node-b", registrations: 1 },
    ]);
  });
});
