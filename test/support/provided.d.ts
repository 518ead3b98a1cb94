import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    services: {
      natsUrl: string;
      databaseUrl: string;
      redisUrl: string;
      natsLeafUrl?: string;
      victoriaMetricsUrl?: string;
      available: boolean;
      reason?: string;
    };
  }
}
