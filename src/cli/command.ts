/** One `nodeplane` subcommand. `run` returns the process exit code. */
export interface CliCommand {
  /** e.g. "token" or "projections rebuild" */
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(args: string[]): Promise<number>;
}

/** A usage error: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The one positional argument a command takes, or a UsageError naming what was expected. */
export function onePositional(positional: readonly string[], what: string): string {
  const [value, ...extra] = positional;
  if (!value || extra.length > 0) throw new UsageError(`expected exactly one ${what}`);
  return value;
}

/** Parses `--flag value` / `--flag=value` / repeated flags; positional args are returned apart. */
export function parseFlags(
  args: string[],
  spec: { multi?: string[]; bool?: string[] } = {},
): { flags: Record<string, string | string[] | boolean>; positional: string[] } {
  const flags: Record<string, string | string[] | boolean> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf("=");
    const name = a.slice(2, eq === -1 ? undefined : eq);
    if (spec.bool?.includes(name)) {
      flags[name] = true;
      continue;
    }
    const value = eq !== -1 ? a.slice(eq + 1) : args[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    if (spec.multi?.includes(name)) flags[name] = [...((flags[name] as string[] | undefined) ?? []), value];
    else flags[name] = value;
  }
  return { flags, positional };
}
