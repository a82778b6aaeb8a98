CREATE TABLE "vote_ballots" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"vote_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"agent_id" uuid NOT NULL,
	"agent_name" text NOT NULL,
	"choice" text,
	"confidence" double precision NOT NULL,
	"rationale" text NOT NULL,
	"reply_id" uuid,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "vote_ballots_vote_agent_key" UNIQUE("vote_id","agent_id")
);
--> statement-breakpoint
CREATE TABLE "votes" (
	"vote_id" uuid PRIMARY KEY NOT NULL,
	"group_id" uuid NOT NULL,
	"turn_id" uuid,
	"question" text,
	"options" jsonb,
	"voters" jsonb,
	"rule" jsonb,
	"quorum" jsonb,
	"deadline" timestamp with time zone,
	"status" text DEFAULT 'open' NOT NULL,
	"closed_by" text,
	"winner" text,
	"outcome" text,
	"reason" text,
	"tally" jsonb,
	"consensus" text,
	"consensus_code" text,
	"confidence" double precision,
	"opened_at" timestamp with time zone,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "strategy" text;--> statement-breakpoint
CREATE INDEX "votes_group_idx" ON "votes" USING btree ("group_id");--> statement-breakpoint
CREATE INDEX "votes_turn_idx" ON "votes" USING btree ("turn_id");