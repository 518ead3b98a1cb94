import { ChainProfileError } from "./errors.js";
import { GeneratedKeyType, type ChainProfileSpec, type InputSpec, type KeyFileFormat } from "./schema.js";

/** The key file format a secret gets when its profile names none (see InputSpec.format). */
export function defaultKeyFileFormat(source: NonNullable<InputSpec["source"]>, keyType: string): KeyFileFormat {
  if (keyType === "hex32") return "hex";
  return source === "generated" ? "json" : "raw";
}

/**
 * The provisioning inputs of a checked profile (R-IN-1): `provisioning_inputs` with their defaults,
 * then the legacy `keys:` list as secrets with `source: generated`. Rules zod cannot say per field are
 * checked here, each error naming the file and the field: unique names, `source`/`key_type`/`path` on
 * secrets only, a vault key type for generated secrets, a key file path (and its format) for secrets,
 * and a `validation` that compiles (compiled once, here).
 */
export function resolveInputSpecs(file: string, spec: ChainProfileSpec): { inputs: InputSpec[]; inputPatterns: Map<string, RegExp> } {
  const inputs: InputSpec[] = [];
  const inputPatterns = new Map<string, RegExp>();
  const seen = new Map<string, string>();
  const claim = (name: string, field: string) => {
    const other = seen.get(name);
    if (other) throw new ChainProfileError(file, `${field}.name`, `duplicate input name ${JSON.stringify(name)} (also ${other})`);
    seen.set(name, field);
  };

  (spec.provisioning_inputs ?? []).forEach((y, i) => {
    const field = `provisioning_inputs.${i}`;
    claim(y.name, field);
    const secret = y.type === "secret";
    if (secret) {
      if (!y.source)
        throw new ChainProfileError(file, `${field}.source`, "required for a secret (generated, chain_generated or user_provided)");
      if (y.validation !== undefined)
        throw new ChainProfileError(
          file,
          `${field}.validation`,
          "a secret is sealed and never read by the control plane, so it cannot be validated by a regex",
        );
      if (y.source === "generated" && !GeneratedKeyType.safeParse(y.key_type).success) {
        throw new ChainProfileError(
          file,
          `${field}.key_type`,
          `a generated secret needs a key type the vault generates: ${GeneratedKeyType.options.join(", ")}`,
        );
      }
      if (!y.key_type) throw new ChainProfileError(file, `${field}.key_type`, "required for a secret");
      if (!y.path)
        throw new ChainProfileError(file, `${field}.path`, "required for a secret: where the agent writes or reads the key file");
    } else {
      for (const f of ["source", "key_type", "path", "format"] as const) {
        if (y[f] !== undefined) throw new ChainProfileError(file, `${field}.${f}`, `only secrets have a ${f}`);
      }
    }
    if (y.validation !== undefined) {
      try {
        inputPatterns.set(y.name, new RegExp(y.validation, "u"));
      } catch (err) {
        throw new ChainProfileError(file, `${field}.validation`, `invalid regular expression: ${(err as Error).message}`, { cause: err });
      }
    }
    inputs.push({
      name: y.name,
      type: y.type,
      required: y.required,
      phase: y.phase,
      ...(y.validation !== undefined ? { validation: y.validation } : {}),
      ...(y.source !== undefined ? { source: y.source } : {}),
      ...(y.key_type !== undefined ? { keyType: y.key_type } : {}),
      ...(y.path !== undefined ? { path: y.path } : {}),
      ...(secret ? { format: y.format ?? defaultKeyFileFormat(y.source!, y.key_type!) } : {}),
      ...(y.description !== undefined ? { description: y.description } : {}),
    });
  });

  (spec.keys ?? []).forEach((k, i) => {
    const field = `keys.${i}`;
    claim(k.name, field);
    // A legacy key without a path still needs a file the agent can write: keys/<name>.
    inputs.push({
      name: k.name,
      type: "secret",
      required: true,
      phase: "pre_provision",
      source: "generated",
      keyType: k.type,
      path: k.path ?? `keys/${k.name}`,
      format: k.format ?? defaultKeyFileFormat("generated", k.type),
      ...(k.description !== undefined ? { description: k.description } : {}),
    });
  });
  return { inputs, inputPatterns };
}
