import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { subscriptions } from "../../../projections/subscriptions/table.js";
import { subscriptionInputs } from "../../../projections/subscription-inputs/table.js";
import { actorOf, hasScope } from "../../auth/index.js";
import type { ChainProfileRegistry } from "../../chain-profiles/index.js";
import { defaults } from "../../config/index.js";
import type { InputStatusItem, Inputs } from "../../inputs/index.js";
import { requireScope } from "../middleware/auth.js";
import { readYourWrites, readYourWritesHeaders, withPosition } from "../middleware/positions.js";
import type { RouteModule } from "../deps.js";
import { commandResult, errors, json, jsonBody, secured, visibleTo } from "./common.js";
import { IdParam } from "./views.js";

const InputName = z.string().min(1).max(64);
/** Lengths are checked per input by the validator, so a too-long one is reported by its name. */
const ProvidedInput = z.union([
  z.strictObject({ name: InputName, value: z.string().max(64 * 1024) }).openapi({ description: "A text or proof input" }),
  z
    .strictObject({
      name: InputName,
      sealed: z
        .string()
        .max(64 * 1024)
        .openapi({ description: "base64 of libsodium crypto_box_seal to the key of GET /api/v1/crypto/public-key" }),
    })
    .openapi({ description: "A user-provided secret, sealed" }),
]);
const ProvideInputsBody = z.object({ inputs: z.array(ProvidedInput).min(1).max(defaults.inputs.maxPerRequest) }).openapi("ProvideInputs");

const InputStatusView = z
  .object({
    name: z.string(),
    type: z.enum(["text", "proof", "secret"]),
    required: z.boolean(),
    source: z.enum(["generated", "chain_generated", "user_provided"]).optional(),
    phase: z.enum(["pre_provision", "post_provision"]),
    status: z.enum(["pending", "provided", "applied"]),
    value: z.string().optional().openapi({ description: "text and proof inputs only" }),
    fingerprint: z.string().optional().openapi({ description: "secrets only: sha256 (hex) of the sealed ciphertext as received" }),
  })
  .openapi("InputStatus");
const InputStatusList = z.object({ items: z.array(InputStatusView), satisfied: z.boolean().optional() }).openapi("InputStatusList");

const provide = createRoute({
  method: "post",
  path: "/api/v1/subscriptions/{id}/inputs",
  tags: ["subscriptions"],
  summary:
    "Provide provisioning inputs: text/proof values and sealed secrets (own subscription; admin any). Nothing is written unless every input is valid",
  security: secured("subscriptions:write"),
  middleware: [requireScope("subscriptions:write")],
  request: { params: IdParam, body: jsonBody(ProvideInputsBody) },
  responses: { 200: commandResult(InputStatusList, "Every declared input with its status"), ...errors(400, 401, 403, 404, 409) },
});

const list = createRoute({
  method: "get",
  path: "/api/v1/subscriptions/{id}/inputs",
  tags: ["subscriptions"],
  summary: "The provisioning inputs of a subscription and their status (never a secret's value)",
  security: secured("subscriptions:read"),
  middleware: [requireScope("subscriptions:read"), readYourWrites()],
  request: { params: IdParam, headers: readYourWritesHeaders },
  responses: { 200: json(InputStatusList, "Every declared input with its status"), ...errors(400, 401, 403, 404) },
});

/** Provisioning inputs (R-IN-3): POST through the inputs capability (events), GET from the read model. */
export function inputRoutes(opts: {
  inputs: Inputs;
  profiles: ChainProfileRegistry;
  /** Tells a provisioning that waits for inputs that they are complete now (the provision saga's signal). */
  onInputsSatisfied?: (subscriptionId: string) => Promise<void>;
}): RouteModule {
  return (app, deps) => {
    app.openapi(provide, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const status = await opts.inputs.provide(
        { subscriptionId: id, caller: { id: principal.id, admin: hasScope(principal, "admin") }, inputs: body.inputs },
        { actor: actorOf(principal), correlationId: c.get("requestId") },
        deps.now(),
      );
      withPosition(c, status.position);
      if (status.satisfied && opts.onInputsSatisfied) await opts.onInputsSatisfied(id);
      return c.json({ items: status.items, satisfied: status.satisfied }, 200);
    });

    app.openapi(list, async (c) => {
      const principal = c.get("principal");
      const { id } = c.req.valid("param");
      const [found] = await deps.db
        .select({ userId: subscriptions.userId, chainProfileId: subscriptions.chainProfileId })
        .from(subscriptions)
        .where(eq(subscriptions.id, id))
        .limit(1);
      const sub = visibleTo(principal, "subscription", id, found);
      const rows = await deps.db
        .select()
        .from(subscriptionInputs)
        .where(and(eq(subscriptionInputs.subscriptionId, id)));
      const byName = new Map(rows.map((r) => [r.name, r]));
      const specs = opts.profiles.get(sub.chainProfileId)?.inputs ?? [];
      const items = specs.map((spec): InputStatusItem => {
        const row = byName.get(spec.name);
        const status = row?.status === "applied" ? "applied" : row ? "provided" : "pending";
        return {
          name: spec.name,
          type: spec.type,
          required: spec.required,
          phase: spec.phase,
          status,
          ...(spec.source ? { source: spec.source } : {}),
          // Only a text/proof row carries a value, only a secret's a fingerprint; the spec's type decides, so a secret's value can never leak.
          ...(spec.type !== "secret" && row?.value != null ? { value: row.value } : {}),
          ...(spec.type === "secret" && row?.fingerprint != null ? { fingerprint: row.fingerprint } : {}),
        };
      });
      return c.json({ items }, 200);
    });
  };
}
