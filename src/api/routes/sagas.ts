import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { sagas, SAGA_STATUSES, STEP_STATES } from "../../../projections/sagas/table.js";
import type { SagaRow } from "../../../projections/sagas/projection.js";
import { actorOf } from "../../auth/index.js";
import { NotFoundError, ValidationError } from "../../domain/index.js";
import type { SagaClient } from "../../saga/index.js";
import { requireScope } from "../middleware/auth.js";
import type { RouteModule } from "../deps.js";
import { errors, json, jsonBody, secured } from "./common.js";
import { IdParam, iso } from "./views.js";

/** Saga ids, types and signal names are subject tokens or journal values: the same safe alphabet as ids. */
const Token = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_\-:]+$/, "letters, digits, _ - : only");

const SagaView = z
  .object({
    id: z.string(),
    type: z.string(),
    version: z.number().int(),
    status: z.enum(SAGA_STATUSES),
    currentStep: z.object({ name: z.string(), attempt: z.number().int(), state: z.enum(STEP_STATES) }).nullable(),
    attempts: z
      .number()
      .int()
      .openapi({ description: "Step attempts started in the current run (retries and crash-interrupted attempts count)" }),
    waitingFor: z.string().nullable(),
    lastError: z
      .object({ name: z.string(), message: z.string() })
      .nullable()
      .openapi({ description: "Name and message only; the journal (history) has the full record" }),
    customStatus: z.unknown().openapi({ description: "The value of the saga's latest ctx.setStatus, or null" }),
    parentId: z.string().nullable(),
    run: z.number().int().openapi({ description: "0, then +1 per continue-as-new" }),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    updatedAt: z.string(),
    position: z.number().int().openapi({ description: "SAGAS stream sequence of the last journal entry applied (not an event position)" }),
  })
  .openapi("Saga");
type SagaView = z.infer<typeof SagaView>;

const JournalItem = z
  .object({
    seq: z.number().int().openapi({ description: "SAGAS stream sequence" }),
    entry: z
      .looseObject({ k: z.string(), v: z.number().int(), at: z.string(), worker: z.string() })
      .openapi({ description: "A journal entry (kinds and fields: schemas/saga/journal.ts, JSON Schema under schemas/json/saga/)" }),
  })
  .openapi("SagaJournalEntry");

const SignalParams = IdParam.extend({
  name: Token.openapi({ param: { name: "name", in: "path" }, example: "ProvisionPlaceholderReleased" }),
});
const Accepted = z.object({
  sagaId: z.string(),
  inboxSeq: z.number().int().openapi({ description: "SAGAS sequence of the inbox message; the saga journals it when it takes it" }),
});

