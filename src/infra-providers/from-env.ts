import { ConfigError } from "../config/index.js";
import { createPlacementAvailability, type AvailabilitySources, type PlacementAvailability } from "./availability.js";
import { terraformAvailability } from "./terraform/availability.js";
import { terraformSettingsFromEnv } from "./terraform/config.js";

/**
 * The availability of placements on a control plane configured by `env`, as the worker builds its
 * providers (src/roles/lifecycle.ts): local hosts always; cloud hosts only in NATS operator mode (their
 * agents bootstrap with a one-time token) with the host package checksum set, then per placement the
 * terraform check (binary, module, the cloud's credentials in `processEnv`, which terraform runs with).
 */
export function placementAvailabilityFromEnv(
  env: Parameters<typeof terraformSettingsFromEnv>[0],
  o: { projectRoot: string; cloudHosts: boolean; processEnv: Readonly<Record<string, string | undefined>>; home?: string },
): PlacementAvailability {
  return createPlacementAvailability({ local: true, cloud: cloudSource(env, o) });
}

function cloudSource(
  env: Parameters<typeof terraformSettingsFromEnv>[0],
  o: Parameters<typeof placementAvailabilityFromEnv>[1],
): AvailabilitySources["cloud"] {
  if (!o.cloudHosts) return { off: "cloud hosts need NATS operator mode on this control plane" };
  let settings: ReturnType<typeof terraformSettingsFromEnv>;
  try {
    settings = terraformSettingsFromEnv(env, o.projectRoot);
  } catch (err) {
    if (err instanceof ConfigError) return { off: err.message };
    throw err;
  }
  return (p) =>
    terraformAvailability({
      cloud: p.provider,
      chainProfileId: p.chainProfileId,
      ...(settings.binary !== undefined ? { binary: settings.binary } : {}),
      moduleRegistry: settings.moduleRegistry,
      env: o.processEnv,
      ...(o.home !== undefined ? { home: o.home } : {}),
    });
}
