-- B1's transaction for pgbench (docs/benchmarks.md, "B1 against pgbench"): a commands row and an outbox row with a
-- 256-byte body in one transaction, on a database migrated with src/Store/Persistence/Migrations/*.sql, e.g.
--   PGSSLMODE=require pgbench -h 127.0.0.1 -U messaging -n -c 32 -j 2 -T 15 -f bench/Load/Baselines/b1-pgbench.sql <database>
BEGIN;
INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, idempotency_key, deadline, created_at, updated_at)
VALUES (gen_random_uuid(), 'tenant-bench', 'client-bench', 'notifications.send', 'Accepted', 0,
        '{"channel":"email","to":"someone@example.org","subject":"Hello there","body":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}',
        NULL, now() + interval '1 hour', now(), now());
INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, kind)
VALUES (gen_random_uuid(), 'notifications.send', 'Messaging.Contracts.Notifications.SendNotification',
        '{"channel":"email","to":"someone@example.org","subject":"Hello there","body":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}',
        '{"Messaging-Tenant":"tenant-bench","Messaging-Attempt":"1"}', now(), now(), 'command');
COMMIT;
