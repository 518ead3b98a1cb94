import { describe, it, expect } from "vitest";
import { evolveSubscription, subscriptionRows } from "./projection.js";
import { foldRows } from "../../src/projection/rows.js";
import type { StoredEvent } from "../../src/eventstore/envelope.js";
import { subscriptionEvents } from "../../src/projection/testing/fixtures.js";

const stored = (id: string, steps: number, from = 1): StoredEvent[] =>
  subscriptionEvents(id, steps).map((e, i) => ({
    id: `${id}-${i}`,
    type: e.type,
    data: e.data,
    schemaVersion: 1,
    category: "subscription",
    aggregateId: id,
    aggregateVersion: i + 1,
    position: from + i,
    occurredAt: "",
    correlationId: "c",
    causationId: "c",
    actor: "a",
  }));

describe("subscriptions projection (pure)", () => {
  it("given nothing, when SubscriptionCreated, then a pending_payment row without payment", () => {
    const row = evolveSubscription(undefined, stored("s1", 1)[0]!);
    expect(row).toMatchObject({ id: "s1", status: "pending_payment", paymentId: null, nodeId: null, durationDays: 7, position: 1 });
  });

  it("follows link → activate → cancel, keeping the last position", () => {
    const { rows, changed } = foldRows(subscriptionRows, new Map(), stored("s1", 4, 10));
    expect([...changed]).toEqual(["s1"]);
    expect(rows.get("s1")).toMatchObject({ status: "cancelled", paymentId: "p-s1", nodeId: "n-s1", position: 13 });
  });

  it("ends a subscription refunded (issue 17)", () => {
    const [created] = stored("s1", 1);
    const refunded: StoredEvent = {
      ...created!,
      id: "s1-r",
      type: "SubscriptionRefunded",
      data: { subscriptionId: "s1", paymentId: "p-s1", refundedBy: "user:root", refundedAt: "2026-02-01T00:00:00.000Z" },
      position: 9,
    };
    expect(evolveSubscription(evolveSubscription(undefined, created!), refunded)).toMatchObject({
      status: "refunded",
      updatedAt: "2026-02-01T00:00:00.000Z",
      position: 9,
    });
  });

  it("ignores events of a row it never saw, and a second SubscriptionCreated", () => {
    const [created, linked] = stored("s2", 2);
    expect(evolveSubscription(undefined, linked!)).toBeUndefined();
    const row = evolveSubscription(undefined, created!)!;
    expect(evolveSubscription(row, created!)).toBe(row);
  });

  it("folds a batch over rows loaded from the database, changing only the touched ones", () => {
    const loaded = new Map([
      ["a", evolveSubscription(undefined, stored("a", 1)[0]!)!],
      ["b", evolveSubscription(undefined, stored("b", 1)[0]!)!],
    ]);
    const { rows, changed } = foldRows(subscriptionRows, loaded, stored("a", 2, 5).slice(1));
    expect([...changed]).toEqual(["a"]);
    expect(rows.get("a")?.paymentId).toBe("p-a");
    expect(rows.get("b")).toBe(loaded.get("b"));
  });
});
