/** The public face of src/auth: what the rest of the tree uses. Code outside src/auth imports it through here. */
export { generateApiKey } from "./api-keys.js";
export { type Authenticator } from "./authenticator.js";
export { parseTtl, TokenClaimsError } from "./jwt.js";
export { rotateSigningKey } from "./key-ring.js";
export { createLocalAuth, type LocalAuth } from "./local.js";
export { actorOf, hasScope, type Principal, Scope } from "./principal.js";
export { type CredentialRevocations, redisRevocations } from "./revocations.js";
