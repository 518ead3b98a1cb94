CREATE TABLE "agent_registrations" (
	"node_id" text PRIMARY KEY NOT NULL,
	"instance_id" text NOT NULL,
	"agent_version" text NOT NULL,
	"hostname" text NOT NULL,
	"capabilities" jsonb NOT NULL,
	"runtime" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"registered_at" timestamp with time zone NOT NULL,
	"first_registered_at" timestamp with time zone NOT NULL,
	"registrations" integer NOT NULL,
	"position" bigint NOT NULL
);
