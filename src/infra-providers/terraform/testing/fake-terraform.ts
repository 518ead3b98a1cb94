import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Writes a fake `terraform` into `dir` for adapter specs only: a node script that appends its argv, cwd
 * and the tfvars file's mode to `$FAKE_TF_LOG`, and answers `init`, `apply -json`, `output -json` and
 * `destroy -json` like Terraform 1.11 does (UI stream lines, an output document, a state file in the cwd).
 * A node id starting with `slow-` makes apply hang until SIGINT. A node id starting with `fail-`
 * (or a `FAIL_APPLY` file beside the work dirs) makes apply emit an error diagnostic that repeats the bootstrap token,
 * so a spec can check that it is redacted; `FAIL_DESTROY` there fails destroy. Returns the script's path.
 */
export async function writeFakeTerraform(dir: string, name = "terraform"): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!${process.execPath}\n${SCRIPT}`, { mode: 0o755 });
  await chmod(path, 0o755);
  return path;
}

const SCRIPT = String.raw`
const fs = require("node:fs");
const path = require("node:path");
const args = process.argv.slice(2);
const cwd = process.cwd();
const tfvars = path.join(cwd, "terraform.tfvars.json");
const stateFile = path.join(cwd, "terraform.tfstate");
fs.appendFileSync(process.env.FAKE_TF_LOG, JSON.stringify({ args, cwd, tfvarsMode: fs.existsSync(tfvars) ? (fs.statSync(tfvars).mode & 0o777) : null }) + "\n");
const ts = () => new Date().toISOString();
const ui = (level, message, type, extra) => process.stdout.write(JSON.stringify({ "@level": level, "@message": message, "@module": "terraform.ui", "@timestamp": ts(), type, ...extra }) + "\n");
const hook = (action, extra) => ({ hook: { resource: { addr: "module.node.aws_instance.node", module: "module.node", resource: "aws_instance.node", implied_provider: "aws", resource_type: "aws_instance", resource_name: "node", resource_key: null }, action, ...extra } });
const cmd = args[0];
if (cmd === "init") {
  process.stdout.write("Initializing the backend...\nInitializing modules...\n- node in ../modules\n\nTerraform has been successfully initialized!\n");
  process.exit(0);
}
if (cmd === "apply") {
  const root = JSON.parse(fs.readFileSync(path.join(cwd, "main.tf.json"), "utf8"));
  const vars = JSON.parse(fs.readFileSync(tfvars, "utf8"));
  const node = root.module.node;
  ui("info", "Terraform 1.11.4", "version", { terraform: "1.11.4", ui: "1.2" });
  const existing = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, "utf8")) : undefined;
  if (node.node_id.startsWith("slow-")) {
    // like terraform: an interrupt stops the run gracefully with an error diagnostic
    process.on("SIGINT", () => {
      ui("error", "Error: execution halted", "diagnostic", { diagnostic: { severity: "error", summary: "execution halted", detail: "" } });
      process.exit(1);
    });
    ui("info", "module.node.aws_instance.node: Creating...", "apply_start", hook("create"));
    setInterval(() => undefined, 1000);
    return;
  }
  if (fs.existsSync(path.join(cwd, "..", "FAIL_APPLY")) || node.node_id.startsWith("fail-")) {
    ui("info", "module.node.aws_instance.node: Creating...", "apply_start", hook("create"));
    fs.writeFileSync(stateFile, JSON.stringify({ partial: true }));
    ui("error", "module.node.aws_instance.node: Creation errored after 1s", "apply_errored", hook("create", { elapsed_seconds: 1 }));
    ui("error", "Error: creating EC2 Instance: InvalidParameterValue", "diagnostic", { diagnostic: { severity: "error", summary: "creating EC2 Instance: operation error EC2: RunInstances, api error InvalidParameterValue", detail: "User data is limited to 16384 bytes (token " + vars.agent_bootstrap_token + ")", address: "module.node.aws_instance.node", snippet: { code: "resource \"aws_instance\" \"node\" {" } } });
    process.exit(1);
  }
  const instance = existing?.instance ?? ("i-0" + Buffer.from(node.node_id).toString("hex").slice(0, 15));
  if (!existing) {
    ui("info", "module.node.aws_instance.node: Creating...", "apply_start", hook("create"));
    ui("info", "module.node.aws_instance.node: Creation complete after 12s [id=" + instance + "]", "apply_complete", hook("create", { id_key: "id", id_value: instance, elapsed_seconds: 12 }));
  }
  fs.writeFileSync(stateFile, JSON.stringify({ instance, address: "3.120.0." + (node.node_id.length % 250), applies: (existing?.applies ?? 0) + 1 }));
  const added = existing ? 0 : 1;
  ui("info", "Apply complete! Resources: " + added + " added, 0 changed, 0 destroyed.", "change_summary", { changes: { add: added, change: 0, import: 0, remove: 0, operation: "apply" } });
  process.exit(0);
}
if (cmd === "output") {
  const s = fs.existsSync(stateFile) ? JSON.parse(fs.readFileSync(stateFile, "utf8")) : undefined;
  if (!s || !s.instance) { process.stdout.write("{}\n"); process.exit(0); }
  process.stdout.write(JSON.stringify({
    address: { sensitive: false, type: "string", value: s.address },
    host_id: { sensitive: false, type: "string", value: "aws-" + s.instance },
    instance_id: { sensitive: false, type: "string", value: s.instance },
  }, null, 2) + "\n");
  process.exit(0);
}
if (cmd === "destroy") {
  ui("info", "Terraform 1.11.4", "version", { terraform: "1.11.4", ui: "1.2" });
  if (fs.existsSync(path.join(cwd, "..", "FAIL_DESTROY"))) {
    ui("error", "Error: deleting EC2 Instance", "diagnostic", { diagnostic: { severity: "error", summary: "deleting EC2 Instance: UnauthorizedOperation", detail: "You are not authorized to perform this operation." } });
    process.exit(1);
  }
  const had = fs.existsSync(stateFile);
  if (had) {
    ui("info", "module.node.aws_instance.node: Destroying...", "apply_start", hook("delete"));
    ui("info", "module.node.aws_instance.node: Destruction complete after 30s", "apply_complete", hook("delete", { elapsed_seconds: 30 }));
    fs.rmSync(stateFile);
  }
  ui("info", "Destroy complete! Resources: " + (had ? 1 : 0) + " destroyed.", "change_summary", { changes: { add: 0, change: 0, import: 0, remove: had ? 1 : 0, operation: "destroy" } });
  process.exit(0);
}
process.stderr.write("fake terraform: unknown command " + cmd + "\n");
process.exit(2);
`;
