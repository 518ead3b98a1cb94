import type { EventOf } from "../../../schemas/events/define.js";
import type { ApiKeyCreated, ApiKeyRevoked, Scope } from "../../../schemas/events/apikey.js";

/** The events of the API-key aggregate. */
export type ApiKeyEvent = EventOf<typeof ApiKeyCreated> | EventOf<typeof ApiKeyRevoked>;

/** An API key as the command side sees it; the key itself is never part of it, only its owner and scopes. */
export type ApiKeyState =
  | { status: "none" }
  | {
      status: "active" | "revoked";
      id: string;
      ownerId: string;
      name: string;
      scopes: Scope[];
      keyPrefix: string;
      createdAt: string;
      expiresAt?: string;
      revokedAt?: string;
    };

/** No events yet. */
export const initialApiKeyState = (): ApiKeyState => ({ status: "none" });

/** Folds one event into the state (pure). */
export function evolveApiKey(state: ApiKeyState, event: ApiKeyEvent): ApiKeyState {
  switch (event.type) {
    case "ApiKeyCreated": {
      const d = event.data;
      return {
        status: "active",
        id: d.apiKeyId,
        ownerId: d.ownerId,
        name: d.name,
        scopes: d.scopes,
        keyPrefix: d.keyPrefix,
        createdAt: d.createdAt,
        ...(d.expiresAt ? { expiresAt: d.expiresAt } : {}),
      };
    }
    case "ApiKeyRevoked":
      return state.status === "none" ? state : { ...state, status: "revoked", revokedAt: event.data.revokedAt };
  }
}
