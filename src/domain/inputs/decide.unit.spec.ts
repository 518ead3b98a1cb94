import { describe, it, expect } from "vitest";
import { deciderSpec } from "../../../test/support/decider-spec.js";
import { InvalidTransitionError, ValidationError } from "../errors.js";
import { inputsDecider, type InputsCommand } from "./decide.js";
import type { InputsEvent } from "./inputs.js";

const { given } = deciderSpec(inputsDecider);
const t0 = "2026-01-01T00:00:00.000Z";
const t1 = "2026-01-02T00:00:00.000Z";
const fp = (c: string) => c.repeat(64);
const sub = "sub_1";

const provide = (values: Array<[string, string]>, secrets: Array<[string, string]> = [], at = t0): InputsCommand => ({
  type: "ProvideInputs",
  subscriptionId: sub,
  providedBy: "alice",
  at,
  values: values.map(([name, value]) => ({ name, type: "text" as const, value })),
  secrets: secrets.map(([name, fingerprint]) => ({ name, fingerprint, size: 80 })),
});
const apply = (names = ["addr", "key"], nodeId = "node_1"): InputsCommand => ({
  type: "MarkInputsApplied",
  subscriptionId: sub,
  nodeId,
  names,
  at: t1,
});

const valueProvided = (name: string, value: string, at = t0): InputsEvent => ({
  type: "ProvisioningInputProvided",
  data: { subscriptionId: sub, name, type: "text", value, providedAt: at, providedBy: "alice" },
});
const secretProvided = (name: string, fingerprint: string, at = t0): InputsEvent => ({
  type: "ProvisioningSecretProvided",
  data: { subscriptionId: sub, name, fingerprint, size: 80, providedAt: at, providedBy: "alice" },
});
const applied = (names = ["addr", "key"]): InputsEvent => ({
  type: "ProvisioningInputsApplied",
  data: { subscriptionId: sub, nodeId: "node_1", names, appliedAt: t1 },
});

describe("inputs decider (R-IN-3)", () => {
  it("records each provided value and secret as its own event, never a secret's bytes", () => {
    const events = given([])
      .when(provide([["addr", "v1"]], [["key", fp("a")]]))
      .then([valueProvided("addr", "v1"), secretProvided("key", fp("a"))]);
    expect(Object.keys(events[1]!.data as object).sort()).toEqual([
      "fingerprint",
      "name",
      "providedAt",
      "providedBy",
      "size",
      "subscriptionId",
    ]);
    const state = given([])
      .when(provide([["addr", "v1"]], [["key", fp("a")]]))
      .state();
    expect(state.values.get("addr")?.value).toBe("v1");
    expect(state.secrets.get("key")?.fingerprint).toBe(fp("a"));
  });

  it("replaces a value or a secret provided again, and writes nothing for an identical one", () => {
    given([valueProvided("addr", "v1")])
      .when(provide([["addr", "v2"]], [], t1))
      .then([valueProvided("addr", "v2", t1)]);
    given([valueProvided("addr", "v1")])
      .when(provide([["addr", "v1"]], [], t1))
      .then([]);
    given([secretProvided("key", fp("a"))])
      .when(provide([], [["key", fp("a")]], t1))
      .then([]);
    given([secretProvided("key", fp("a"))])
      .when(provide([], [["key", fp("b")]], t1))
      .then([secretProvided("key", fp("b"), t1)]);
    given([valueProvided("addr", "v1"), valueProvided("addr", "v2")])
      .when(provide([["addr", "v1"]]))
      .then([valueProvided("addr", "v1")]);
  });

  it("writes only the changed ones of a mixed request", () => {
    given([valueProvided("addr", "v1"), secretProvided("key", fp("a"))])
      .when(
        provide(
          [
            ["addr", "v1"],
            ["memo", "m"],
          ],
          [["key", fp("a")]],
        ),
      )
      .then([valueProvided("memo", "m")]);
  });

  it("refuses a name given twice in one request", () => {
    given([])
      .when(
        provide([
          ["addr", "v1"],
          ["addr", "v2"],
        ]),
      )
      .then(ValidationError);
    given([])
      .when(provide([["key", "v1"]], [["key", fp("a")]]))
      .then(ValidationError);
  });

  it("marks the inputs applied once (a fixed event id), idempotently", () => {
    given([valueProvided("addr", "v1")])
      .when(apply())
      .then([{ ...applied(), id: "inputs:sub_1:applied" }]);
    given([valueProvided("addr", "v1"), applied()])
      .when(apply())
      .then([]);
    given([valueProvided("addr", "v1"), applied()])
      .when(apply(["addr"], "node_2"))
      .then([]);
    given([])
      .when(apply(["jwt", "jwt"]))
      .then([applied(["jwt"])]);
    expect(given([]).when(apply()).state().applied).toEqual({ nodeId: "node_1", names: ["addr", "key"], appliedAt: t1 });
  });

  it("refuses to change inputs after they were applied (409), even an identical value", () => {
    given([valueProvided("addr", "v1"), applied()])
      .when(provide([["addr", "v2"]]))
      .then(InvalidTransitionError);
    given([valueProvided("addr", "v1"), applied()])
      .when(provide([["addr", "v1"]]))
      .then(InvalidTransitionError);
    expect(() => inputsDecider.decide(provide([["addr", "v2"]]), inputsDecider.evolve(inputsDecider.initialState(), applied()))).toThrow(
      "inputs cannot go from applied to provided",
    );
  });

  it("keeps names apart from the object prototype", () => {
    given([])
      .when(
        provide([
          ["constructor", "x"],
          ["toString", "y"],
        ]),
      )
      .then([valueProvided("constructor", "x"), valueProvided("toString", "y")]);
    given([valueProvided("constructor", "x")])
      .when(provide([["constructor", "x"]]))
      .then([]);
  });
});
