// `make layers`: the layer rules of src/README.md, checked over every import (static, type-only,
// re-export and dynamic import()) of the TypeScript tree. No exceptions list: a violation is fixed
// in the code. Uses only the TypeScript compiler the project already has.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TREES = ["src", "agent", "schemas", "projections", "test", "bench", "scripts"];

const compilerOptions: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowJs: false,
  resolveJsonModule: true,
};

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const rel = (abs: string) => relative(root, abs).split(sep).join("/");

/** Test support: the test/ tree, any testing/ folder, every spec. Never imported by production code. */
export const isTestSupport = (f: string) => f.startsWith("test/") || /(^|\/)testing\//.test(f) || /\.spec\.ts$/.test(f);

/** The folder a file belongs to for the cycle rule: src/<folder> (runtimes, capabilities, domain, sagas…), or the top tree (agent, schemas …). */
export function folderOf(f: string): string {
  const parts = f.split("/");
  if (parts[0] === "src" && parts.length > 2) return parts.slice(0, 2).join("/");
  return parts[0]!;
}

const under = (f: string, ...prefixes: string[]) => prefixes.some((p) => f === p || f.startsWith(p + "/"));
const ours = (f: string) => TREES.some((t) => under(f, t));

/** src/<x> folders that are neither runtimes, domain, sagas, api, roles nor cli: the capabilities. */
const NOT_CAPABILITIES = [
  "src/domain",
  "src/sagas",
  "src/saga",
  "src/projection",
  "src/eventstore",
  "src/api",
  "src/roles",
  "src/cli",
  "src/config",
  "src/observability",
];
const isCapability = (f: string) => under(f, "src") && f.split("/").length > 2 && !under(f, ...NOT_CAPABILITIES);

interface Rule {
  name: string;
  from: (f: string) => boolean;
  forbids: (to: string) => boolean;
}

const prod = (test: (f: string) => boolean) => (f: string) => !isTestSupport(f) && test(f);

/** The layer rules apply to production code; specs and test support may wire anything together (but are never imported by production). */
export const RULES: Rule[] = [
  { name: "schemas imports nothing of ours", from: prod((f) => under(f, "schemas")), forbids: (t) => !under(t, "schemas") },
  {
    name: "src/domain imports schemas only",
    from: prod((f) => under(f, "src/domain")),
    forbids: (t) => !under(t, "src/domain", "schemas"),
  },
  {
    name: "src/saga and src/projection are generic (no sagas, domain, api, roles)",
    from: prod((f) => under(f, "src/saga", "src/projection")),
    forbids: (t) => under(t, "src/sagas", "src/domain", "src/api", "src/roles"),
  },
  { name: "agent/ imports schemas only", from: prod((f) => under(f, "agent")), forbids: (t) => !under(t, "agent", "schemas") },
  { name: "src/auth never imports src/api", from: prod((f) => under(f, "src/auth")), forbids: (t) => under(t, "src/api") },
  { name: "capabilities never import src/api or src/roles", from: prod(isCapability), forbids: (t) => under(t, "src/api", "src/roles") },
  {
    name: "src/sagas never imports src/api or src/roles",
    from: prod((f) => under(f, "src/sagas")),
    forbids: (t) => under(t, "src/api", "src/roles"),
  },
  {
    name: "roles and cli sit on top (only they import src/roles and src/cli)",
    from: prod((f) => !under(f, "src/roles", "src/cli", "bench", "scripts")),
    forbids: (t) => under(t, "src/roles", "src/cli"),
  },
  {
    name: "test support is never imported by production code",
    from: (f) => !isTestSupport(f) && !under(f, "bench", "scripts"),
    forbids: isTestSupport,
  },
];

export interface Edge {
  from: string;
  /** Our file (repo-relative), or the package name for a bare specifier. */
  to: string;
  specifier: string;
  /** Erased at run time (`import type`, `export type`, or every named import marked `type`). */
  typeOnly: boolean;
  external: boolean;
}

/** Specifiers of the static imports and re-exports that are type-only, from the syntax tree. */
function typeOnlySpecifiers(file: string, text: string): Set<string> {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const typeOnly = new Set<string>();
  const runtime = new Set<string>();
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const c = st.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings : undefined;
      const erased =
        !!c && (c.isTypeOnly || (!c.name && !!named && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)));
      (erased ? typeOnly : runtime).add(st.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const erased =
        st.isTypeOnly ||
        (!!st.exportClause &&
          ts.isNamedExports(st.exportClause) &&
          st.exportClause.elements.length > 0 &&
          st.exportClause.elements.every((e) => e.isTypeOnly));
      (erased ? typeOnly : runtime).add(st.moduleSpecifier.text);
    }
  }
  for (const r of runtime) typeOnly.delete(r);
  return typeOnly;
}

const packageOf = (spec: string) => (spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!);

export function collectEdges(): Edge[] {
  const files = TREES.flatMap((t) => {
    try {
      return walk(join(root, t), []);
    } catch {
      return [];
    }
  });
  const edges: Edge[] = [];
  for (const abs of files) {
    const text = readFileSync(abs, "utf8");
    const info = ts.preProcessFile(text, true, true);
    const erased = typeOnlySpecifiers(abs, text);
    for (const imp of info.importedFiles) {
      const spec = imp.fileName;
      const typeOnly = erased.has(spec);
      if (!spec.startsWith(".")) {
        edges.push({ from: rel(abs), to: packageOf(spec), specifier: spec, typeOnly, external: true });
        continue;
      }
      const resolved = ts.resolveModuleName(spec, abs, compilerOptions, ts.sys).resolvedModule;
      if (!resolved) {
        edges.push({ from: rel(abs), to: `<unresolved ${spec}>`, specifier: spec, typeOnly, external: false });
        continue;
      }
      const to = rel(resolved.resolvedFileName);
      if (ours(to)) edges.push({ from: rel(abs), to, specifier: spec, typeOnly, external: false });
    }
  }
  return edges;
}

