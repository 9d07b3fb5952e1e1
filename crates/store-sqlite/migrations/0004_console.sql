-- The operator console (issue 7): console users and their sessions, verifier organisations and their API keys,
-- the append-only verification audit, and the daily rollups the dashboard reads instead of scanning licences or
-- the audit.
-- edl-store-postgres has the same tables under the same version number; see docs/decisions/storage.md
-- (Operator console).
-- Session tokens and API keys are stored only as their SHA-256 (32-byte BLOBs); passwords as Argon2id PHC strings.
-- Instants are RFC 3339 text in UTC with exactly nine fractional digits, as in 0003_holders.sql: fixed width, so
-- text order is time order. Days are 'YYYY-MM-DD', the calendar day in China Standard Time (UTC+08:00) of the
-- instant counted.

-- Verifier organisations (rental companies, insurers, police units …). purposes is the space-separated list of
-- purposes the organisation may verify for (each without whitespace; the store checks).
CREATE TABLE organisations (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (name <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    purposes TEXT NOT NULL,
    created_at TEXT NOT NULL CHECK (length(created_at) = 30)
) STRICT;

-- Console users. The role decides the scope: an operator or auditor works for one authority, a verifier for one
-- organisation, the platform for neither (console_role_scope). password_hash is an Argon2id PHC string.
CREATE TABLE console_users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    role TEXT NOT NULL CHECK (role IN ('platform', 'operator', 'auditor', 'verifier')),
    authority_id INTEGER REFERENCES authorities (id),
    organisation_id INTEGER REFERENCES organisations (id),
    created_at TEXT NOT NULL CHECK (length(created_at) = 30),
    disabled_at TEXT CHECK (disabled_at IS NULL OR length(disabled_at) = 30),
    CONSTRAINT console_role_scope CHECK (
        (role = 'platform' AND authority_id IS NULL AND organisation_id IS NULL)
        OR (role IN ('operator', 'auditor') AND authority_id IS NOT NULL AND organisation_id IS NULL)
        OR (role = 'verifier' AND authority_id IS NULL AND organisation_id IS NOT NULL)
    )
) STRICT;

-- Console login sessions, keyed by the SHA-256 of the session cookie's token; valid while now < expires_at.
CREATE TABLE console_sessions (
    token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id INTEGER NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL CHECK (length(csrf_token) >= 16),
    created_at TEXT NOT NULL CHECK (length(created_at) = 30),
    expires_at TEXT NOT NULL CHECK (length(expires_at) = 30),
    CHECK (expires_at > created_at)
) STRICT, WITHOUT ROWID;

CREATE INDEX console_sessions_user_id ON console_sessions (user_id);

-- An organisation's API keys, by the SHA-256 of the key. prefix is the key's first characters, shown to tell keys
-- apart. A revoked key stays (the audit refers to it) and is refused by the caller.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    key_hash BLOB NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    prefix TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TEXT NOT NULL CHECK (length(created_at) = 30),
    revoked_at TEXT CHECK (revoked_at IS NULL OR length(revoked_at) = 30)
) STRICT;

CREATE INDEX api_keys_organisation_id ON api_keys (organisation_id);

-- The audit of every verification through the API or the console's scanner. Append-only: the triggers below make
-- UPDATE and DELETE fail. file_number is set when the presented credential named a stored licence; region (the
-- licence's) when known. The store checks organisation and licence for a whole batch before it writes, and the
-- foreign keys hold anyway.
CREATE TABLE verifications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL CHECK (length(at) = 30),
    organisation_id INTEGER NOT NULL REFERENCES organisations (id),
    api_key_id INTEGER REFERENCES api_keys (id),
    user_id INTEGER REFERENCES console_users (id),
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    channel TEXT NOT NULL CHECK (channel IN ('api', 'scanner')),
    result TEXT NOT NULL CHECK (result IN ('valid', 'not_valid')),
    file_number TEXT REFERENCES licences (file_number),
    region INTEGER CHECK (region IS NULL OR region BETWEEN 100000 AND 999999)
) STRICT;

-- An organisation's verifications, newest first (the rowid, the id, breaks ties in this index).
CREATE INDEX verifications_organisation_id_at ON verifications (organisation_id, at);

CREATE TRIGGER verifications_no_update BEFORE UPDATE ON verifications
BEGIN
    SELECT RAISE(ABORT, 'verifications is append-only');
END;

CREATE TRIGGER verifications_no_delete BEFORE DELETE ON verifications
BEGIN
    SELECT RAISE(ABORT, 'verifications is append-only');
END;

-- Verifications per day (China Standard Time), licence region (0 for none) and purpose, by result: what the
-- dashboard reads. record_verifications adds each batch with one upsert per distinct (day, region, purpose) in the
-- batch's transaction. It can be rebuilt from the audit (days computed in UTC+08:00 as the store does).
CREATE TABLE daily_verifications (
    day TEXT NOT NULL CHECK (length(day) = 10),
    region INTEGER NOT NULL CHECK (region = 0 OR region BETWEEN 100000 AND 999999),
    purpose TEXT NOT NULL,
    valid INTEGER NOT NULL CHECK (valid >= 0),
    not_valid INTEGER NOT NULL CHECK (not_valid >= 0),
    PRIMARY KEY (day, region, purpose)
) STRICT, WITHOUT ROWID;

-- One region's days without reading every region's rows.
CREATE INDEX daily_verifications_region_day ON daily_verifications (region, day);

-- Credentials issued per day (China Standard Time of issued_at) and licence region, and how many of them were
-- their licence's first; insert_credential adds one in its transaction.
CREATE TABLE daily_claims (
    day TEXT NOT NULL CHECK (length(day) = 10),
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    claims INTEGER NOT NULL CHECK (claims >= 0),
    first_claims INTEGER NOT NULL CHECK (first_claims >= 0 AND first_claims <= claims),
    PRIMARY KEY (day, region)
) STRICT, WITHOUT ROWID;

CREATE INDEX daily_claims_region_day ON daily_claims (region, day);

-- How many licences of each region have ever been claimed (have at least one credential): region_counts reports
-- it as claimed. insert_credential adds one on a licence's first credential.
CREATE TABLE region_claims (
    region INTEGER PRIMARY KEY CHECK (region BETWEEN 100000 AND 999999),
    claimed_licences INTEGER NOT NULL CHECK (claimed_licences >= 0)
) STRICT;

-- Existing credentials count as claims, so the rollups start consistent with the credentials already issued.
-- Their days are computed from issued_at in UTC+08:00 (SQLite's datetime modifiers take the RFC 3339 text).
INSERT INTO daily_claims (day, region, claims, first_claims)
SELECT date(c.issued_at, '+8 hours'), l.region, count(*),
       sum(CASE WHEN c.id = (SELECT min(f.id) FROM credentials f WHERE f.file_number = c.file_number) THEN 1 ELSE 0 END)
FROM credentials c JOIN licences l ON l.file_number = c.file_number
GROUP BY date(c.issued_at, '+8 hours'), l.region;

INSERT INTO region_claims (region, claimed_licences)
SELECT l.region, count(DISTINCT c.file_number)
FROM credentials c JOIN licences l ON l.file_number = c.file_number
GROUP BY l.region;
