-- The fleet hub's schema, version 1 (docs/hub.md, "Data model").
CREATE TABLE sites (
    site_id        text PRIMARY KEY,
    name           text NOT NULL,
    profile        text NOT NULL,                -- kiosk.profiles name: hospital | bank | lodging | public_service
    deliver_to     text,                         -- base URL of the site's receiving systems (fan-out)
    secret_ref     text NOT NULL DEFAULT 'env:CCCD_WEBHOOK_SECRET',  -- the fan-out webhook secret: env:/file:
    settings       jsonb NOT NULL DEFAULT '{}'::jsonb,   -- kiosk settings distributed in the bundle
    trust_store    jsonb NOT NULL DEFAULT '[]'::jsonb,   -- [{"name", "kind": csca|master_list|crl, "der_b64"}]
    bundle_version integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE enrol_tokens (
    token_sha256 bytea PRIMARY KEY,              -- the token itself is shown once and never stored
    site_id      text NOT NULL REFERENCES sites,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    used_by      text
);

CREATE TABLE kiosks (
    kiosk_id       text PRIMARY KEY,             -- the kiosk's device_id (KioskIdentity.device_id)
    site_id        text NOT NULL REFERENCES sites,
    webhook_secret text NOT NULL,                -- whsec_: Standard Webhooks HMAC of every kiosk request
    enrolled_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    last_seen      timestamptz,
    software_version text,
    last_heartbeat jsonb
);
CREATE INDEX kiosks_site ON kiosks (site_id);

CREATE TABLE kiosk_keys (
    kiosk_id   text NOT NULL REFERENCES kiosks,
    kid        text NOT NULL,                    -- RFC 7638 thumbprint
    jwk        jsonb NOT NULL,                   -- public JWK (P-256, ES256)
    added_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    PRIMARY KEY (kiosk_id, kid)
);

-- Request ids already seen (replay refusal for requests other than ingest, which is idempotent).
CREATE TABLE seen_requests (
    kiosk_id   text NOT NULL,
    request_id text NOT NULL,
    seen_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kiosk_id, request_id)
);

CREATE TABLE records (
    id              bigserial PRIMARY KEY,
    verification_id text NOT NULL UNIQUE,        -- the idempotency key: stored once, duplicates refused
    kiosk_id        text NOT NULL REFERENCES kiosks,
    site_id         text NOT NULL,
    kid             text NOT NULL,
    profile         text NOT NULL,
    status          text NOT NULL,
    reasons         text[] NOT NULL,
    completed_at    timestamptz,
    received_at     timestamptz NOT NULL DEFAULT now(),
    record_jws      text NOT NULL,               -- exactly as the kiosk signed it
    record          jsonb NOT NULL               -- the verified claims
);
CREATE INDEX records_site_time ON records (site_id, received_at);
CREATE INDEX records_kiosk_time ON records (kiosk_id, received_at);

-- The hub's outbox: one row per record and destination connector, claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    record_id   bigint NOT NULL REFERENCES records ON DELETE CASCADE,
    site_id     text NOT NULL,
    connector   text NOT NULL,
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dead')),
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    leased_by   text,
    last_status integer,
    last_error  text,
    sent_at     timestamptz,
    UNIQUE (record_id, connector)
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE state = 'pending';
CREATE INDEX outbox_dead ON outbox (site_id) WHERE state = 'dead';

CREATE TABLE heartbeats (
    id        bigserial PRIMARY KEY,
    kiosk_id  text NOT NULL REFERENCES kiosks,
    at        timestamptz NOT NULL DEFAULT now(),
    body      jsonb NOT NULL
);
CREATE INDEX heartbeats_kiosk_time ON heartbeats (kiosk_id, at);

CREATE TABLE operators (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,                 -- argon2id
    role          text NOT NULL CHECK (role IN ('fleet_admin', 'site_operator', 'auditor')),
    site_id       text REFERENCES sites,         -- site operators and auditors see only this site (NULL: all)
    language      text NOT NULL DEFAULT 'vi',
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    session_sha256 bytea PRIMARY KEY,
    username   text NOT NULL REFERENCES operators ON DELETE CASCADE,
    csrf_token text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE TABLE audit (
    id       bigserial PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,                      -- operator username, 'cli', or 'kiosk:<id>'
    action   text NOT NULL,
    site_id  text,
    target   text,
    detail   jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_time ON audit (at);
