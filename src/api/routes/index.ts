/**
 * The route modules of the API, the one list the api role serves (`coreRoutes` in app.ts are always on). A new route
 * module is added here and nowhere else; what it needs beyond `ApiDeps` comes in through `ProductRouteDeps`.
 */
import type { ChainProfileRegistry } from "../../chain-profiles/index.js";
import type { Inputs } from "../../inputs/index.js";
import type { SagaClient } from "../../saga/index.js";
import type { PlacementAvailability } from "../../infra-providers/index.js";
import type { PaymentProvider } from "../../payments/index.js";
import { signalInputsProvided } from "../../sagas/index.js";
import type { RouteModule } from "../deps.js";
import { chainProfileRoutes } from "./chain-profiles.js";
import { cryptoRoutes } from "./crypto.js";
import { refundRoutes } from "./refunds.js";
import { incidentRoutes, type CollectorStatusView } from "./incidents.js";
import { inputRoutes } from "./inputs.js";
import { nodeRoutes } from "./nodes.js";
import { paymentRoutes } from "./payments.js";
import { sagaRoutes } from "./sagas.js";
import { subscriptionRoutes } from "./subscriptions.js";

export { healthRoutes } from "./health.js";
export { apiKeyRoutes } from "./api-keys.js";
export { authRoutes } from "./auth.js";
export {
  chainProfileRoutes,
  cryptoRoutes,
  incidentRoutes,
  inputRoutes,
  nodeRoutes,
  paymentRoutes,
  refundRoutes,
  sagaRoutes,
  subscriptionRoutes,
};

/** What the product's route modules need besides `ApiDeps`, built once by the composition root (src/roles/compose.ts). */
export interface ProductRouteDeps {
  profiles: ChainProfileRegistry;
  inputs: Inputs;
  /** Signals and cancellations post to saga inboxes. */
  sagaClient: SagaClient;
  /** The server's X25519 public key customers seal secret inputs to. */
  serverPublicKey: Uint8Array;
  /** The payment provider: its webhooks are what `POST /api/v1/payments` stands in for, and it pays refunds back. */
  paymentProvider: PaymentProvider;
  /** Whether this control plane can serve a placement, checked before anyone pays (issue 17). */
  availability: PlacementAvailability;
  /** R-OBS-1: the observer's view of a node's collectors, shown by `GET /api/v1/nodes/{id}/health` (absent: no `collectors`). */
  collectorStatus?: (nodeId: string) => Promise<CollectorStatusView[]>;
}

/** Every product route module, in registration order. */
export function productRoutes(d: ProductRouteDeps): RouteModule[] {
  return [
    chainProfileRoutes({ profiles: d.profiles, availability: d.availability }),
    subscriptionRoutes({ profiles: d.profiles, availability: d.availability }),
    inputRoutes({
      inputs: d.inputs,
      profiles: d.profiles,
      onInputsSatisfied: (subscriptionId) => signalInputsProvided(d.sagaClient, subscriptionId),
    }),
    paymentRoutes({ providerName: d.paymentProvider.name, availability: d.availability }),
    refundRoutes({ paymentProvider: d.paymentProvider }),
    sagaRoutes({ client: d.sagaClient }),
    nodeRoutes(),
    incidentRoutes(d.collectorStatus ? { collectorStatus: d.collectorStatus } : {}),
    cryptoRoutes({ publicKey: d.serverPublicKey }),
  ];
}
