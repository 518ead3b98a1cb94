import { z } from "zod";
import type { Availability, PlacementRef } from "./availability.js";

/** What a provider needs to place one node (SPEC R-INFRA-1); the rest of the spec is kept as labels. */
export const NodeSpec = z.object({
  nodeId: z.string().regex(/^[A-Za-z0-9_\-:]+$/, "a node id must be one subject token"),
  chainProfileId: z.string().min(1).optional(),
  nodeType: z.string().min(1).optional(),
  region: z.string().min(1).optional(),
  instanceType: z.string().min(1).optional(),
  /** Extra flags for the host's agent (the local provider only: dev and test profiles' `local.agent_args`). */
  agentArgs: z.array(z.string().min(1).max(256)).max(32).optional(),
});
export type NodeSpec = z.infer<typeof NodeSpec>;

/** A provisioned host as every provider describes it: enough for the sagas to reach and later destroy it. */
export interface Host {
  readonly provider: string;
  readonly hostId: string;
  readonly nodeId: string;
  /** Where the host is reached (an IP or DNS name). */
  readonly address: string;
  readonly createdAt: string;
}

/** The infrastructure adapter (R-INFRA-1): `local` on this machine, `terraform` in a cloud. */
export interface InfrastructureProvider<H extends Host = Host> {
  readonly name: string;
  /** Creates the host of `spec.nodeId`; a second call for the same node returns the same host. */
  create(spec: NodeSpec): Promise<H>;
  /** Removes the host and everything it runs; a host already gone is not an error. */
  destroy(host: Pick<Host, "hostId" | "nodeId">): Promise<void>;
  /** The hosts this provider holds now. */
  list(): Promise<H[]>;
  /** Whether this provider can serve the placement here now (checked before a customer pays for it). */
  availability(placement: PlacementRef): Availability;
}

/** Base of the providers' errors, so callers can tell infrastructure failures apart. */
export class InfraProviderError extends Error {
  override name = "InfraProviderError";
}

/** The node spec does not validate (a caller's bug, never retried). */
export class InvalidNodeSpecError extends InfraProviderError {
  override name = "InvalidNodeSpecError";
}

/** A host could not be brought up (a process did not start, a port did not open). */
export class HostCreateError extends InfraProviderError {
  override name = "HostCreateError";
}

/** A host could not be fully removed (a process would not stop, a revocation failed). */
export class HostDestroyError extends InfraProviderError {
  override name = "HostDestroyError";
}

/** A host's saved state on disk is unreadable or does not match its schema. */
export class HostStateError extends InfraProviderError {
  override name = "HostStateError";
}
