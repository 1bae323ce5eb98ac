-- Replaced by the audit trail in 0004, which copied its rows; no release since has written or read it.
DROP TABLE IF EXISTS redrive_audit;
