CREATE TABLE "budget_periods" (
	"budget_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"spent" numeric(24, 8) DEFAULT '0' NOT NULL,
	"reserved" numeric(24, 8) DEFAULT '0' NOT NULL,
	"warned_at" timestamp with time zone,
	CONSTRAINT "budget_periods_budget_id_period_start_pk" PRIMARY KEY("budget_id","period_start")
);
--> statement-breakpoint
CREATE TABLE "budget_reservations" (
	"work_id" uuid NOT NULL,
	"budget_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"amount" numeric(24, 8) NOT NULL,
	"state" text DEFAULT 'held' NOT NULL,
	"actual" numeric(24, 8),
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"settled_at" timestamp with time zone,
	CONSTRAINT "budget_reservations_work_id_budget_id_pk" PRIMARY KEY("work_id","budget_id")
);
--> statement-breakpoint
CREATE TABLE "budgets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"scope" text NOT NULL,
	"scope_id" uuid NOT NULL,
	"unit" text NOT NULL,
	"period" text NOT NULL,
	"cap" numeric(24, 8) NOT NULL,
	"warn_at" numeric(5, 4) DEFAULT '0.8' NOT NULL,
	"updated_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "budgets_scope_uq" UNIQUE("scope","scope_id","unit","period")
);
--> statement-breakpoint
CREATE TABLE "prices" (
	"id" uuid PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"effective_from" timestamp with time zone NOT NULL,
	"input_per_mtok" numeric(18, 6) NOT NULL,
	"output_per_mtok" numeric(18, 6) NOT NULL,
	"cached_per_mtok" numeric(18, 6) NOT NULL,
	"currency" text DEFAULT 'USD' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "prices_model_from_uq" UNIQUE("provider","model","effective_from")
);
--> statement-breakpoint
ALTER TABLE "llm_calls" ADD COLUMN "cached_tokens" integer;--> statement-breakpoint
ALTER TABLE "llm_calls" ADD COLUMN "cost" numeric(24, 8);--> statement-breakpoint
ALTER TABLE "llm_calls" ADD COLUMN "currency" text;--> statement-breakpoint
ALTER TABLE "llm_calls" ADD COLUMN "price_id" uuid;--> statement-breakpoint
ALTER TABLE "budget_periods" ADD CONSTRAINT "budget_periods_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "budget_reservations" ADD CONSTRAINT "budget_reservations_budget_id_budgets_id_fk" FOREIGN KEY ("budget_id") REFERENCES "public"."budgets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "budget_reservations_expiry_idx" ON "budget_reservations" USING btree ("state","expires_at");--> statement-breakpoint
CREATE INDEX "budgets_scope_idx" ON "budgets" USING btree ("scope_id");--> statement-breakpoint
CREATE INDEX "llm_calls_group_started_idx" ON "llm_calls" USING btree ("group_id","started_at");--> statement-breakpoint
-- Default prices (USD per million tokens, from the providers' list prices); `conclave prices set` adds newer ones.
INSERT INTO "prices" ("id", "provider", "model", "effective_from", "input_per_mtok", "output_per_mtok", "cached_per_mtok", "currency") VALUES
	('0193f000-0000-7000-8000-000000000001', 'scripted', '*', '2020-01-01T00:00:00Z', 0, 0, 0, 'USD'),
	('0193f000-0000-7000-8000-000000000002', 'openai-compatible', '*', '2020-01-01T00:00:00Z', 0, 0, 0, 'USD'),
	('0193f000-0000-7000-8000-000000000003', 'anthropic', 'claude-sonnet-4-5', '2025-01-01T00:00:00Z', 3, 15, 0.3, 'USD'),
	('0193f000-0000-7000-8000-000000000004', 'anthropic', 'claude-haiku-4-5', '2025-01-01T00:00:00Z', 1, 5, 0.1, 'USD'),
	('0193f000-0000-7000-8000-000000000005', 'anthropic', 'claude-opus-4-1', '2025-01-01T00:00:00Z', 15, 75, 1.5, 'USD'),
	('0193f000-0000-7000-8000-000000000006', 'gemini', 'gemini-2.5-flash', '2025-01-01T00:00:00Z', 0.3, 2.5, 0.075, 'USD'),
	('0193f000-0000-7000-8000-000000000007', 'gemini', 'gemini-2.5-pro', '2025-01-01T00:00:00Z', 1.25, 10, 0.31, 'USD')
ON CONFLICT DO NOTHING;
