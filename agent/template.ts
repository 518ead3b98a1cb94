import { InvalidCommandError } from "./errors.js";

/**
 * `{{name}}` placeholders the agent fills with what only the host knows (the data dir, the node
 * program). The control plane renders its own values (ports, versions) before sending; a placeholder
 * left unknown here is an error rather than a literal `{{x}}` in a config file.
 */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new InvalidCommandError(`unknown template variable {{${name}}}`);
    return v;
  });
}

/** The host variables of one agent. */
export interface HostVars {
  /** The Node.js binary running the agent (the demo node is a Node program). */
  node: string;
  /** The tsx loader (`node --import <it>`), for TypeScript node programs such as the demo node. */
  tsx_loader: string;
  /** The chain data directory (absolute). */
  chain_dir: string;
  node_id: string;
  [k: string]: string;
}

/** Host variables of this agent process. */
export function hostVars(chainDir: string, nodeId: string): HostVars {
  return { node: process.execPath, tsx_loader: import.meta.resolve("tsx"), chain_dir: chainDir, node_id: nodeId };
}
