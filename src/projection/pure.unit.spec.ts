import { describe, it, expect } from "vitest";
import { subjectMatches } from "./subject-match.js";
import { lockKey } from "./leadership.js";
import { isEqual } from "./compare.js";
import { shadowSchemaFor } from "./rebuild.js";
import { quoteSchema, InvalidSchemaNameError } from "./db.js";
import { formatProgress, formatResult } from "../cli/commands/projections.js";
import { namesFor } from "../eventstore/subjects.js";
import { subscriptionsProjection, paymentsProjection } from "../../projections/index.js";

describe("projection runtime helpers (pure)", () => {
  it("matches NATS subjects with * and >", () => {
    expect(subjectMatches("events.payment.>", "events.payment.p1.PaymentCreated")).toBe(true);
    expect(subjectMatches("events.payment.>", "events.paymentinbox.x.PaymentMessageRejected")).toBe(false);
    expect(subjectMatches("events.*.p1.*", "events.payment.p1.PaymentCreated")).toBe(true);
    expect(subjectMatches("events.>", "events")).toBe(false);
  });

  it("derives filter subjects from categories in a namespace", () => {
    expect(paymentsProjection.filterSubjects(namesFor("t1"))).toEqual(["t1.events.payment.>", "t1.events.paymentinbox.>"]);
    expect(subscriptionsProjection.filterSubjects(namesFor(""))).toEqual(["events.subscription.>"]);
  });

  it("keys leadership locks stably per schema and projection", () => {
    expect(lockKey("nodeplane:subscriptions")).toBe(lockKey("nodeplane:subscriptions"));
    expect(lockKey("nodeplane:subscriptions")).not.toBe(lockKey("np_t:subscriptions"));
    expect(Number.isInteger(lockKey("x"))).toBe(true);
  });

  it("names shadow schemas within PostgreSQL's limit and refuses odd schema names", () => {
    expect(shadowSchemaFor("nodeplane", "api-keys")).toBe("nodeplane_rb_api_keys");
    expect(shadowSchemaFor(`np_${"a".repeat(60)}`, "subscriptions").length).toBeLessThanOrEqual(59);
    expect(() => quoteSchema('x"; drop')).toThrow(InvalidSchemaNameError);
  });

  it("prints progress lines and the verdict an operator reads", () => {
    expect(formatProgress({ projection: "subscriptions", phase: "build", done: 120_000, total: 200_000, rate: 41_000 })).toBe(
      "subscriptions: 120000/200000 events (60%), 41000 ev/s",
    );
    const diff = { table: "subscriptions", onlyInShadow: 1, onlyInLive: 0, differing: 2, sampleKeys: ['["s1"]'] };
    expect(isEqual([diff])).toBe(false);
    const text = formatResult({
      projection: "subscriptions",
      shadowSchema: "x",
      position: 9,
      events: 9,
      equal: false,
      differences: [diff],
      swapped: true,
      durationMs: 1200,
    });
    expect(text).toContain("rebuild DIFFERS");
    expect(text).toContain("subscriptions: 2 rows differ, 1 only in the rebuild, 0 only in the live model");
  });
});
