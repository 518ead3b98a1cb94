import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { testServices, servicesAvailable } from "../../../test/support/services.js";
import { startApiHarness, type ApiHarness } from "../testing/harness.js";
import { defaultChainProfilesDir, loadChainProfiles } from "../../chain-profiles/index.js";
import { subscriptionsProjection, paymentsProjection } from "../../../projections/index.js";
import { loadEnv } from "../../config/env.js";
import { placementAvailabilityFromEnv } from "../../infra-providers/index.js";
import { writeFakeTerraform } from "../../infra-providers/terraform/testing/fake-terraform.js";
import { chainProfileRoutes } from "./chain-profiles.js";
import { subscriptionRoutes } from "./subscriptions.js";
import { paymentRoutes } from "./payments.js";

const projectRoot = resolve(import.meta.dirname, "../../..");
const SECRET = "wJalrXUtnFEMI-not-a-real-secret-K7MDENG";

interface Duration {
  days: number;
  placement: { provider: string; region: string; instanceType: string };
  available: boolean;
  unavailableReasons?: string[];
}
interface Profile {
  id: string;
  name: string;
  nodeTypes: { name: string; description?: string; durations: Duration[] }[];
  inputs: Record<string, unknown>[];
}

/**
 * Issue 17: the catalog of chain profiles and the placement check before money moves, over the real
 * services. Availability is the production composition (placementAvailabilityFromEnv) on an
 * environment this spec controls: a fake terraform on PATH, AWS credentials set or not, an empty HOME.
 */
