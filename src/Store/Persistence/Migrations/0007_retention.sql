-- Retention (OutboxCleanup, section Retention): terminal commands, redriven dead letters, audit records and expired
-- idempotency keys are deleted in batches, oldest first. These indexes let each batch read only the rows it deletes;
-- expired keys are read through idempotency_keys_expires (0001).

-- Replaced by the audit trail in 0004, which copied its rows; no release since has written or read it.
DROP TABLE IF EXISTS redrive_audit;

-- Terminal commands by the time of their terminal status. The list must hold every status for which
-- CommandStatuses.IsTerminal() is true (a test compares them; the delete names them, which is what lets the planner
-- use this partial index); 'Cancelled' is listed ahead of the status itself.
CREATE INDEX IF NOT EXISTS commands_terminal_updated_at ON commands (updated_at)
    WHERE status IN ('Succeeded', 'Failed', 'DeadLettered', 'Expired', 'Cancelled');

-- Waiting dead letters (redriven_at IS NULL) are never deleted, so they are not in the index.
CREATE INDEX IF NOT EXISTS dead_letters_redriven_at ON dead_letters (redriven_at) WHERE redriven_at IS NOT NULL;

CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
