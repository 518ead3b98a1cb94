import { describe, expect, it } from "vitest";
import type { ServiceSpec } from "../schemas/agent/index.js";
import { aggregateHealth, NodeComponents } from "./components.js";
import type { NodeRuntimeAdapter, RuntimeStatus } from "./runtime/types.js";

/** A runtime that records what it was asked, in one shared journal. */
function fakeRuntime(name: string, journal: string[]): NodeRuntimeAdapter {
  let running = false;
  const st = (): RuntimeStatus => ({ running, ...(running ? { pid: 100 + name.length } : {}), restarts: 0, restarting: false });
  return {
    kind: "process",
    recover: async () => st(),
    start: async () => {
      journal.push(`start ${name}`);
      const already = running;
      running = true;
      return { ...st(), alreadyRunning: already };
    },
    stop: async () => {
      journal.push(`stop ${name}`);
      const was = running;
      running = false;
      return { wasRunning: was };
    },
    status: async () => st(),
    detach: () => {},
  };
}

const svc: ServiceSpec = { runtime: "process", command: ["x"], env: {} };

describe("multi-component nodes", () => {
  it("START starts components in order, STOP stops them in reverse, including one dropped by a newer configuration", async () => {
    const journal: string[] = [];
    const node = new NodeComponents("process", (name) => fakeRuntime(name, journal));
    await node.start([{ name: "old", service: svc }]);
    await node.start([
      { name: "geth", service: svc },
      { name: "lighthouse", service: svc },
    ]);
    expect((await node.status()).map((s) => [s.name, s.running])).toEqual([
      ["geth", true],
      ["lighthouse", true],
    ]);
    expect(await node.stop()).toEqual({ wasRunning: true });
    expect(journal).toEqual(["start old", "start geth", "start lighthouse", "stop lighthouse", "stop geth", "stop old"]);
    expect(await node.health(undefined)).toEqual({ status: "not_configured" });
    expect(await node.health([{ name: "geth", service: svc }])).toEqual({ status: "stopped" });
  });

  it("aggregates health: healthy only when all are, syncing when any syncs, unhealthy when one stopped while another runs", () => {
    const geth = { name: "geth", status: "healthy" as const, blockHeight: 10, peers: 5, syncLag: 0 };
    const lh = { name: "lighthouse", status: "healthy" as const, blockHeight: 99, peers: 7 };
    expect(aggregateHealth([geth, lh])).toMatchObject({ status: "healthy", blockHeight: 10, peers: 5, components: [geth, lh] });
    expect(aggregateHealth([geth, { ...lh, status: "syncing", syncLag: 3 }])).toMatchObject({
      status: "syncing",
      message: "lighthouse syncing",
    });
    expect(
      aggregateHealth([
        { ...geth, status: "starting" },
        { ...lh, status: "syncing" },
      ]).status,
    ).toBe("starting");
    expect(aggregateHealth([geth, { name: "lighthouse", status: "stopped" }])).toMatchObject({
      status: "unhealthy",
      message: "lighthouse stopped",
    });
    expect(
      aggregateHealth([
        { name: "geth", status: "stopped" },
        { name: "lighthouse", status: "stopped" },
      ]),
    ).toMatchObject({ status: "stopped" });
    expect(
      aggregateHealth([
        { name: "a", status: "stopped" },
        { name: "b", status: "stopped" },
      ]).message,
    ).toBeUndefined();
  });
});
