-- The command path: clients, commands, idempotency keys, the transactional outbox and the inbox.

CREATE TABLE clients (
    client_id    text PRIMARY KEY,
    tenant       text        NOT NULL,
    scopes       text[]      NOT NULL,
    secret_hash  text        NOT NULL,
    created_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

CREATE TABLE commands (
    id               uuid PRIMARY KEY,
    tenant           text        NOT NULL,
    client_id        text        NOT NULL,
    type             text        NOT NULL,
    status           text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    payload          jsonb       NOT NULL,
    result           jsonb,
    error_code       text,
    error_message    text,
    idempotency_key  text,
    deadline         timestamptz,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);

-- Listing a tenant's commands newest first, with keyset pagination on (created_at, id).
CREATE INDEX commands_tenant_created ON commands (tenant, created_at DESC, id DESC);
CREATE INDEX commands_tenant_status ON commands (tenant, status, created_at DESC, id DESC);

CREATE TABLE idempotency_keys (
    tenant         text        NOT NULL,
    key            text        NOT NULL,
    request_hash   bytea       NOT NULL,
    command_id     uuid        NOT NULL,
    status_code    integer     NOT NULL,
    response_body  jsonb       NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

CREATE TABLE outbox (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    command_id    uuid        NOT NULL,
    destination   text        NOT NULL,
    message_type  text        NOT NULL,
    body          jsonb       NOT NULL,
    headers       jsonb       NOT NULL,
    not_before    timestamptz NOT NULL,
    created_at    timestamptz NOT NULL,
    sent_at       timestamptz,
    publish_attempts integer  NOT NULL DEFAULT 0,
    last_error    text
);

-- The relay's claim query: due, unsent rows in insertion order.
CREATE INDEX outbox_pending ON outbox (not_before, id) WHERE sent_at IS NULL;

CREATE TABLE inbox (
    command_id    uuid PRIMARY KEY,
    consumer      text        NOT NULL,
    processed_at  timestamptz NOT NULL
);
