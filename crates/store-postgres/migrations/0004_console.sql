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
-- (the licence's) when known. The store checks organisation and licence for a whole batch before it writes.
-- organisation_id, api_key_id, user_id and file_number reference organisations, api_keys, console_users and
-- licences as in edl-store-sqlite, enforced by the statement-level triggers below rather than FOREIGN KEY
-- constraints: declared foreign keys run one query per row and constraint, which cost about 40 % of
-- record_verifications' throughput (measured in docs/decisions/storage.md).
CREATE TABLE verifications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    -- References organisations (id); enforced by verifications_check_references.
    organisation_id BIGINT NOT NULL,
    -- References api_keys (id); enforced by verifications_check_references.
    api_key_id BIGINT,
    -- References console_users (id); enforced by verifications_check_references.
    user_id BIGINT,
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    channel TEXT NOT NULL CHECK (channel IN ('api', 'scanner')),
    result TEXT NOT NULL CHECK (result IN ('valid', 'not_valid')),
    -- References licences (file_number); enforced by verifications_check_references.
    file_number TEXT COLLATE "C",
    region INTEGER CHECK (region IS NULL OR region BETWEEN 100000 AND 999999)
);

-- An organisation's verifications, newest first.
CREATE INDEX verifications_organisation_id_at ON verifications (organisation_id, at, id);

-- Checks each INSERT statement's rows with one pass per column over the distinct ids of its transition table
-- (a batch names one organisation and a few keys or users) and one indexed lookup per distinct id. Like a foreign
-- key it locks the referenced organisations, API keys and console users FOR KEY SHARE, so a concurrent DELETE
-- waits for the inserting transaction and then sees its rows. Licences are looked up without a lock: the store
-- writes a check event (whose declared foreign key locks the licence) for every verification that names one, and
-- licences are never deleted. Violations raise SQLSTATE 23503 foreign_key_violation with the constraint name a
-- foreign key would have.
CREATE FUNCTION verifications_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids BIGINT[];
    locked BIGINT;
BEGIN
    SELECT array_agg(DISTINCT organisation_id) INTO ids FROM new_verifications;
    SELECT count(*) INTO locked FROM (
        SELECT id FROM organisations WHERE id = ANY (ids) FOR KEY SHARE
    ) AS referenced;
    IF locked <> coalesce(cardinality(ids), 0) THEN
        RAISE EXCEPTION 'insert on table "verifications" violates foreign key constraint "verifications_organisation_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'verifications', COLUMN = 'organisation_id',
                CONSTRAINT = 'verifications_organisation_id_fkey';
    END IF;
    SELECT array_agg(DISTINCT api_key_id) INTO ids FROM new_verifications WHERE api_key_id IS NOT NULL;
    SELECT count(*) INTO locked FROM (
        SELECT id FROM api_keys WHERE id = ANY (ids) FOR KEY SHARE
    ) AS referenced;
    IF locked <> coalesce(cardinality(ids), 0) THEN
        RAISE EXCEPTION 'insert on table "verifications" violates foreign key constraint "verifications_api_key_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'verifications', COLUMN = 'api_key_id',
                CONSTRAINT = 'verifications_api_key_id_fkey';
    END IF;
    SELECT array_agg(DISTINCT user_id) INTO ids FROM new_verifications WHERE user_id IS NOT NULL;
    SELECT count(*) INTO locked FROM (
        SELECT id FROM console_users WHERE id = ANY (ids) FOR KEY SHARE
    ) AS referenced;
    IF locked <> coalesce(cardinality(ids), 0) THEN
        RAISE EXCEPTION 'insert on table "verifications" violates foreign key constraint "verifications_user_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'verifications', COLUMN = 'user_id',
                CONSTRAINT = 'verifications_user_id_fkey';
    END IF;
    IF EXISTS (
        SELECT 1 FROM (SELECT DISTINCT file_number FROM new_verifications WHERE file_number IS NOT NULL) AS n
        WHERE NOT EXISTS (SELECT 1 FROM licences l WHERE l.file_number = n.file_number)
    ) THEN
        RAISE EXCEPTION 'insert on table "verifications" violates foreign key constraint "verifications_file_number_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'verifications', COLUMN = 'file_number',
                CONSTRAINT = 'verifications_file_number_fkey';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER verifications_references_on_insert AFTER INSERT ON verifications
    REFERENCING NEW TABLE AS new_verifications
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_references();

-- The referenced side: an organisation, API key or console user that a verification names cannot be deleted or
-- truncated (keys are revoked and users disabled instead). Deleting an organisation uses the audit's index;
-- api_key_id and user_id have none (the audit is written thousands of times a second and read by organisation),
-- so deleting a key or user scans the audit.
CREATE FUNCTION verifications_check_unreferenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Separate branches: a TRUNCATE trigger has no transition table to plan a query on.
    IF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT 1 FROM verifications) THEN
            RAISE EXCEPTION 'cannot truncate table "%": verifications reference it', TG_TABLE_NAME
                USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME;
        END IF;
    ELSIF TG_TABLE_NAME = 'organisations' THEN
        IF EXISTS (SELECT 1 FROM old_rows o JOIN verifications v ON v.organisation_id = o.id) THEN
            RAISE EXCEPTION 'update or delete on table "organisations" violates foreign key constraint "verifications_organisation_id_fkey" on table "verifications"'
                USING ERRCODE = 'foreign_key_violation', TABLE = 'organisations',
                    CONSTRAINT = 'verifications_organisation_id_fkey';
        END IF;
    ELSIF TG_TABLE_NAME = 'api_keys' THEN
        IF EXISTS (SELECT 1 FROM old_rows o JOIN verifications v ON v.api_key_id = o.id) THEN
            RAISE EXCEPTION 'update or delete on table "api_keys" violates foreign key constraint "verifications_api_key_id_fkey" on table "verifications"'
                USING ERRCODE = 'foreign_key_violation', TABLE = 'api_keys',
                    CONSTRAINT = 'verifications_api_key_id_fkey';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN verifications v ON v.user_id = o.id) THEN
        RAISE EXCEPTION 'update or delete on table "console_users" violates foreign key constraint "verifications_user_id_fkey" on table "verifications"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'console_users',
                CONSTRAINT = 'verifications_user_id_fkey';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER organisations_referenced_on_delete AFTER DELETE ON organisations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_unreferenced();

CREATE TRIGGER organisations_referenced_on_truncate BEFORE TRUNCATE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_unreferenced();

CREATE TRIGGER api_keys_referenced_on_delete AFTER DELETE ON api_keys
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_unreferenced();

CREATE TRIGGER api_keys_referenced_on_truncate BEFORE TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_unreferenced();

CREATE TRIGGER console_users_referenced_on_delete AFTER DELETE ON console_users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_unreferenced();

CREATE TRIGGER console_users_referenced_on_truncate BEFORE TRUNCATE ON console_users
    FOR EACH STATEMENT EXECUTE FUNCTION verifications_check_unreferenced();

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
