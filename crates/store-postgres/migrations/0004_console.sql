-- The operator console (issue 7): console users and their sessions, verifier organisations and their API keys,
-- the append-only verification audit, and the daily rollups the dashboard reads instead of scanning licences or
-- the audit.
-- The same tables as edl-store-sqlite's 0004_console.sql under the same version number; see
-- docs/decisions/storage.md (Operator console).
-- Session tokens and API keys are stored only as their SHA-256 (32-byte BYTEA); passwords as Argon2id PHC strings.
-- Days are DATEs: the calendar day in China Standard Time (UTC+08:00) of the instant counted.
-- Unique constraints are named, because the store maps the names to backend-independent conflicts.

-- Verifier organisations (rental companies, insurers, police units …). purposes is the space-separated list of
-- purposes the organisation may verify for (each without whitespace; the store checks).
CREATE TABLE organisations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL CHECK (name <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    purposes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT organisations_name_key UNIQUE (name)
);

-- Console users. The role decides the scope: an operator or auditor works for one authority, a verifier for one
-- organisation, the platform for neither (console_role_scope). password_hash is an Argon2id PHC string.
CREATE TABLE console_users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role TEXT NOT NULL CHECK (role IN ('platform', 'operator', 'auditor', 'verifier')),
    authority_id BIGINT REFERENCES authorities (id),
    organisation_id BIGINT REFERENCES organisations (id),
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ,
    CONSTRAINT console_users_username_key UNIQUE (username),
    CONSTRAINT console_role_scope CHECK (
        (role = 'platform' AND authority_id IS NULL AND organisation_id IS NULL)
        OR (role IN ('operator', 'auditor') AND authority_id IS NOT NULL AND organisation_id IS NULL)
        OR (role = 'verifier' AND authority_id IS NULL AND organisation_id IS NOT NULL)
    )
);

-- Console login sessions, keyed by the SHA-256 of the session cookie's token; valid while now < expires_at.
CREATE TABLE console_sessions (
    token_hash BYTEA NOT NULL CHECK (octet_length(token_hash) = 32),
    user_id BIGINT NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL CHECK (length(csrf_token) >= 16),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT console_sessions_pkey PRIMARY KEY (token_hash),
    CHECK (expires_at > created_at)
);

CREATE INDEX console_sessions_user_id ON console_sessions (user_id);

-- An organisation's API keys, by the SHA-256 of the key. prefix is the key's first characters, shown to tell keys
-- apart. A revoked key stays (the audit refers to it) and is refused by the caller.
CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    key_hash BYTEA NOT NULL CHECK (octet_length(key_hash) = 32),
    prefix TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    CONSTRAINT api_keys_key_hash_key UNIQUE (key_hash)
);

CREATE INDEX api_keys_organisation_id ON api_keys (organisation_id);

-- The audit of every verification through the API or the console's scanner. Append-only: the triggers below make
-- UPDATE, DELETE and TRUNCATE fail. file_number is set when the presented credential named a stored licence; region
-- (the licence's) when known. The store checks organisation and licence for a whole batch before it writes, and
-- the foreign keys hold anyway.
CREATE TABLE verifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    api_key_id BIGINT REFERENCES api_keys (id),
    user_id BIGINT REFERENCES console_users (id),
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    channel TEXT NOT NULL CHECK (channel IN ('api', 'scanner')),
    result TEXT NOT NULL CHECK (result IN ('valid', 'not_valid')),
    file_number TEXT COLLATE "C" REFERENCES licences (file_number),
    region INTEGER CHECK (region IS NULL OR region BETWEEN 100000 AND 999999)
);

-- An organisation's verifications, newest first.
CREATE INDEX verifications_organisation_id_at ON verifications (organisation_id, at, id);

-- Statement-level, so even a statement that matches no row is refused.
CREATE FUNCTION verifications_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'verifications is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER verifications_no_update BEFORE UPDATE ON verifications
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_append_only();

CREATE TRIGGER verifications_no_delete BEFORE DELETE ON verifications
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_append_only();

CREATE TRIGGER verifications_no_truncate BEFORE TRUNCATE ON verifications
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_append_only();

-- Verifications per day (China Standard Time), licence region (0 for none) and purpose, by result: what the
-- dashboard reads. record_verifications adds each batch with one statement, one row per distinct
-- (day, region, purpose) in key order, in the batch's transaction.
CREATE TABLE daily_verifications (
    day DATE NOT NULL,
    region INTEGER NOT NULL CHECK (region = 0 OR region BETWEEN 100000 AND 999999),
    purpose TEXT NOT NULL,
    valid BIGINT NOT NULL CHECK (valid >= 0),
    not_valid BIGINT NOT NULL CHECK (not_valid >= 0),
    CONSTRAINT daily_verifications_pkey PRIMARY KEY (day, region, purpose)
);

-- One region's days without reading every region's rows.
CREATE INDEX daily_verifications_region_day ON daily_verifications (region, day);

-- Credentials issued per day (China Standard Time of issued_at) and licence region, and how many of them were
-- their licence's first; insert_credential adds one in its transaction.
CREATE TABLE daily_claims (
    day DATE NOT NULL,
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    claims BIGINT NOT NULL CHECK (claims >= 0),
    first_claims BIGINT NOT NULL CHECK (first_claims >= 0 AND first_claims <= claims),
    CONSTRAINT daily_claims_pkey PRIMARY KEY (day, region)
);

CREATE INDEX daily_claims_region_day ON daily_claims (region, day);

-- How many licences of each region have ever been claimed (have at least one credential): region_counts reports
-- it as claimed. insert_credential adds one on a licence's first credential.
CREATE TABLE region_claims (
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    claimed_licences BIGINT NOT NULL CHECK (claimed_licences >= 0),
    CONSTRAINT region_claims_pkey PRIMARY KEY (region)
);

-- Existing credentials count as claims, so the rollups start consistent with the credentials already issued.
-- Their day is that of issued_at in UTC plus eight hours (a fixed offset: a zone name such as '+08:00' would be
-- read with the POSIX sign, west of Greenwich).
INSERT INTO daily_claims (day, region, claims, first_claims)
SELECT (c.issued_at AT TIME ZONE 'UTC' + interval '8 hours')::date, l.region, count(*),
       count(*) FILTER (WHERE c.id = (SELECT min(f.id) FROM credentials f WHERE f.file_number = c.file_number))
FROM credentials c JOIN licences l ON l.file_number = c.file_number
GROUP BY 1, 2;

INSERT INTO region_claims (region, claimed_licences)
SELECT l.region, count(DISTINCT c.file_number)
FROM credentials c JOIN licences l ON l.file_number = c.file_number
GROUP BY l.region;
