import type { CliCommand } from "../command.js";
import { tokenCommand } from "./token.js";

/** Every `nodeplane` subcommand; add yours here (one file per command under this folder). */
export const commands: CliCommand[] = [tokenCommand];
