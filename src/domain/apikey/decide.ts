import { assertNever, type Decider } from "../decider.js";
import type { Scope } from "../../../schemas/events/apikey.js";
import { DomainError, ForbiddenError, NotFoundError, ValidationError } from "../errors.js";
import { evolveApiKey, initialApiKeyState, type ApiKeyEvent, type ApiKeyState } from "./apikey.js";

/** Commands of the API-key aggregate; ids, hashes and time come in with the command (the decider stays pure). */
export type ApiKeyCommand =
  | {
      type: "CreateApiKey";
      apiKeyId: string;
      ownerId: string;
      name: string;
      scopes: Scope[];
      keyHash: string;
      keyPrefix: string;
      /** The scopes of the caller: a key can only carry scopes its creator holds (R-API-4). */
      grantorScopes: readonly Scope[];
      /** The caller's credential: only a user's token (JWT) creates keys, never another key. */
      grantorKind: "jwt" | "apikey";
      /** Refused from then on; absent: no expiry. */
      expiresAt?: Date;
      now: Date;
    }
  | { type: "RevokeApiKey"; apiKeyId: string; by: { id: string; scopes: readonly Scope[] }; now: Date };

/** R-API-4: `admin` is never granted through the API, and no scope the grantor lacks (`admin` holds every other). */
function assertGrantable(requested: readonly Scope[], grantor: readonly Scope[]): void {
  if (requested.includes("admin")) throw new ForbiddenError("the admin scope cannot be granted through the API", { scope: "admin" });
  const missing = requested.filter((s) => !grantor.includes("admin") && !grantor.includes(s));
  if (missing.length > 0) throw new ForbiddenError("an API key cannot carry scopes its creator does not hold", { scopes: missing });
}

/** Decides the events of one API-key command, or throws a DomainError. */
export function decideApiKey(command: ApiKeyCommand, state: ApiKeyState): ApiKeyEvent[] {
  switch (command.type) {
    case "CreateApiKey": {
      // A leaked key must not be able to mint keys that outlive its revocation: keys come from user tokens only.
      if (command.grantorKind === "apikey")
        throw new ForbiddenError("an API key cannot create API keys; use a user's token", { credential: "apikey" });
      assertGrantable(command.scopes, command.grantorScopes);
      if (command.expiresAt && command.expiresAt.getTime() <= command.now.getTime()) {
        throw new ValidationError("expiresAt must be in the future", [{ path: "expiresAt", message: "must be after the current time" }]);
      }
      if (state.status !== "none") throw new DomainError("conflict", `api key ${command.apiKeyId} already exists`);
      return [
        {
          type: "ApiKeyCreated",
          data: {
            apiKeyId: command.apiKeyId,
            ownerId: command.ownerId,
            name: command.name,
            scopes: [...new Set(command.scopes)],
            keyHash: command.keyHash,
            keyPrefix: command.keyPrefix,
            createdAt: command.now.toISOString(),
            ...(command.expiresAt ? { expiresAt: command.expiresAt.toISOString() } : {}),
          },
        },
      ];
    }
    case "RevokeApiKey": {
      // Someone else's key is "not found" rather than "forbidden": its existence is not the caller's business.
      const mayRevoke = state.status !== "none" && (state.ownerId === command.by.id || command.by.scopes.includes("admin"));
      if (!mayRevoke) throw new NotFoundError("api key", command.apiKeyId);
      if (state.status === "revoked") return [];
      return [{ type: "ApiKeyRevoked", data: { apiKeyId: command.apiKeyId, revokedAt: command.now.toISOString() } }];
    }
    default:
      return assertNever(command);
  }
}

/** The API-key decider for `commandHandler` (category `apikey`). */
export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyState, ApiKeyEvent> = {
  category: "apikey",
  initialState: initialApiKeyState,
  evolve: evolveApiKey,
  decide: decideApiKey,
};
