import type { CliCommand } from "../command.js";
import { tokenCommand, tokenRevokeCommand, tokenRotateKeyCommand } from "./token.js";
import { projectionsList, projectionsRebuild } from "./projections.js";
import { paymentsCompleteCommand, paymentsFailCommand } from "./payments.js";
import { up } from "./up.js";
import { roleCommand } from "./role.js";
import { sagaHistoryCommand } from "./saga.js";
import { natsInitCommand } from "./nats.js";
import { hostsListCommand } from "./hosts.js";
import { incidentsAckCommand, incidentsListCommand, incidentsResolveCommand, nodesHealthCommand } from "./incidents.js";

/** Every `nodeplane` subcommand; add yours here (one file per command under this folder). */
export const commands: CliCommand[] = [
  tokenCommand,
  tokenRotateKeyCommand,
  tokenRevokeCommand,
  projectionsRebuild,
  projectionsList,
  paymentsCompleteCommand,
  paymentsFailCommand,
  up,
  roleCommand,
  sagaHistoryCommand,
  natsInitCommand,
  hostsListCommand,
  incidentsListCommand,
  incidentsAckCommand,
  incidentsResolveCommand,
  nodesHealthCommand,
];
