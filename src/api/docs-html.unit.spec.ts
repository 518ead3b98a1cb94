import { describe, it, expect } from "vitest";
import { renderDocsHtml, escapeHtml, type OpenApiDoc } from "./docs-html.js";

const doc: OpenApiDoc = {
  openapi: "3.1.0",
  info: { title: "t <b>", version: "1" },
  paths: {
    "/things/{id}": {
      get: {
        summary: "<script>alert(1)</script>",
        tags: ["things"],
        security: [{ bearerAuth: ["subscriptions:read"] }],
        parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
        responses: {
          200: {
            description: "ok",
            headers: { "X-Event-Position": { description: "pos" } },
            content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } },
          },
        },
      },
    },
  },
  components: { schemas: { Thing: { type: "object" } }, securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } },
};

describe("docs page", () => {
  const html = renderDocsHtml(doc, "/api/v1/openapi.json");

  it("escapes everything taken from the document", () => {
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("t &lt;b&gt;");
    expect(escapeHtml(`"'&`)).toBe("&quot;&#39;&amp;");
  });

  it("shows operations, parameters, scopes, headers and linked schemas", () => {
    expect(html).toContain("<code>/things/{id}</code>");
    expect(html).toContain("bearerAuth (subscriptions:read)");
    expect(html).toContain("<code>id</code></td><td>path</td><td>yes");
    expect(html).toContain("header <code>X-Event-Position</code>");
    expect(html).toContain('<a href="#schema-Thing">');
    expect(html).toContain('id="schema-Thing"');
  });
});
