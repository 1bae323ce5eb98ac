-- Dead letters stored whole, their redrive audit, and events in the outbox.

CREATE TABLE dead_letters (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command_id        uuid,
    tenant            text,
    type              text,
    body              text        NOT NULL,
    headers           jsonb       NOT NULL,
    attempts          integer     NOT NULL,
    first_failure_at  timestamptz NOT NULL,
    last_failure_at   timestamptz NOT NULL,
    exception_type    text,
    reason            text        NOT NULL,
    source            text        NOT NULL,
    created_at        timestamptz NOT NULL,
    redriven_at       timestamptz,
    redriven_by       text
);

CREATE INDEX dead_letters_waiting ON dead_letters (type, tenant, created_at) WHERE redriven_at IS NULL;
CREATE INDEX dead_letters_command ON dead_letters (command_id);

CREATE TABLE redrive_audit (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor     text        NOT NULL,
    at        timestamptz NOT NULL,
    scope     text        NOT NULL,
    filter    jsonb       NOT NULL,
    count     integer     NOT NULL
);

-- 'command' rows are sent to their queue's exchange (mandatory); 'event' rows are published by type.
ALTER TABLE outbox ADD COLUMN kind text NOT NULL DEFAULT 'command';

-- When a command first failed, for the dead letter's figures.
ALTER TABLE commands ADD COLUMN first_failure_at timestamptz;
