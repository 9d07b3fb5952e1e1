-- The holder's web wallet (issue 6): accounts bound to a licence, login sessions, one-time claim challenges,
-- the checks of each licence ("who checked my licence") and shares.
-- edl-store-postgres has the same tables under the same version number; see docs/decisions/storage.md
-- (Holder accounts).
-- Session tokens, share-link tokens and claim nonces are stored only as their SHA-256 (32-byte BLOBs): whoever
-- reads the database or a backup cannot log in, open a share or answer a challenge with what is stored.
-- Instants in these tables are RFC 3339 text in UTC with exactly nine fractional digits
-- ('2025-03-01T08:00:00.000000000Z'): fixed width, so comparing and sorting the text compares the instants,
-- which the expiry conditions and the newest-first orders below rely on.

-- One account per licence and one per 证号: real-name registration binds a holder to one registry licence.
-- citizen_id is the licence's 证号 (the store inserts only when the pair matches a stored licence).
-- password_hash is an Argon2id PHC string, never a password.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    citizen_id TEXT NOT NULL UNIQUE CHECK (length(citizen_id) = 18),
    file_number TEXT NOT NULL UNIQUE REFERENCES licences (file_number),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at TEXT NOT NULL CHECK (length(created_at) = 30)
) STRICT;

-- Login sessions, keyed by the SHA-256 of the session cookie's token. A session is valid while
-- now < expires_at; expired rows are removed by delete_expired_sessions (hence the index on expires_at).
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY CHECK (length(token_hash) = 32),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL CHECK (length(csrf_token) >= 16),
    created_at TEXT NOT NULL CHECK (length(created_at) = 30),
    expires_at TEXT NOT NULL CHECK (length(expires_at) = 30),
    CHECK (expires_at > created_at)
) STRICT, WITHOUT ROWID;

CREATE INDEX sessions_account_id ON sessions (account_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Claim (申领) challenges: the SHA-256 of a nonce the holder's device key signs to prove possession. Used at most
-- once: consume_claim_challenge sets used_at with one UPDATE … WHERE used_at IS NULL AND expires_at > now, so of
-- concurrent attempts only one changes the row.
CREATE TABLE claim_challenges (
    nonce_hash BLOB PRIMARY KEY CHECK (length(nonce_hash) = 32),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL CHECK (length(expires_at) = 30),
    used_at TEXT CHECK (used_at IS NULL OR length(used_at) = 30)
) STRICT, WITHOUT ROWID;

CREATE INDEX claim_challenges_account_id ON claim_challenges (account_id);

-- Every online verification of a licence and every opening of a share, for the holder to read, newest first.
-- verifier is an organisation's name or 'share link', never a person's data.
CREATE TABLE check_events (
    id INTEGER PRIMARY KEY,
    file_number TEXT NOT NULL REFERENCES licences (file_number),
    at TEXT NOT NULL CHECK (length(at) = 30),
    verifier TEXT NOT NULL CHECK (verifier <> ''),
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    channel TEXT NOT NULL CHECK (channel <> ''),
    result TEXT NOT NULL CHECK (result IN ('valid', 'not_valid'))
) STRICT;

CREATE INDEX check_events_file_number_at ON check_events (file_number, at);

-- Shares (分享): a purpose-bound, time-limited copy of the account's own licence, opened by a link whose token's
-- SHA-256 is token_hash. Refused from expires_at on, or once withdrawn_at is set.
CREATE TABLE shares (
    id INTEGER PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_number TEXT NOT NULL REFERENCES licences (file_number),
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    created_at TEXT NOT NULL CHECK (length(created_at) = 30),
    expires_at TEXT NOT NULL CHECK (length(expires_at) = 30),
    withdrawn_at TEXT CHECK (withdrawn_at IS NULL OR length(withdrawn_at) = 30),
    CHECK (expires_at > created_at)
) STRICT;

CREATE INDEX shares_account_id_created_at ON shares (account_id, created_at);
