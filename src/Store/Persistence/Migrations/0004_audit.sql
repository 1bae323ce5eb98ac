-- The audit trail (AuditTrail): who did what to which target, when, and how it ended. Written in the same
-- transaction as the action where there is one (redrives, client add/revoke). `tenant` is the tenant the action
-- touched; NULL means the fleet (a breaker, a redrive across tenants), which only operators read.

CREATE TABLE audit (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL,
    actor_client  text        NOT NULL,
    actor_tenant  text,
    action        text        NOT NULL,
    target        text        NOT NULL,
    tenant        text,
    outcome       text        NOT NULL,
    detail        jsonb
);

-- A tenant admin's page of its own tenant's records, newest first (keyset on id).
CREATE INDEX audit_tenant ON audit (tenant, id DESC);

-- redrive_audit's rows are copied into the audit trail, which replaces it. The table stays (no longer written) so
-- that instances of the previous release keep redriving during a rolling upgrade; a later migration drops it.
INSERT INTO audit (at, actor_client, actor_tenant, action, target, tenant, outcome, detail)
SELECT at, actor, NULL,
       CASE scope WHEN 'command' THEN 'command.redrive' ELSE 'dead-letters.redrive' END,
       coalesce(filter->>'commandId', 'dead-letters'),
       filter->>'tenant',
       'succeeded',
       jsonb_build_object('filter', filter, 'redriven', count)
FROM redrive_audit ORDER BY id;
