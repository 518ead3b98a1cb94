import { z } from "zod";
import { defaults } from "../../config/index.js";

/**
 * Terraform's machine-readable UI (`-json`): one JSON object per line with `@level`, `@message`,
 * `@module`, `@timestamp` and a `type` (`version`, `planned_change`, `apply_start`, `apply_complete`,
 * `apply_errored`, `change_summary`, `outputs`, `diagnostic`, …). Only the fields we read are validated;
 * anything else passes through.
 */
export const UiMessage = z.looseObject({
  "@level": z.string(),
  "@message": z.string(),
  type: z.string(),
});
export type UiMessage = z.infer<typeof UiMessage>;

/** A diagnostic as Terraform reports it (snippets and ranges are dropped: they quote configuration). */
export const Diagnostic = z.object({
  severity: z.enum(["error", "warning"]),
  summary: z.string(),
  detail: z.string().default(""),
  address: z.string().optional(),
});
export type Diagnostic = z.infer<typeof Diagnostic>;

const DiagnosticMessage = z.looseObject({ type: z.literal("diagnostic"), diagnostic: z.looseObject(Diagnostic.shape) });
const ChangeSummary = z.looseObject({
  type: z.literal("change_summary"),
  changes: z.looseObject({ add: z.number(), change: z.number(), remove: z.number(), operation: z.string() }),
});

/** What one command's stream said: its messages, error/warning diagnostics, the final change summary. */
export interface UiStream {
  messages: UiMessage[];
  diagnostics: Diagnostic[];
  changes?: { add: number; change: number; remove: number; operation: string };
  /** Lines that were not UI messages (a crash, a plugin's stray output): kept for the error text. */
  other: string[];
}

/** Parses a whole `-json` stream (stdout). Never throws: a line that is not a UI message goes to `other`. */
export function parseUiStream(text: string): UiStream {
  const out: UiStream = { messages: [], diagnostics: [], other: [] };
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      out.other.push(trimmed);
      continue;
    }
    const msg = UiMessage.safeParse(json);
    if (!msg.success) {
      out.other.push(trimmed);
      continue;
    }
    out.messages.push(msg.data);
    const diag = DiagnosticMessage.safeParse(json);
    if (diag.success) {
      const d = diag.data.diagnostic;
      out.diagnostics.push({
        severity: d.severity,
        summary: d.summary,
        detail: d.detail ?? "",
        ...(d.address ? { address: d.address } : {}),
      });
    }
    const summary = ChangeSummary.safeParse(json);
    if (summary.success) {
      const c = summary.data.changes;
      out.changes = { add: c.add, change: c.change, remove: c.remove, operation: c.operation };
    }
  }
  return out;
}

/** Replaces every occurrence of a secret with `[redacted]` (Terraform masks sensitive values, but a provider's own error text might not). */
export function redact(text: string, secrets: readonly string[]): string {
  let s = text;
  for (const secret of secrets) if (secret.length >= 4) s = s.split(secret).join("[redacted]");
  return s;
}

/** One line per error diagnostic (summary, detail, address), at most `max` of them, secrets redacted. */
export function describeDiagnostics(
  diagnostics: readonly Diagnostic[],
  secrets: readonly string[],
  max: number = defaults.terraform.maxDiagnosticsInError,
): string {
  const errors = diagnostics.filter((d) => d.severity === "error");
  const lines = errors.slice(0, max).map((d) => {
    const detail = d.detail.replace(/\s+/g, " ").trim();
    return `${d.address ? `${d.address}: ` : ""}${d.summary}${detail ? ` — ${detail}` : ""}`;
  });
  if (errors.length > max) lines.push(`(${errors.length - max} more errors)`);
  return redact(lines.join("; "), secrets);
}
