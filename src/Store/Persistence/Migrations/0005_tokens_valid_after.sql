-- Tokens that end (issue 20): a client's access tokens issued before tokens_valid_after are refused by every
-- gateway (RevokedClients), and `clients revoke` sets it with revoked_at. Each gateway reads the clients revoked or
-- cut off within the longest token lifetime every 30 s; the table holds one row per API client, so the read scans it
-- without an index.

ALTER TABLE clients ADD COLUMN tokens_valid_after timestamptz;

-- A client revoked before this migration: its tokens were issued before its revocation.
UPDATE clients SET tokens_valid_after = revoked_at WHERE revoked_at IS NOT NULL;
