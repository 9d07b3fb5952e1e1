-- The licence registry: issuing authorities, licences with import provenance, their append-only history,
-- import sources and the rollout schedule.
-- See docs/decisions/storage.md; edl-store-postgres has the same tables under the same version number.
-- Every table is STRICT so a value of the wrong type is an error, not a silent conversion.
-- Dates are TEXT 'YYYY-MM-DD'; instants are TEXT RFC 3339 in UTC; region codes are GB/T 2260 six-digit INTEGERs.

-- 发证机关. The name is unique: one name belongs to one region.
CREATE TABLE authorities (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999)
) STRICT;

-- One row per imported registry file, identified by the SHA-256 of its bytes.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file_sha256 BLOB NOT NULL UNIQUE CHECK (length(file_sha256) = 32),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    inserted INTEGER NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    unchanged INTEGER NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    rejected INTEGER NOT NULL DEFAULT 0 CHECK (rejected >= 0)
) STRICT;

-- One row per licence, keyed by 档案编号 (file_number). Text columns hold the domain types' canonical forms.
-- region is the issuing authority's region, copied onto the row so the table can be split by region.
-- import_* is the provenance of an imported row (all NULL for a row inserted directly).
CREATE TABLE licences (
    id INTEGER PRIMARY KEY,
    file_number TEXT NOT NULL UNIQUE CHECK (length(file_number) = 12),
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    citizen_id TEXT NOT NULL CHECK (length(citizen_id) = 18),
    name TEXT NOT NULL,
    sex INTEGER NOT NULL CHECK (sex IN (1, 2)),
    nationality TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    address TEXT NOT NULL,
    first_issue TEXT NOT NULL,
    classes TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    -- NULL is 长期 (indefinite).
    valid_until TEXT,
    authority_id INTEGER NOT NULL REFERENCES authorities (id),
    status TEXT NOT NULL,
    points INTEGER NOT NULL CHECK (points >= 0),
    points_cycle_start TEXT NOT NULL,
    phone TEXT,
    edition INTEGER NOT NULL CHECK (edition >= 1),
    -- Optimistic concurrency: every update checks and increments it.
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    import_source_id INTEGER REFERENCES imports (id),
    import_line INTEGER,
    import_digest BLOB CHECK (import_digest IS NULL OR length(import_digest) = 16),
    CHECK ((import_source_id IS NULL) = (import_line IS NULL)),
    CHECK ((import_source_id IS NULL) = (import_digest IS NULL))
) STRICT;

CREATE INDEX licences_citizen_id ON licences (citizen_id);

-- How many licences each (region, status) pair has: what region_counts reads, instead of scanning licences.
-- The store keeps it in the transaction that changes licences: import_batch adds the pairs of the rows it
-- inserted, insert_licence adds one, update_licence moves one when region or status changes. Rows are never
-- deleted (a pair whose licences all moved away keeps 0). It can be rebuilt from licences with
-- DELETE FROM region_status_counts;
-- INSERT INTO region_status_counts SELECT region, status, count(*) FROM licences GROUP BY region, status;
CREATE TABLE region_status_counts (
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    status TEXT NOT NULL,
    licences INTEGER NOT NULL,
    PRIMARY KEY (region, status)
) STRICT, WITHOUT ROWID;

-- The change log of each licence. Append-only: the triggers below make UPDATE and DELETE fail.
-- before/after are short summaries without personal data.
CREATE TABLE licence_history (
    id INTEGER PRIMARY KEY,
    file_number TEXT NOT NULL REFERENCES licences (file_number),
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('status_changed', 'points_added', 'renewed')),
    before TEXT NOT NULL,
    after TEXT NOT NULL
) STRICT;

CREATE INDEX licence_history_file_number ON licence_history (file_number, id);

CREATE TRIGGER licence_history_no_update BEFORE UPDATE ON licence_history
BEGIN
    SELECT RAISE(ABORT, 'licence_history is append-only');
END;

CREATE TRIGGER licence_history_no_delete BEFORE DELETE ON licence_history
BEGIN
    SELECT RAISE(ABORT, 'licence_history is append-only');
END;

-- When electronic licences are enabled, per region (province, prefecture or county).
CREATE TABLE rollout (
    region INTEGER PRIMARY KEY CHECK (region BETWEEN 100000 AND 999999),
    enabled_from TEXT NOT NULL,
    phase TEXT NOT NULL
) STRICT;
