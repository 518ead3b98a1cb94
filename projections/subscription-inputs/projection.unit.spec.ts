import { describe, it, expect } from "vitest";
import { evolveInputRow, inputNamesOf } from "./projection.js";
import type { StoredEvent } from "../../src/eventstore/envelope.js";

const at = "2026-01-01T00:00:00.000Z";
const later = "2026-01-02T00:00:00.000Z";
let seq = 0;
const stored = (type: string, data: object): StoredEvent => ({
  id: `e${++seq}`,
  type,
  data,
  schemaVersion: 1,
  category: "inputs",
  aggregateId: "s1",
  aggregateVersion: seq,
  position: seq,
  occurredAt: at,
  correlationId: "c",
  causationId: "c",
  actor: "a",
});
const text = (value: string) =>
  stored("ProvisioningInputProvided", { subscriptionId: "s1", name: "addr", type: "text", value, providedAt: at, providedBy: "u" });
const secret = (fingerprint: string) =>
  stored("ProvisioningSecretProvided", { subscriptionId: "s1", name: "vkey", fingerprint, size: 90, providedAt: at, providedBy: "u" });
const applied = stored("ProvisioningInputsApplied", {
  subscriptionId: "s1",
  nodeId: "n1",
  names: ["addr", "vkey", "jwt"],
  appliedAt: later,
});

describe("subscription_inputs projection (pure)", () => {
  it("a text value: a provided row with its value; provided again, the newer value replaces it", () => {
    const first = evolveInputRow(undefined, text("v1"), "addr")!;
    expect(first).toMatchObject({
      subscriptionId: "s1",
      name: "addr",
      type: "text",
      status: "provided",
      value: "v1",
      fingerprint: null,
      appliedAt: null,
    });
    const second = text("v2");
    expect(evolveInputRow(first, second, "addr")).toMatchObject({ value: "v2", position: second.position });
  });

  it("a secret: only its fingerprint, never a value", () => {
    const row = evolveInputRow(undefined, secret("a".repeat(64)), "vkey")!;
    expect(row).toMatchObject({ type: "secret", status: "provided", value: null, fingerprint: "a".repeat(64) });
  });

  it("applied: marks the named rows, and adds a row for a platform-made secret nobody provided", () => {
    expect(inputNamesOf(applied)).toEqual(["addr", "vkey", "jwt"]);
    const row = evolveInputRow(evolveInputRow(undefined, text("v1"), "addr"), applied, "addr")!;
    expect(row).toMatchObject({ status: "applied", value: "v1", appliedAt: later, position: applied.position });
    expect(evolveInputRow(undefined, applied, "jwt")).toMatchObject({
      name: "jwt",
      type: "secret",
      status: "applied",
      value: null,
      fingerprint: null,
      providedAt: later,
      appliedAt: later,
    });
  });

  it("ignores events of other kinds", () => {
    const other = { ...text("x"), type: "SubscriptionCreated" };
    expect(inputNamesOf(other)).toEqual([]);
    expect(evolveInputRow(undefined, other, "addr")).toBeUndefined();
  });
});
