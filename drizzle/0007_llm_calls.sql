CREATE TABLE "llm_calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"group_id" uuid NOT NULL,
	"turn_id" uuid,
	"agent_id" uuid NOT NULL,
	"agent_name" text NOT NULL,
	"account_id" uuid,
	"ask_id" text,
	"purpose" text NOT NULL,
	"step" integer NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"system_prompt" text NOT NULL,
	"messages" jsonb NOT NULL,
	"reply" text,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"input_tokens" integer,
	"output_tokens" integer,
	"outcome" text NOT NULL,
	"error" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "llm_calls_turn_idx" ON "llm_calls" USING btree ("turn_id");--> statement-breakpoint
CREATE INDEX "llm_calls_account_started_idx" ON "llm_calls" USING btree ("account_id","started_at");