-- Credentials issued to holder devices and their places in the issuers' status lists.
-- The same tables as edl-store-sqlite's 0002; see docs/decisions/storage.md (Credentials).

CREATE TABLE credentials (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    status_index BIGINT NOT NULL CHECK (status_index >= 0),
    file_number TEXT COLLATE "C" NOT NULL REFERENCES licences (file_number),
    edition INTEGER NOT NULL CHECK (edition >= 1),
    device_key_id TEXT NOT NULL,
    issued_at TIMESTAMPTZ NOT NULL,
    valid_until TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    CONSTRAINT credentials_region_index UNIQUE (region, status_index)
);

CREATE INDEX credentials_file_number ON credentials (file_number);

CREATE TABLE status_list_counters (
    region INTEGER PRIMARY KEY CHECK (region BETWEEN 100000 AND 999999),
    next_index BIGINT NOT NULL CHECK (next_index >= 0)
);

CREATE INDEX licence_history_region_at ON licence_history (region, at);
