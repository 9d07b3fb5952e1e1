-- The licence registry: issuing authorities, licences with import provenance, their append-only history,
-- import sources and the rollout schedule.
-- The same tables and columns as edl-store-sqlite's 0001_registry.sql under the same version number, with PostgreSQL
-- types: DATE for dates, TIMESTAMPTZ for instants, BYTEA for hashes, BIGINT identity ids, INTEGER GB/T 2260 region codes.
-- Identifier-like text columns use the "C" collation: they hold ASCII codes, and byte order makes the
-- primary-key and index comparisons cheap during bulk import.
-- One difference in kind: licences' references to authorities and imports are enforced by statement-level triggers
-- rather than FOREIGN KEY constraints, for bulk-import speed (see the comment above licences_check_references).

-- 发证机关. The name is unique: one name belongs to one region.
CREATE TABLE authorities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    CONSTRAINT authorities_name_key UNIQUE (name)
);

-- One row per imported registry file, identified by the SHA-256 of its bytes.
CREATE TABLE imports (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_sha256 BYTEA NOT NULL CHECK (octet_length(file_sha256) = 32),
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    inserted BIGINT NOT NULL DEFAULT 0 CHECK (inserted >= 0),
    unchanged BIGINT NOT NULL DEFAULT 0 CHECK (unchanged >= 0),
    rejected BIGINT NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    CONSTRAINT imports_file_sha256_key UNIQUE (file_sha256)
);

-- One row per licence, keyed by 档案编号 (file_number). Text columns hold the domain types' canonical forms.
-- region is the issuing authority's region, copied onto the row so the table can be split by region.
-- import_* is the provenance of an imported row (all NULL for a row inserted directly).
CREATE TABLE licences (
    file_number TEXT COLLATE "C" NOT NULL CHECK (length(file_number) = 12),
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    citizen_id TEXT COLLATE "C" NOT NULL CHECK (length(citizen_id) = 18),
    name TEXT NOT NULL,
    sex SMALLINT NOT NULL CHECK (sex IN (1, 2)),
    nationality TEXT NOT NULL,
    birth_date DATE NOT NULL,
    address TEXT NOT NULL,
    first_issue DATE NOT NULL,
    classes TEXT NOT NULL,
    valid_from DATE NOT NULL,
    -- NULL means 长期 (indefinite).
    valid_until DATE,
    -- References authorities (id); enforced by the statement-level triggers below.
    authority_id BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    points SMALLINT NOT NULL CHECK (points >= 0),
    points_cycle_start DATE NOT NULL,
    phone TEXT,
    edition INTEGER NOT NULL CHECK (edition >= 1),
    -- Optimistic concurrency: every update checks and increments it.
    version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1),
    -- References imports (id); enforced by the statement-level triggers below.
    import_source_id BIGINT,
    import_line BIGINT,
    import_digest BYTEA CHECK (import_digest IS NULL OR octet_length(import_digest) = 16),
    CONSTRAINT licences_pkey PRIMARY KEY (file_number),
    CHECK ((import_source_id IS NULL) = (import_line IS NULL)),
    CHECK ((import_source_id IS NULL) = (import_digest IS NULL))
);

CREATE INDEX licences_citizen_id ON licences (citizen_id);

-- How many licences each (region, status) pair has: what region_counts reads, instead of scanning licences.
-- The store keeps it in the transaction that changes licences: import_batch adds the pairs of the rows it
-- inserted, insert_licence adds one, update_licence moves one when region or status changes. Rows are never
-- deleted (a pair whose licences all moved away keeps 0). It can be rebuilt from licences with
-- TRUNCATE region_status_counts;
-- INSERT INTO region_status_counts SELECT region, status, count(*) FROM licences GROUP BY region, status;
CREATE TABLE region_status_counts (
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    status TEXT COLLATE "C" NOT NULL,
    licences BIGINT NOT NULL,
    CONSTRAINT region_status_counts_pkey PRIMARY KEY (region, status)
);

-- licences.authority_id references authorities (id) and licences.import_source_id references imports (id), as in
-- edl-store-sqlite. They are not FOREIGN KEY constraints because PostgreSQL checks those with one query per row,
-- which made a bulk import about 40 % slower (measured in docs/decisions/storage.md); these triggers check each
-- statement's rows with one pass over its transition table and one indexed lookup per distinct id.
-- Like a foreign key they lock the referenced rows FOR KEY SHARE, so a concurrent DELETE of an authority or import
-- waits for the inserting transaction and then sees its licences; deleting, renumbering or truncating a
-- referenced authority or import fails. Violations raise SQLSTATE 23503 foreign_key_violation with the
-- constraint name a foreign key would have.
CREATE FUNCTION licences_check_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    authority_ids BIGINT[];
    import_ids BIGINT[];
    locked BIGINT;
