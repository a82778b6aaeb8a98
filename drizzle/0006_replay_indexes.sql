CREATE INDEX "events_turn_seq_idx" ON "events" USING btree ("turn_id","seq");--> statement-breakpoint
CREATE INDEX "events_group_at_idx" ON "events" USING btree ("group_id","at","seq");