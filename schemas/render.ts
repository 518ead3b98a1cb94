import { z } from "zod";
import { eventCatalog } from "./events/index.js";
import { exportedSchemas } from "./registry.js";

/** Renders every schema as JSON Schema (draft 2020-12): relative file path → file content. */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  const index: Record<string, string> = {};
  const put = (file: string, id: string, title: string, schema: z.ZodType) => {
    files.set(
      file,
      JSON.stringify({ $id: `nodeplane:${id}`, title, ...z.toJSONSchema(schema, { target: "draft-2020-12" }) }, null, 2) + "\n",
    );
    index[id] = file;
  };
  for (const def of eventCatalog)
    put(`events/${def.category}/${def.type}.v${def.version}.json`, `${def.type}@${def.version}`, def.type, def.schema);
  for (const [name, schema] of Object.entries(exportedSchemas)) put(`${name}.json`, name, name, schema);
  files.set("index.json", JSON.stringify(index, null, 2) + "\n");
  return files;
}