BEGIN
    -- One pass: hash the few distinct (authority, import) pairs, then collect each column's distinct ids.
    SELECT array_agg(DISTINCT authority_id),
           array_agg(DISTINCT import_source_id) FILTER (WHERE import_source_id IS NOT NULL)
        INTO authority_ids, import_ids
        FROM (SELECT DISTINCT authority_id, import_source_id FROM new_licences) AS pairs;
    SELECT count(*) INTO locked FROM (
        SELECT id FROM authorities WHERE id = ANY (authority_ids) FOR KEY SHARE
    ) AS referenced;
    IF locked <> coalesce(cardinality(authority_ids), 0) THEN
        RAISE EXCEPTION 'insert or update on table "licences" violates foreign key constraint "licences_authority_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'licences', COLUMN = 'authority_id',
                CONSTRAINT = 'licences_authority_id_fkey';
    END IF;
    SELECT count(*) INTO locked FROM (
        SELECT id FROM imports WHERE id = ANY (import_ids) FOR KEY SHARE
    ) AS referenced;
    IF locked <> coalesce(cardinality(import_ids), 0) THEN
        RAISE EXCEPTION 'insert or update on table "licences" violates foreign key constraint "licences_import_source_id_fkey"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'licences', COLUMN = 'import_source_id',
                CONSTRAINT = 'licences_import_source_id_fkey';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER licences_references_on_insert AFTER INSERT ON licences
    REFERENCING NEW TABLE AS new_licences
    FOR EACH STATEMENT EXECUTE FUNCTION licences_check_references();

CREATE TRIGGER licences_references_on_update AFTER UPDATE ON licences
    REFERENCING NEW TABLE AS new_licences
    FOR EACH STATEMENT EXECUTE FUNCTION licences_check_references();

-- The referenced side: ids never change, and a row some licence references cannot be deleted or truncated.
CREATE FUNCTION keep_referenced_id() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id THEN
        RAISE EXCEPTION 'the id of table "%" cannot change: licences may reference it', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'id';
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION authorities_check_unreferenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Separate branches: a TRUNCATE trigger has no transition table to plan a query on.
    IF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT 1 FROM licences) THEN
            RAISE EXCEPTION 'cannot truncate table "authorities": licences reference it'
                USING ERRCODE = 'foreign_key_violation', TABLE = 'authorities', CONSTRAINT = 'licences_authority_id_fkey';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN licences l ON l.authority_id = o.id) THEN
        RAISE EXCEPTION 'update or delete on table "authorities" violates foreign key constraint "licences_authority_id_fkey" on table "licences"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'authorities', CONSTRAINT = 'licences_authority_id_fkey';
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION imports_check_unreferenced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Separate branches: a TRUNCATE trigger has no transition table to plan a query on.
    IF TG_OP = 'TRUNCATE' THEN
        IF EXISTS (SELECT 1 FROM licences WHERE import_source_id IS NOT NULL) THEN
            RAISE EXCEPTION 'cannot truncate table "imports": licences reference it'
                USING ERRCODE = 'foreign_key_violation', TABLE = 'imports', CONSTRAINT = 'licences_import_source_id_fkey';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM old_rows o JOIN licences l ON l.import_source_id = o.id) THEN
        RAISE EXCEPTION 'update or delete on table "imports" violates foreign key constraint "licences_import_source_id_fkey" on table "licences"'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'imports', CONSTRAINT = 'licences_import_source_id_fkey';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER authorities_keep_id BEFORE UPDATE OF id ON authorities
    FOR EACH ROW EXECUTE FUNCTION keep_referenced_id();

CREATE TRIGGER authorities_referenced_on_delete AFTER DELETE ON authorities
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION authorities_check_unreferenced();

CREATE TRIGGER authorities_referenced_on_truncate BEFORE TRUNCATE ON authorities
    FOR EACH STATEMENT EXECUTE FUNCTION authorities_check_unreferenced();

CREATE TRIGGER imports_keep_id BEFORE UPDATE OF id ON imports
    FOR EACH ROW EXECUTE FUNCTION keep_referenced_id();

CREATE TRIGGER imports_referenced_on_delete AFTER DELETE ON imports
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION imports_check_unreferenced();

CREATE TRIGGER imports_referenced_on_truncate BEFORE TRUNCATE ON imports
    FOR EACH STATEMENT EXECUTE FUNCTION imports_check_unreferenced();

-- The change log of each licence. Append-only: the triggers below make UPDATE, DELETE and TRUNCATE fail.
-- before/after are short summaries without personal data.
CREATE TABLE licence_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    file_number TEXT COLLATE "C" NOT NULL REFERENCES licences (file_number),
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('status_changed', 'points_added', 'renewed')),
    before TEXT NOT NULL,
    after TEXT NOT NULL
);

CREATE INDEX licence_history_file_number ON licence_history (file_number, id);

-- Statement-level, so even a statement that matches no row is refused.
CREATE FUNCTION licence_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'licence_history is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER licence_history_no_update BEFORE UPDATE ON licence_history
    FOR EACH STATEMENT EXECUTE FUNCTION licence_history_append_only();

CREATE TRIGGER licence_history_no_delete BEFORE DELETE ON licence_history
    FOR EACH STATEMENT EXECUTE FUNCTION licence_history_append_only();

CREATE TRIGGER licence_history_no_truncate BEFORE TRUNCATE ON licence_history
    FOR EACH STATEMENT EXECUTE FUNCTION licence_history_append_only();

-- When electronic licences are enabled, per region (province, prefecture or county).
CREATE TABLE rollout (
    region INTEGER NOT NULL CHECK (region BETWEEN 100000 AND 999999),
    enabled_from DATE NOT NULL,
    phase TEXT NOT NULL,
    CONSTRAINT rollout_pkey PRIMARY KEY (region)
);
