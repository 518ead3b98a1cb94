CREATE TABLE "incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"user_id" text NOT NULL,
	"cause" text NOT NULL,
	"severity" text NOT NULL,
	"status" text NOT NULL,
	"policy" text,
	"detail" text,
	"opened_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"acknowledged_by" text,
	"acknowledged_at" timestamp with time zone,
	"resolved_by" text,
	"resolved_by_actor" text,
	"resolved_at" timestamp with time zone,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "node_health" (
	"node_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"verdict" text,
	"policy" text,
	"cause" text,
	"detail" text,
	"since" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "node_health_history" (
	"id" text PRIMARY KEY NOT NULL,
	"node_id" text NOT NULL,
	"verdict" text NOT NULL,
	"previous_verdict" text,
	"policy" text,
	"cause" text,
	"detail" text,
	"state" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE INDEX "incidents_node_idx" ON "incidents" USING btree ("node_id","status");--> statement-breakpoint
CREATE INDEX "incidents_user_idx" ON "incidents" USING btree ("user_id","status","opened_at");--> statement-breakpoint
CREATE INDEX "node_health_history_node_idx" ON "node_health_history" USING btree ("node_id","position");