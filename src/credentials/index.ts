export { renewCredentialsOver, requestAgentCredentials } from "./client.js";
export { createCredentialIssuer, type CredentialIssuer } from "./credential-issuer.js";
export { INITIAL_CREDS_PREFIX } from "./credentials.js";
export { BootstrapRefusedError } from "./errors.js";
export { RenewableRole } from "./messages.js";
