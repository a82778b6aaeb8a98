ALTER TABLE "messages" ADD COLUMN "purpose" text;--> statement-breakpoint
CREATE INDEX "messages_content_search_idx" ON "messages" USING gin (to_tsvector('simple', "content"));