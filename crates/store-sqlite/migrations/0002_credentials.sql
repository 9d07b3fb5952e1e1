-- Credentials issued to holder devices and their places in the issuers' status lists.
-- See docs/decisions/storage.md (Credentials) and docs/decisions/mdoc.md (status lists).

-- One row per issued credential (an mdoc bound to one device key). status_index is the credential's
-- entry in the status list of its issuer's region; indexes are allocated once and never reused.
CREATE TABLE credentials (
    id INTEGER PRIMARY KEY,
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    status_index INTEGER NOT NULL CHECK (status_index >= 0),
    file_number TEXT NOT NULL REFERENCES licences (file_number),
    edition INTEGER NOT NULL CHECK (edition >= 1),
    device_key_id TEXT NOT NULL,
    issued_at TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    withdrawn_at TEXT,
    UNIQUE (region, status_index)
) STRICT;

CREATE INDEX credentials_file_number ON credentials (file_number);

-- The next free status-list index of each region.
CREATE TABLE status_list_counters (
    region INTEGER PRIMARY KEY CHECK (region BETWEEN 100000 AND 999999),
    next_index INTEGER NOT NULL CHECK (next_index >= 0)
) STRICT;

-- Finds the newest history entry of a region's licences without a scan.
CREATE INDEX licence_history_region_at ON licence_history (region, at);