const list = createRoute({
  method: "get",
  path: "/api/v1/sagas",
  tags: ["sagas"],
  summary: "Sagas from the sagas read model, newest first (admin)",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: {
    query: z.object({
      type: Token.optional(),
      status: z.enum(SAGA_STATUSES).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: { 200: json(z.object({ items: z.array(SagaView) }).openapi("SagaList"), "Sagas"), ...errors(400, 401, 403) },
});

const get = createRoute({
  method: "get",
  path: "/api/v1/sagas/{id}",
  tags: ["sagas"],
  summary: "One saga from the sagas read model (admin)",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: { params: IdParam },
  responses: { 200: json(SagaView, "The saga"), ...errors(400, 401, 403, 404) },
});

const history = createRoute({
  method: "get",
  path: "/api/v1/sagas/{id}/history",
  tags: ["sagas"],
  summary: "The saga's journal, entry by entry (admin)",
  description:
    "Read from the journal in JetStream, not from a read model: the journal is the saga's record itself (as the event stream is an aggregate's), so a copy in PostgreSQL would only duplicate it. Holds the current run only (continue-as-new purges older runs).",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: { params: IdParam },
  responses: {
    200: json(z.object({ sagaId: z.string(), entries: z.array(JournalItem) }).openapi("SagaHistory"), "The journal"),
    ...errors(400, 401, 403, 404),
  },
});

const signal = createRoute({
  method: "post",
  path: "/api/v1/sagas/{id}/signals/{name}",
  tags: ["sagas"],
  summary: "Send a signal (the JSON body is its payload) to a saga that has not ended (admin)",
  description:
    "Posts to the saga's inbox (202): kept until the saga waits for it. No event is appended, so there is no X-Event-Position; the sagas read model shows the effect once a worker has journaled it.",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: { params: SignalParams, body: jsonBody(z.unknown().openapi({ description: "The signal's payload: any JSON value" })) },
  responses: {
    202: json(Accepted.extend({ signal: z.string() }).openapi("SagaSignalAccepted"), "Accepted: in the saga's inbox"),
    ...errors(400, 401, 403, 404, 409),
  },
});

const cancel = createRoute({
  method: "post",
  path: "/api/v1/sagas/{id}/cancel",
  tags: ["sagas"],
  summary: "Cancel a saga that has not ended: compensations run (admin)",
  description:
    "Posts a cancel request to the saga's inbox (202); the running step finishes or is abandoned per its policy, then the saga ends cancelled. No event is appended, so there is no X-Event-Position.",
  security: secured("admin"),
  middleware: [requireScope("admin")],
  request: {
    params: IdParam,
    body: {
      required: false,
      content: { "application/json": { schema: z.object({ reason: z.string().min(1).max(500).optional() }).openapi("CancelSaga") } },
    },
  },
  responses: { 202: json(Accepted.openapi("SagaCancelAccepted"), "Accepted: in the saga's inbox"), ...errors(400, 401, 403, 404, 409) },
});

/** A read-model row as its API body. */
function sagaView(r: SagaRow): SagaView {
  return {
    id: r.id,
    type: r.type,
    version: r.version,
    status: r.status,
    currentStep: r.currentStep ? { name: r.currentStep, attempt: r.currentAttempt ?? 0, state: r.currentStepState ?? "completed" } : null,
    attempts: r.attempts,
    waitingFor: r.waitingFor,
    lastError: r.lastError,
    customStatus: r.customStatus ?? null,
    parentId: r.parentId,
    run: r.run,
    startedAt: iso(r.startedAt),
    endedAt: r.endedAt ? iso(r.endedAt) : null,
    updatedAt: iso(r.updatedAt),
    position: r.position,
  };
}

/**
 * The admin saga API (issue 3): queries from the `sagas` read model (the history from the journal
 * itself); signals and cancellations through the saga client (SagaNotFoundError → 404, SagaEndedError → 409).
 */
export function sagaRoutes(opts: { client: SagaClient }): RouteModule {
  return (app, deps) => {
    app.openapi(list, async (c) => {
      const q = c.req.valid("query");
      const filters: SQL[] = [...(q.type ? [eq(sagas.type, q.type)] : []), ...(q.status ? [eq(sagas.status, q.status)] : [])];
      const rows = await deps.db
        .select()
        .from(sagas)
        .where(and(...filters))
        .orderBy(desc(sagas.startedAt), desc(sagas.id))
        .limit(q.limit);
      return c.json({ items: rows.map(sagaView) }, 200);
    });

    app.openapi(get, async (c) => {
      const { id } = c.req.valid("param");
      const [row] = await deps.db.select().from(sagas).where(eq(sagas.id, id)).limit(1);
      if (!row) throw new NotFoundError("saga", id);
      return c.json(sagaView(row), 200);
    });

    app.openapi(history, async (c) => {
      const { id } = c.req.valid("param");
      const entries = await opts.client.history(id);
      return c.json({ sagaId: id, entries }, 200);
    });

    app.openapi(signal, async (c) => {
      const { id, name } = c.req.valid("param");
      // Without a JSON Content-Type the validator lets the body through as {}: the payload must be sent.
      if (!c.req.header("content-type")) throw new ValidationError("a JSON body (the signal's payload) is required");
      const { inboxSeq } = await opts.client.signal(id, name, c.req.valid("json"));
      return c.json({ sagaId: id, signal: name, inboxSeq }, 202);
    });

    app.openapi(cancel, async (c) => {
      const { id } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      const { inboxSeq } = await opts.client.cancel(id, reason ?? `cancelled by ${actorOf(c.get("principal"))} through the API`);
      return c.json({ sagaId: id, inboxSeq }, 202);
    });
  };
}
