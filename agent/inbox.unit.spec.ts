import { describe, expect, it } from "vitest";
import { namesFor } from "../src/eventstore/subjects.js";
import { agentInboxPrefix } from "./inbox.js";

describe("agent inbox prefix", () => {
  it("is the one the control plane's credentials allow (src/eventstore/subjects.ts)", () => {
    for (const ns of ["", "t1abc"]) {
      for (const node of ["node-1", "n:2"]) expect(agentInboxPrefix(ns, node)).toBe(namesFor(ns).agentInboxPrefix(node));
    }
  });
});
