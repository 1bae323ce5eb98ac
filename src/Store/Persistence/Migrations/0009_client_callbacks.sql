-- Completion callbacks (issue 22): a client's default callback URL, and its signing secrets. A secret must be readable to
-- sign, so it is encrypted, not hashed: AES-256-GCM under the key Callbacks:SecretKeys:<key_id>, with the client id as
-- associated data (nonce || ciphertext || tag). The current secret has no retires_at; a rotation gives the previous one a
-- retires_at (now + grace), and both sign until then.

ALTER TABLE clients ADD COLUMN callback_url text;

CREATE TABLE client_callback_secrets (
    client_id   text        NOT NULL REFERENCES clients (client_id),
    secret_id   text        NOT NULL,
    key_id      text        NOT NULL,
    ciphertext  bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    retires_at  timestamptz,
    PRIMARY KEY (client_id, secret_id)
);

-- At most one current secret per client.
CREATE UNIQUE INDEX client_callback_secrets_current ON client_callback_secrets (client_id) WHERE retires_at IS NULL;