describe.skipIf(!servicesAvailable())("chain profile catalog and placement availability", () => {
  let h: ApiHarness;
  let work: string;
  let processEnv: Record<string, string | undefined>;
  let alice: string;
  let admin: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "np-catalog-"));
    const bin = join(work, "bin");
    await mkdir(bin);
    await writeFakeTerraform(bin);
    // No AWS variables, no Hetzner token, a HOME without ~/.aws: a control plane without cloud credentials.
    processEnv = { PATH: bin };
    const env = loadEnv({ ...process.env, INFRA_PROVIDER_TERRAFORM_AGENT_PACKAGE_SHA256: "ab".repeat(32) });
    const availability = placementAvailabilityFromEnv(env, { projectRoot, cloudHosts: true, processEnv, home: work });
    const profiles = await loadChainProfiles();
    h = await startApiHarness(testServices("catalog"), {
      routes: [
        chainProfileRoutes({ profiles, availability }),
        subscriptionRoutes({ profiles, availability }),
        paymentRoutes({ providerName: "local", availability }),
      ],
      projections: [subscriptionsProjection, paymentsProjection],
    });
    alice = await h.token("alice", ["subscriptions:read", "subscriptions:write", "payments:write"]);
    admin = await h.token("root", ["admin"]);
  });
  afterAll(async () => {
    await h?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const get = (path: string, tok?: string) => h.fetch(path, tok ? { headers: { authorization: `Bearer ${tok}` } } : {});
  const post = (path: string, tok: string, body: object) =>
    h.fetch(path, {
      method: "POST",
      headers: { authorization: `Bearer ${tok}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const withAws = () => Object.assign(processEnv, { AWS_ACCESS_KEY_ID: "AKIAEXAMPLEEXAMPLE01", AWS_SECRET_ACCESS_KEY: SECRET });
  const withoutAws = () => {
    delete processEnv.AWS_ACCESS_KEY_ID;
    delete processEnv.AWS_SECRET_ACCESS_KEY;
  };

  it("lists what is on disk: every profile's node types, durations with their placement, and inputs (from the YAML itself)", async () => {
    const res = await get("/api/v1/chain-profiles", alice);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: Profile[] };
    const files = (await readdir(defaultChainProfilesDir)).filter((f) => f.endsWith(".yaml")).sort();
    expect(items.map((p) => p.id).sort()).toEqual(files.map((f) => f.replace(/\.yaml$/, "")));
    for (const file of files) {
      const y = parse(await readFile(join(defaultChainProfilesDir, file), "utf8")) as Yaml;
      const p = items.find((i) => i.id === file.replace(/\.yaml$/, ""))!;
      expect(p.name).toBe(y.name ?? p.id);
      expect(p.nodeTypes.map((t) => t.name).sort()).toEqual(Object.keys(y.node_types).sort());
      for (const t of p.nodeTypes) {
        const own = y.node_types[t.name]?.durations ?? {};
        const days = [...new Set([...Object.keys(y.durations ?? {}), ...Object.keys(own)])].map(Number).sort((a, b) => a - b);
        expect(t.durations.map((d) => d.days)).toEqual(days);
        for (const d of t.durations) {
          const merged = { ...y.durations?.[d.days], ...own[d.days] };
          expect(d.placement).toEqual({ provider: merged.provider, region: merged.region, instanceType: merged.instance_type });
          // Local placements are served here; clouds are not, without credentials.
          expect(d.available).toBe(d.placement.provider === "local");
          expect(d.unavailableReasons).toBeUndefined();
        }
      }
      const expected = [
        ...(y.provisioning_inputs ?? []).map((i) => ({
          name: i.name,
          type: i.type,
          required: i.required ?? true,
          phase: i.phase ?? "pre_provision",
          ...(i.validation !== undefined ? { pattern: i.validation } : {}),
          ...(i.source !== undefined ? { source: i.source } : {}),
          ...(i.key_type !== undefined ? { keyType: i.key_type } : {}),
          ...(i.description !== undefined ? { description: i.description } : {}),
        })),
        ...(y.keys ?? []).map((k) => expect.objectContaining({ name: k.name, type: "secret", source: "generated", keyType: k.type })),
      ];
      expect(p.inputs).toEqual(expected);
      // Specs only: no key file paths, no recipes, no values.
      for (const i of p.inputs) expect(Object.keys(i).every((k) => CATALOG_INPUT_FIELDS.includes(k))).toBe(true);
      for (const i of y.provisioning_inputs ?? []) if (i.path) expect(JSON.stringify(p)).not.toContain(i.path);
    }
    const one = await get("/api/v1/chain-profiles/ethereum-mainnet", alice);
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual(items.find((p) => p.id === "ethereum-mainnet"));
  });

  it("needs a credential (any scope), answers 404 for an unknown profile and 400 for a bad id", async () => {
    expect((await get("/api/v1/chain-profiles")).status).toBe(401);
    expect((await get("/api/v1/chain-profiles/demo")).status).toBe(401);
    const noScopes = await h.token("dave", []);
    expect((await get("/api/v1/chain-profiles", noScopes)).status).toBe(200);
    const missing = await get("/api/v1/chain-profiles/nope", alice);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await get("/api/v1/chain-profiles/de.mo", alice)).status).toBe(400);
    const doc = (await (await h.fetch("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/v1/chain-profiles", "/api/v1/chain-profiles/{id}"]));
  });

  it("shows admins why a placement is unavailable, without printing any credential", async () => {
    const p = (await (await get("/api/v1/chain-profiles/ethereum-mainnet", admin)).json()) as Profile;
    const aws = p.nodeTypes.find((t) => t.name === "full")!.durations.find((d) => d.days === 30)!;
    expect(aws.available).toBe(false);
    expect(aws.unavailableReasons!.join(" ")).toMatch(/no AWS credentials configured/);
    const hetzner = p.nodeTypes.find((t) => t.name === "full")!.durations.find((d) => d.days === 90)!;
    expect(hetzner.unavailableReasons!.join(" ")).toMatch(/HCLOUD_TOKEN/);
    withAws();
    try {
      const body = await (await get("/api/v1/chain-profiles/ethereum-mainnet", admin)).text();
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain("AKIAEXAMPLE");
      const now = JSON.parse(body) as Profile;
      expect(now.nodeTypes.find((t) => t.name === "full")!.durations.find((d) => d.days === 30)!.available).toBe(true);
    } finally {
      withoutAws();
    }
  });

  it("refuses to subscribe to ethereum-mainnet for 30 days without AWS credentials (409, no event); with them and a terraform binary, 201", async () => {
    const body = { chainProfileId: "ethereum-mainnet", nodeType: "full", durationDays: 30 };
    const before = await h.store.lastPosition();
    const refused = await post("/api/v1/subscriptions", alice, body);
    expect(refused.status).toBe(409);
    const text = await refused.text();
    expect(JSON.parse(text)).toMatchObject({
      error: { code: "placement_unavailable", details: { provider: "aws", region: "eu-central-1", chainProfileId: "ethereum-mainnet" } },
    });
    expect(text).not.toMatch(/infra\/terraform|\/bin\//);
    expect(await h.store.lastPosition()).toBe(before);
    withAws();
    try {
      const created = await post("/api/v1/subscriptions", alice, body);
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ status: "pending_payment", provider: "aws", region: "eu-central-1" });
    } finally {
      withoutAws();
    }
  });

  it("refuses to take a payment for a placement that became unavailable (409, nothing written)", async () => {
    withAws();
    let id: string;
    try {
      const created = await post("/api/v1/subscriptions", alice, {
        chainProfileId: "ethereum-mainnet",
        nodeType: "archive",
        durationDays: 30,
      });
      expect(created.status).toBe(201);
      id = ((await created.json()) as { id: string }).id;
    } finally {
      withoutAws();
    }
    const before = await h.store.lastPosition();
    const refused = await post("/api/v1/payments", alice, { subscriptionIds: [id] });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({
      error: { code: "placement_unavailable", details: { provider: "aws", region: "eu-central-1" } },
    });
    expect(await h.store.lastPosition()).toBe(before);
    // The fault removed (the binary is there, credentials set), the same payment goes through.
    withAws();
    try {
      expect((await post("/api/v1/payments", alice, { subscriptionIds: [id] })).status).toBe(201);
    } finally {
      withoutAws();
    }
  });
});

const CATALOG_INPUT_FIELDS = ["name", "type", "required", "phase", "pattern", "source", "keyType", "description"];

interface Yaml {
  name?: string;
  durations?: Record<string, { provider: string; region: string; instance_type: string }>;
  node_types: Record<string, { durations?: Record<string, Partial<{ provider: string; region: string; instance_type: string }>> } | null>;
  provisioning_inputs?: {
    name: string;
    type: string;
    required?: boolean;
    phase?: string;
    validation?: string;
    source?: string;
    key_type?: string;
    path?: string;
    description?: string;
  }[];
  keys?: { name: string; type: string }[];
}
