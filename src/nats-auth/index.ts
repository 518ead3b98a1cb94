export { encodeAgentAccount, encodeSystemAccount } from "./accounts.js";
export { lookupAccountJwt, pushAccountJwt } from "./claims.js";
export { connectNats, loadNatsAuthIfPresent } from "./connect.js";
export { parseCreds } from "./creds.js";
export { initNatsAuth, preloadOf, readStoredJwts } from "./init.js";
export { generateSeeds, keysFromSeeds } from "./keys.js";
export {
  authenticatorFor,
  type LeafCredentials,
  leafFiles,
  loadNatsAuth,
  type NatsAuth,
  natsAuthDir,
  writeLeafConfig,
  writeSecretFile,
} from "./nats-auth.js";
export { agentPermissions, BOOTSTRAP_VERB, leafAgentPermissions, leafSystemPermissions, nodeBootstrapPermissions } from "./permissions.js";
export { renderHubConfig } from "./server-config.js";
export { controlPlaneAuthenticator } from "./service-auth.js";
export { signUserCreds, signUserJwt, type UserGrant } from "./users.js";
