-- Retention (OutboxCleanup): sent outbox rows and inbox rows older than Outbox:Cleanup:Retention are
-- deleted in batches. These indexes let each batch read only the rows it deletes.

CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS inbox_processed_at ON inbox (processed_at);
