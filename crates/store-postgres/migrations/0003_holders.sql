-- The holder's web wallet (issue 6): accounts bound to a licence, login sessions, one-time claim challenges,
-- the checks of each licence ("who checked my licence") and shares.
-- The same tables as edl-store-sqlite's 0003_holders.sql under the same version number; see
-- docs/decisions/storage.md (Holder accounts).
-- Session tokens, share-link tokens and claim nonces are stored only as their SHA-256 (32-byte BYTEA): whoever
-- reads the database or a backup cannot log in, open a share or answer a challenge with what is stored.
-- Unique constraints are named, because the store maps the names to backend-independent conflicts.

-- One account per licence and one per 证号: real-name registration binds a holder to one registry licence.
-- citizen_id is the licence's 证号 (the store inserts only when the pair matches a stored licence).
-- password_hash is an Argon2id PHC string, never a password.
CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    citizen_id TEXT COLLATE "C" NOT NULL CHECK (length(citizen_id) = 18),
    file_number TEXT COLLATE "C" NOT NULL REFERENCES licences (file_number),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT accounts_citizen_id_key UNIQUE (citizen_id),
    CONSTRAINT accounts_file_number_key UNIQUE (file_number)
);

-- Login sessions, keyed by the SHA-256 of the session cookie's token. A session is valid while
-- now < expires_at; expired rows are removed by delete_expired_sessions (hence the index on expires_at).
CREATE TABLE sessions (
    token_hash BYTEA NOT NULL CHECK (octet_length(token_hash) = 32),
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL CHECK (length(csrf_token) >= 16),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT sessions_pkey PRIMARY KEY (token_hash),
    CHECK (expires_at > created_at)
);

CREATE INDEX sessions_account_id ON sessions (account_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Claim (申领) challenges: the SHA-256 of a nonce the holder's device key signs to prove possession. Used at most
-- once: consume_claim_challenge sets used_at with one UPDATE … WHERE used_at IS NULL AND expires_at > now; a
-- concurrent UPDATE of the same row waits for the first to commit, re-checks the condition and changes nothing.
CREATE TABLE claim_challenges (
    nonce_hash BYTEA NOT NULL CHECK (octet_length(nonce_hash) = 32),
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    CONSTRAINT claim_challenges_pkey PRIMARY KEY (nonce_hash)
);

CREATE INDEX claim_challenges_account_id ON claim_challenges (account_id);

-- Every online verification of a licence and every opening of a share, for the holder to read, newest first.
-- verifier is an organisation's name or 'share link', never a person's data.
CREATE TABLE check_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_number TEXT COLLATE "C" NOT NULL REFERENCES licences (file_number),
    at TIMESTAMPTZ NOT NULL,
    verifier TEXT NOT NULL CHECK (verifier <> ''),
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    channel TEXT NOT NULL CHECK (channel <> ''),
    result TEXT NOT NULL CHECK (result IN ('valid', 'not_valid'))
);

CREATE INDEX check_events_file_number_at ON check_events (file_number, at);

-- Shares (分享): a purpose-bound, time-limited copy of the account's own licence, opened by a link whose token's
-- SHA-256 is token_hash. Refused from expires_at on, or once withdrawn_at is set.
CREATE TABLE shares (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA NOT NULL CHECK (octet_length(token_hash) = 32),
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    file_number TEXT COLLATE "C" NOT NULL REFERENCES licences (file_number),
    purpose TEXT NOT NULL CHECK (purpose <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    CONSTRAINT shares_token_hash_key UNIQUE (token_hash),
    CHECK (expires_at > created_at)
);

CREATE INDEX shares_account_id_created_at ON shares (account_id, created_at);
