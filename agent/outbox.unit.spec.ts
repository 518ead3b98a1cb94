import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandEvent } from "../schemas/agent/index.js";
import { Outbox, type SendOutcome } from "./outbox.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "np-outbox-"));
  dirs.push(d);
  return d;
};

const ev = (commandId: string, seq: number, kind: "command_acknowledged" | "command_completed" = "command_acknowledged"): CommandEvent =>
  kind === "command_completed"
    ? { v: 1, nodeId: "n1", instanceId: "i1", commandId, seq, at: "2026-01-01T00:00:00.000Z", kind, result: { ok: true } }
    : { v: 1, nodeId: "n1", instanceId: "i1", commandId, seq, at: "2026-01-01T00:00:00.000Z", kind };

describe("Outbox", () => {
  it("sends in the order written and removes what was delivered", async () => {
    const ob = await Outbox.open(fresh());
    for (let i = 1; i <= 12; i++) await ob.append(ev("c", i));
    const sent: number[] = [];
    expect(
      await ob.flush(async (e) => {
        sent.push(e.seq);
        return "delivered";
      }),
    ).toBe(12);
    expect(sent).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(await ob.size()).toBe(0);
  });

  it("stops at the first retry and resumes there, so nothing overtakes an unsent event", async () => {
    const ob = await Outbox.open(fresh());
    for (let i = 1; i <= 4; i++) await ob.append(ev("c", i));
    const sent: number[] = [];
    let fail = true;
    const send = async (e: CommandEvent): Promise<SendOutcome> => {
      if (e.seq === 3 && fail) return "retry";
      sent.push(e.seq);
      return "delivered";
    };
    expect(await ob.flush(send)).toBe(2);
    expect(await ob.size()).toBe(2);
    fail = false;
    expect(await ob.flush(send)).toBe(2);
    expect(sent).toEqual([1, 2, 3, 4]);
  });

  it("survives a restart: a reopened outbox has the events and continues the numbering after them", async () => {
    const dir = fresh();
    const a = await Outbox.open(dir);
    await a.append(ev("c", 1));
    await a.append(ev("c", 2, "command_completed"));
    const b = await Outbox.open(dir);
    await b.append(ev("d", 1));
    const kinds = (await b.pending()).map((p) => `${p.event.commandId}:${p.event.seq}:${p.event.kind}`);
    expect(kinds).toEqual(["c:1:command_acknowledged", "c:2:command_completed", "d:1:command_acknowledged"]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a rejected event is dropped (not retried forever) and the rest still go", async () => {
    const ob = await Outbox.open(fresh());
    await ob.append(ev("c", 1));
    await ob.append(ev("c", 2));
    const sent: number[] = [];
    await ob.flush(async (e) => {
      if (e.seq === 1) return "rejected";
      sent.push(e.seq);
      return "delivered";
    });
    expect(sent).toEqual([2]);
    expect(await ob.size()).toBe(0);
  });

  it("refuses to queue an event that does not fit the schema", async () => {
    const ob = await Outbox.open(fresh());
    await expect(ob.append({ ...ev("c", 1), seq: 0 })).rejects.toThrow();
    expect(await ob.size()).toBe(0);
  });

  it("concurrent flushes send each event once", async () => {
    const ob = await Outbox.open(fresh());
    for (let i = 1; i <= 5; i++) await ob.append(ev("c", i));
    const sent: number[] = [];
    const send = async (e: CommandEvent): Promise<SendOutcome> => {
      await new Promise((r) => setTimeout(r, 1));
      sent.push(e.seq);
      return "delivered";
    };
    await Promise.all([ob.flush(send), ob.flush(send), ob.flush(send)]);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
  });
});