/** Cycles between folders of production code (test support excluded), each reported once with one witness import per step. */
export function folderCycles(edges: Edge[]): string[][] {
  const graph = new Map<string, Map<string, Edge>>();
  for (const e of edges) {
    if (e.external || isTestSupport(e.from) || isTestSupport(e.to) || e.to.startsWith("<")) continue;
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Map());
    if (!graph.get(a)!.has(b)) graph.get(a)!.set(b, e);
  }
  // Tarjan's strongly connected components: every component of more than one folder is a cycle.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const comps: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) comps.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return comps.map((comp) => {
    const inComp = new Set(comp);
    const lines = [`cycle between folders: ${comp.join(", ")}`];
    for (const a of comp)
      for (const [b, e] of graph.get(a) ?? [])
        if (inComp.has(b)) lines.push(`  ${a} -> ${b}: ${e.from} imports "${e.specifier}" (${e.to})`);
    return lines;
  });
}

/** Packages that do I/O: orchestration code must not load them, even through our own modules. */
const IO_PACKAGES = ["@nats-io/", "ioredis", "postgres", "drizzle-orm", "node:child_process", "node:net", "node:fs", "node:http"];
const isIo = (pkg: string) => IO_PACKAGES.some((p) => (p.endsWith("/") ? pkg.startsWith(p) : pkg === p || pkg.startsWith(p + "/")));
/** Deterministic code: the orchestration of every saga (replayed from its journal). */
const isDeterministic = (f: string) => /\.saga\.ts$/.test(f) && !isTestSupport(f);

/** A saga file whose run-time imports (followed through our modules; type-only ones are erased) load an I/O package. */
export function deterministicReach(edges: Edge[]): string[] {
  const out = new Map<string, Edge[]>();
  for (const e of edges) if (!e.typeOnly && !e.to.startsWith("<")) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e);
  const found: string[] = [];
  for (const start of new Set(edges.map((e) => e.from).filter(isDeterministic))) {
    const seen = new Map<string, string[]>([[start, [start]]]);
    const queue = [start];
    while (queue.length) {
      const f = queue.shift()!;
      for (const e of out.get(f) ?? []) {
        if (e.external) {
          if (isIo(e.to)) {
            found.push(
              `${start}: reaches "${e.to}" through ${[...seen.get(f)!, e.specifier].join(" -> ")}; breaks "saga files stay deterministic (no I/O package at run time)"`,
            );
            queue.length = 0;
            break;
          }
          continue;
        }
        if (!seen.has(e.to)) {
          seen.set(e.to, [...seen.get(f)!, e.to]);
          queue.push(e.to);
        }
      }
    }
  }
  return found;
}

/** The folders that show the rest of the tree one face, their index.ts: every src/<folder> but roles and cli (on top). */
function faceOf(f: string): string | undefined {
  const p = f.split("/");
  if (p[0] !== "src" || p.length < 3 || p[1] === "roles" || p[1] === "cli") return undefined;
  return `src/${p[1]}/index.ts`;
}

/** Saga files and every module of ours they load at run time: they import the deterministic modules they need directly (an index would load the runtime). */
export function deterministicClosure(edges: Edge[]): Set<string> {
  const out = new Map<string, string[]>();
  for (const e of edges)
    if (!e.external && !e.typeOnly && !e.to.startsWith("<")) (out.get(e.from) ?? out.set(e.from, []).get(e.from)!).push(e.to);
  const seen = new Set(edges.map((e) => e.from).filter(isDeterministic));
  const queue = [...seen];
  while (queue.length) for (const t of out.get(queue.shift()!) ?? []) if (!seen.has(t)) (seen.add(t), queue.push(t));
  return seen;
}

/** Production code imports another src/<folder> through its index.ts (its curated public face), never a file inside it. */
export function deepImports(edges: Edge[], hasFile: (f: string) => boolean = (f) => existsSync(join(root, f))): string[] {
  const deterministic = deterministicClosure(edges);
  const out: string[] = [];
  for (const e of edges) {
    if (e.external || e.to.startsWith("<") || isTestSupport(e.from) || isTestSupport(e.to) || deterministic.has(e.from)) continue;
    const face = faceOf(e.to);
    if (!face || e.to === face || faceOf(e.from) === face || !hasFile(face)) continue;
    out.push(`${e.from}: import "${e.specifier}" (${e.to}) breaks "another folder is imported through its index.ts (${face})"`);
  }
  return out;
}

export function check(): string[] {
  const edges = collectEdges();
  const out: string[] = [];
  for (const e of edges) {
    if (e.external) continue;
    if (e.to.startsWith("<")) {
      out.push(`${e.from}: import "${e.specifier}" does not resolve`);
      continue;
    }
    for (const r of RULES)
      if (r.from(e.from) && r.forbids(e.to)) out.push(`${e.from}: import "${e.specifier}" (${e.to}) breaks "${r.name}"`);
  }
  for (const c of folderCycles(edges)) out.push(c.join("\n"));
  out.push(...deterministicReach(edges));
  out.push(...deepImports(edges));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const violations = check();
  for (const v of violations) console.error(v);
  if (violations.length > 0) {
    console.error(`\nlayers: ${violations.length} violation(s); the rules are in src/README.md`);
    process.exit(1);
  }
  console.log("layers: ok");
}
