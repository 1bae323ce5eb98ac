-- The command lifecycle (issue 21): a command accepted with a Not-Before is stored Scheduled and shows when it may
-- run. NULL for commands that run at once (and for every command accepted before this migration). The new terminal
-- status Cancelled needs no schema change: status is text.

ALTER TABLE commands ADD COLUMN not_before timestamptz;
