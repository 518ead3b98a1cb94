import { resolve } from "node:path";

/** The project root: recipes' `file:` artifacts (the demo node program) and terraform modules resolve against it. */
export const projectRoot = resolve(import.meta.dirname, "../..");
