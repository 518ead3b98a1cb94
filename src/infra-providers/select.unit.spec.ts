import { describe, expect, it } from "vitest";
import type { Host, InfrastructureProvider } from "./provider.js";
import { createProviderSelector, NoInfrastructureProviderError } from "./select.js";
import { AVAILABLE } from "./availability.js";

const named = (name: string): InfrastructureProvider<Host> => ({
  name,
  create: () => Promise.reject(new Error("not used")),
  destroy: () => Promise.resolve(),
  list: () => Promise.resolve([]),
  availability: () => AVAILABLE,
});

describe("provider selection by a placement's provider field", () => {
  it("local → the local provider; any cloud → the terraform provider of that cloud, made once per cloud", () => {
    const made: string[] = [];
    const local = named("local");
    const select = createProviderSelector({
      local,
      terraform: (cloud) => {
        made.push(cloud);
        return named(`terraform:${cloud}`);
      },
    });
    expect(select("local")).toBe(local);
    expect(select("aws").name).toBe("terraform:aws");
    expect(select("hetzner").name).toBe("terraform:hetzner");
    expect(select("aws")).toBe(select("aws"));
    expect(made).toEqual(["aws", "hetzner"]);
  });

  it("a provider that is not configured is a named error", () => {
    expect(() => createProviderSelector({ local: named("local") })("aws")).toThrow(NoInfrastructureProviderError);
    expect(() => createProviderSelector({ terraform: () => named("t") })("local")).toThrow(NoInfrastructureProviderError);
  });
});
