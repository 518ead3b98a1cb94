/**
 * Renders an OpenAPI 3.1 document as one self-contained HTML page (inline CSS, no script, no CDN),
 * so `/docs` works offline and behind strict CSPs.
 */
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<
    string,
    { description?: string; headers?: Record<string, { description?: string }>; content?: Record<string, { schema?: unknown }> }
  >;
}

/** The parts of an OpenAPI document the page shows. */
export interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation> | undefined>;
  components?: {
    schemas?: Record<string, unknown>;
    securitySchemes?: Record<string, { type?: string; scheme?: string; in?: string; name?: string; description?: string }>;
  };
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** Escapes text for HTML element and attribute content. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);
}

/** A schema as pretty JSON, with `$ref`s turned into links to the schema section. */
function schemaHtml(schema: unknown): string {
  const text = escapeHtml(JSON.stringify(schema, null, 2) ?? "");
  return `<pre>${text.replace(/&quot;#\/components\/schemas\/([A-Za-z0-9_.-]+)&quot;/g, (_m, name: string) => `<a href="#schema-${name}">&quot;#/components/schemas/${name}&quot;</a>`)}</pre>`;
}

function operationHtml(method: string, path: string, op: Operation): string {
  const id = `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
  const security = (op.security ?? [])
    .map((req) =>
      Object.entries(req)
        .map(([k, scopes]) => `${escapeHtml(k)}${scopes.length ? ` (${scopes.map(escapeHtml).join(", ")})` : ""}`)
        .join(" + "),
    )
    .join(" <em>or</em> ");
  const params = (op.parameters ?? [])
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required ? "yes" : "no"}</td><td>${escapeHtml(p.description ?? "")}</td><td>${schemaHtml(p.schema ?? {})}</td></tr>`,
    )
    .join("");
  const body = Object.entries(op.requestBody?.content ?? {})
    .map(([type, c]) => `<h4>Request body <code>${escapeHtml(type)}</code></h4>${schemaHtml(c.schema ?? {})}`)
    .join("");
  const responses = Object.entries(op.responses ?? {})
    .map(
      ([status, r]) =>
        `<tr><td><code>${escapeHtml(status)}</code></td><td>${escapeHtml(r.description ?? "")}${Object.entries(r.headers ?? {})
          .map(([h, d]) => `<br>header <code>${escapeHtml(h)}</code>: ${escapeHtml(d.description ?? "")}`)
          .join("")}</td><td>${Object.values(r.content ?? {})
          .map((c) => schemaHtml(c.schema ?? {}))
          .join("")}</td></tr>`,
    )
    .join("");
  return `<section class="op" id="${id}">
<h3><span class="m m-${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? "")}</p>${op.description ? `<p>${escapeHtml(op.description)}</p>` : ""}
<p class="sec">${security ? `Auth: ${security}` : "No authentication"}</p>
${params ? `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>description</th><th>schema</th></tr>${params}</table>` : ""}
${body}
<h4>Responses</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>${responses}</table>
</section>`;
}

/** The whole page. */
export function renderDocsHtml(doc: OpenApiDoc, specUrl: string): string {
  const ops: { tag: string; method: string; path: string; op: Operation }[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (op) ops.push({ tag: op.tags?.[0] ?? "other", method, path, op });
    }
  }
  const tags = [...new Set(ops.map((o) => o.tag))];
  const toc = tags
    .map(
      (t) =>
        `<li>${escapeHtml(t)}<ul>${ops
          .filter((o) => o.tag === t)
          .map(
            (o) =>
              `<li><a href="#op-${o.method}-${o.path.replace(/[^A-Za-z0-9]+/g, "-")}">${o.method.toUpperCase()} ${escapeHtml(o.path)}</a></li>`,
          )
          .join("")}</ul></li>`,
    )
    .join("");
  const sections = tags
    .map(
      (t) =>
        `<h2>${escapeHtml(t)}</h2>${ops
          .filter((o) => o.tag === t)
          .map((o) => operationHtml(o.method, o.path, o.op))
          .join("")}`,
    )
    .join("");
  const schemes = Object.entries(doc.components?.securitySchemes ?? {})
    .map(
      ([name, s]) =>
        `<li><code>${escapeHtml(name)}</code>: ${escapeHtml([s.type, s.scheme, s.in, s.name].filter(Boolean).join(" "))}${s.description ? ` — ${escapeHtml(s.description)}` : ""}</li>`,
    )
    .join("");
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(([name, s]) => `<section id="schema-${escapeHtml(name)}"><h3>${escapeHtml(name)}</h3>${schemaHtml(s)}</section>`)
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(doc.info.title)} ${escapeHtml(doc.info.version)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1b1f24}
nav{width:300px;height:100vh;overflow:auto;position:sticky;top:0;background:#f4f5f7;padding:1em;box-sizing:border-box;font-size:13px}
main{flex:1;padding:1em 2em;max-width:1000px}
nav ul{padding-left:1em;list-style:none}
pre{background:#f6f8fa;padding:.6em;overflow:auto;font-size:12px;margin:0}
table{border-collapse:collapse;width:100%;margin-bottom:1em}td,th{border:1px solid #d0d7de;padding:.3em .5em;vertical-align:top;text-align:left}
.op{border-top:1px solid #d0d7de;padding-top:.5em;margin-top:1.5em}
.m{display:inline-block;min-width:4.5em;text-align:center;border-radius:3px;color:#fff;font-size:13px;padding:.1em .4em}
.m-get{background:#1f6feb}.m-post{background:#1a7f37}.m-delete{background:#cf222e}.m-put,.m-patch{background:#9a6700}
.sec{color:#57606a}
</style></head><body>
<nav><strong>${escapeHtml(doc.info.title)}</strong><br>v${escapeHtml(doc.info.version)} · OpenAPI ${escapeHtml(doc.openapi)}<br><a href="${escapeHtml(specUrl)}">openapi.json</a><ul>${toc}<li><a href="#schemas">schemas</a></li></ul></nav>
<main><h1>${escapeHtml(doc.info.title)}</h1>${doc.info.description ? `<p>${escapeHtml(doc.info.description)}</p>` : ""}
<h2>Authentication</h2><ul>${schemes}</ul>
${sections}
<h2 id="schemas">Schemas</h2>${schemas}
</main></body></html>`;
}
