CREATE TABLE "nodes" (
	"id" text PRIMARY KEY NOT NULL,
	"subscription_id" text NOT NULL,
	"user_id" text NOT NULL,
	"chain_profile_id" text NOT NULL,
	"node_type" text NOT NULL,
	"state" text NOT NULL,
	"provider" text NOT NULL,
	"region" text NOT NULL,
	"instance_type" text NOT NULL,
	"host" jsonb,
	"keys" jsonb NOT NULL,
	"inputs_applied" jsonb NOT NULL,
	"versions" jsonb NOT NULL,
	"failure" jsonb,
	"partial_failures" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"position" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subscription_inputs" (
	"subscription_id" text NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"status" text NOT NULL,
	"value" text,
	"fingerprint" text,
	"provided_at" timestamp with time zone NOT NULL,
	"applied_at" timestamp with time zone,
	"position" bigint NOT NULL,
	CONSTRAINT "subscription_inputs_subscription_id_name_pk" PRIMARY KEY("subscription_id","name")
);
--> statement-breakpoint
CREATE INDEX "nodes_user_idx" ON "nodes" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "nodes_subscription_idx" ON "nodes" USING btree ("subscription_id");