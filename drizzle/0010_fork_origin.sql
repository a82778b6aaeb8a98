ALTER TABLE "events" ADD COLUMN "forked_from" jsonb;--> statement-breakpoint
ALTER TABLE "groups" ADD COLUMN "forked_from" jsonb;