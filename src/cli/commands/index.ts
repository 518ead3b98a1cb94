import type { CliCommand } from "../command.js";

/** Every `nodeplane` subcommand; add yours here (one file per command under this folder). */
export const commands: CliCommand[] = [];
