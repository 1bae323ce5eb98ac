-- Completion callbacks (issue 22): the delivery state of a command's callback, shown in its status document as
-- callback: {state, attempts, lastError}. NULL state with a callback_url reads as Pending (nothing sent yet). A delivery's
-- own row (type callbacks.deliver, written by the ledger with the terminal status it reports) points at its subject
-- through callback_of; see docs/callbacks-design.md.

ALTER TABLE commands
    ADD COLUMN callback_state      text,
    ADD COLUMN callback_attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN callback_last_error text,
    ADD COLUMN callback_of         uuid;

CREATE INDEX IF NOT EXISTS commands_callback_of ON commands (callback_of) WHERE callback_of IS NOT NULL;
