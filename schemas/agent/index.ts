import { registerSchemas } from "../registry.js";
import { ErrorReplyV1 } from "./common.js";
import { CommandV1, RecipeV1 } from "./command.js";
import { RegisterRequestV1, RegisterReplyV1 } from "./register.js";
import { HeartbeatRequestV1, HeartbeatReplyV1 } from "./heartbeat.js";
import { CommandEventV1, CommandEventReplyV1 } from "./events.js";
import { InjectKeysReplyV1, KeyRequestV1 } from "./keys.js";
import { commandResultSchemas, commandResultVersions } from "./results.js";
import { ProfileRecipeV1 } from "./profile-recipe.js";
import { MetricsBatchV1 } from "./metrics.js";
import { ObservationConfigV1 } from "./observation.js";

/** The agent protocol (DESIGN.md §7, SPEC R-AGENT, R-CMD): shared by the control plane and `agent/`. */
export * from "./common.js";
export * from "./command.js";
export * from "./register.js";
export * from "./heartbeat.js";
export * from "./events.js";
export * from "./keys.js";
export * from "./results.js";
export * from "./subjects.js";
export * from "./token.js";
export * from "./profile-recipe.js";
export * from "./observation.js";
export * from "./metrics.js";

registerSchemas({
  "agent/register.request.v1": RegisterRequestV1,
  "agent/register.reply.v1": RegisterReplyV1,
  "agent/heartbeat.request.v1": HeartbeatRequestV1,
  "agent/heartbeat.reply.v1": HeartbeatReplyV1,
  "agent/command.v1": CommandV1,
  "agent/recipe.v1": RecipeV1,
  "agent/command-event.v1": CommandEventV1,
  "agent/command-event.reply.v1": CommandEventReplyV1,
  "agent/keys.request.v1": KeyRequestV1,
  "agent/keys.inject-reply.v1": InjectKeysReplyV1,
  "agent/error.reply.v1": ErrorReplyV1,
  "agent/profile-recipe.v1": ProfileRecipeV1,
  "agent/metrics.v1": MetricsBatchV1,
  "agent/observation.v1": ObservationConfigV1,
  ...Object.fromEntries(
    Object.entries(commandResultSchemas).map(([type, s]) => [
      `agent/result.${type.toLowerCase()}.v${commandResultVersions[type as keyof typeof commandResultVersions]}`,
      s,
    ]),
  ),
});
