import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import {
  ComponentsV1,
  ConfigureResultV1,
  recipeComponents,
  ServiceSpecV1,
  SINGLE_COMPONENT,
  type ComponentSpec,
  type Recipe,
  type ServiceSpec,
} from "../schemas/agent/index.js";
import { fetchVerified } from "./artifacts.js";
import { mkdirConfined, moveIntoConfined, writeConfinedFile, type ChainOwner, type ConfinedWriteOptions } from "./confined-fs.js";
import { InvalidCommandError } from "./errors.js";
import { confineRecipePath } from "./paths.js";
import { renderTemplate, type HostVars } from "./template.js";

export type ConfigureResult = z.infer<typeof ConfigureResultV1>;

/** Reports progress of a command: a percentage and a short message (no secrets). */
export type ProgressFn = (percent: number, message: string) => void;

export interface RecipeContext {
  chainDir: string;
  stagingDir: string;
  stateDir: string;
  vars: HostVars;
  progress: ProgressFn;
  /** The chain process's user when the agent runs as root: what CONFIGURE writes belongs to it. */
  owner?: ChainOwner | undefined;
}

const FETCH_SHARE = 80;

/** The service with host variables filled in and re-checked (START runs exactly this). */
export function renderService(service: ServiceSpec, vars: HostVars): ServiceSpec {
  const rendered = {
    ...service,
    command: service.command.map((a) => renderTemplate(a, vars)),
    env: Object.fromEntries(Object.entries(service.env).map(([k, v]) => [k, renderTemplate(v, vars)])),
    ...(service.metricsUrl ? { metricsUrl: renderTemplate(service.metricsUrl, vars) } : {}),
  };
  const parsed = ServiceSpecV1.safeParse(rendered);
  if (!parsed.success)
    throw new InvalidCommandError(
      `service after templating: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  return parsed.data;
}

/**
 * CONFIGURE (R-AGENT-3): runs the recipe in two phases so that a bad artifact installs nothing —
 * first every artifact is fetched into staging and verified by sha256, then the steps are applied in
 * order (directories, templated config files, artifacts moved into place) and the components
 * (services) are saved for START. Every path is confined to the chain data dir.
 */
export async function runRecipe(recipe: Recipe, ctx: RecipeContext): Promise<ConfigureResult> {
  // Lexical checks of every path first, so a bad step fails the command before anything is fetched or written.
  for (const s of recipe.steps) confineRecipePath(ctx.chainDir, s.path);
  const steps = recipe.steps;
  const components = recipeComponents(recipe).map((c) => ({ name: c.name, service: renderService(c.service, ctx.vars) }));
  const contents = steps.map((s) => (s.action === "write_file" ? renderTemplate(s.content, ctx.vars) : undefined));
  await mkdir(ctx.stagingDir, { recursive: true });
  const fetches = steps.flatMap((s, i) =>
    s.action === "fetch_artifact" ? [{ step: s, index: i, staged: join(ctx.stagingDir, `artifact-${i}`) }] : [],
  );
  const artifacts: ConfigureResult["artifacts"] = [];
  ctx.progress(0, `configuring: ${fetches.length} artifact(s), ${steps.length} step(s)`);
  try {
    for (const [n, f] of fetches.entries()) {
      if (f.step.action !== "fetch_artifact") continue;
      let lastPct = -1;
      const { sha256 } = await fetchVerified(f.step.url, f.step.sha256, f.staged, (got, total) => {
        const within = total ? got / total : 0;
        const pct = Math.floor(((n + within) / fetches.length) * FETCH_SHARE);
        if (pct > lastPct) {
          lastPct = pct;
          ctx.progress(pct, `fetching ${f.step.path}`);
        }
      });
      artifacts.push({ path: f.step.path, sha256 });
      ctx.progress(Math.floor(((n + 1) / fetches.length) * FETCH_SHARE), `verified ${f.step.path}`);
    }
    const files: string[] = [];
    // Every write goes through the confined writer (confined-fs.ts): the chain dir belongs to the chain
    // process, so a symlink planted there must not redirect a write of the agent.
    const w = { owner: ctx.owner };
    for (const [i, s] of steps.entries()) {
      if (s.action === "mkdir") {
        await mkdirConfined(ctx.chainDir, s.path, w);
      } else if (s.action === "write_file") {
        const bytes = Buffer.from(contents[i]!, "utf8");
        await writeConfinedFile(ctx.chainDir, s.path, bytes, s.mode ? parseInt(s.mode, 8) : 0o644, w);
        files.push(s.path);
      } else if (s.action === "generate_secret") {
        await generateSecret(ctx.chainDir, s.path, s.bytes, s.mode ? parseInt(s.mode, 8) : 0o600, w);
        files.push(s.path);
      } else {
        const staged = join(ctx.stagingDir, `artifact-${i}`);
        if (s.mode) await chmod(staged, parseInt(s.mode, 8));
        await moveIntoConfined(ctx.chainDir, s.path, staged, w);
      }
      ctx.progress(FETCH_SHARE + Math.floor(((i + 1) / steps.length) * (99 - FETCH_SHARE)), `${s.action} ${s.path}`);
    }
    await saveComponents(ctx.stateDir, components);
    return { files, artifacts };
  } finally {
    for (const f of fetches) await rm(f.staged, { force: true });
  }
}

/** A fresh random secret, hex, written once: an existing file is the node's identity and stays. */
async function generateSecret(chainDir: string, path: string, bytes: number, mode: number, w: ConfinedWriteOptions): Promise<void> {
  const secret = randomBytes(bytes);
  const hex = Buffer.from(secret.toString("hex"));
  try {
    await writeConfinedFile(chainDir, path, hex, mode, { ...w, keepExisting: true });
  } finally {
    secret.fill(0);
    hex.fill(0);
  }
}

const SERVICE_FILE = "service.json";

/** service.json: the configured components; an agent before components wrote a bare ServiceSpec, still read. */
const StoredComponents = z.object({ v: z.literal(1), components: ComponentsV1 });

/** Keeps the configured components for START/STOP/STATUS and for the next agent process. */
export async function saveComponents(stateDir: string, components: ComponentSpec[]): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const file = join(stateDir, SERVICE_FILE);
  await writeFile(`${file}.tmp`, JSON.stringify({ v: 1, components }), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}

/** The configured components, or undefined before the first CONFIGURE. */
export async function loadComponents(stateDir: string): Promise<ComponentSpec[] | undefined> {
  const text = await readFile(join(stateDir, SERVICE_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    const stored = StoredComponents.safeParse(json);
    if (stored.success) return stored.data.components;
    const legacy = ServiceSpecV1.safeParse(json);
    return legacy.success ? [{ name: SINGLE_COMPONENT, service: legacy.data }] : undefined;
  } catch {
    return undefined;
  }
}

/** The first component's service (a single-service node's only one), or undefined before CONFIGURE. */
export async function loadService(stateDir: string): Promise<ServiceSpec | undefined> {
  return (await loadComponents(stateDir))?.[0]?.service;
}
