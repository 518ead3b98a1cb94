import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    services: { natsUrl: string; databaseUrl: string; redisUrl: string; natsLeafUrl?: string; available: boolean; reason?: string };
  }
}
