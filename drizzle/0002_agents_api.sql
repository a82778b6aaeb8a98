CREATE TABLE "provider_credentials" (
	"account_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"secret_encrypted" text NOT NULL,
	"base_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provider_credentials_account_id_provider_pk" PRIMARY KEY("account_id","provider")
);
--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "account_id" uuid;--> statement-breakpoint
-- Agents made before accounts owned them belong to an owner of a group they sit in; any left unseated are unreachable.
UPDATE "agents" SET "account_id" = (SELECT gm."account_id" FROM "group_agents" ga JOIN "group_members" gm ON gm."group_id" = ga."group_id" WHERE ga."agent_id" = "agents"."id" ORDER BY (gm."role" = 'owner') DESC, gm."created_at" LIMIT 1);--> statement-breakpoint
DELETE FROM "agents" WHERE "account_id" IS NULL;--> statement-breakpoint
ALTER TABLE "agents" ALTER COLUMN "account_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "description" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "temperature" double precision;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "max_tokens" integer;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "personality" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "tools" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "limits" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "agents" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "description" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "provider_credentials" ADD CONSTRAINT "provider_credentials_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_agent_outcome_idx" ON "events" USING btree ((payload->>'agentId'),"at") WHERE type in ('agent.replied', 'agent.failed');--> statement-breakpoint
CREATE INDEX "agents_account_idx" ON "agents" USING btree ("account_id","id");--> statement-breakpoint
CREATE INDEX "group_agents_agent_idx" ON "group_agents" USING btree ("agent_id");