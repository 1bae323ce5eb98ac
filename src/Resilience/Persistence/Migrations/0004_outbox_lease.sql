-- Relay leases (OutboxRelay): a claim commits claimed_until = now + Outbox:Relay:LeaseDuration instead of holding a
-- row lock through the publish, so the relay can keep a steady window of publishes in flight. A row is available
-- when it is unsent, due (not_before) and not leased, or its lease expired: GREATEST ignores a NULL lease, so
-- the claim is one range scan of this index in the order rows become available.

ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;

CREATE INDEX outbox_available ON outbox ((GREATEST(not_before, claimed_until)), id) WHERE sent_at IS NULL;

DROP INDEX outbox_pending;
