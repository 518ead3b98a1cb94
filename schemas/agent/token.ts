/** Raised when a node id cannot be one subject token. */
export class InvalidNodeIdError extends Error {
  override name = "InvalidNodeIdError";
}

/** A node id must be one subject token, or the agent could reach another agent's subjects. */
export function assertNodeToken(nodeId: string): string {
  if (!/^[A-Za-z0-9_\-:]{1,128}$/.test(nodeId))
    throw new InvalidNodeIdError(`node id ${JSON.stringify(nodeId)} is not a valid subject token`);
  return nodeId;
}
