-- The national adoption dashboard (issue 7): verifications per day (China Standard Time) and purpose over every
-- region, so that a year of the national view reads 365 × purposes rows instead of summing one row per region.
-- record_verifications adds each batch to it with one upsert per distinct (day, purpose), in the same transaction
-- as the audit rows and daily_verifications. It always equals daily_verifications summed over region.
-- edl-store-postgres has the same table under the same version number.
CREATE TABLE national_daily_verifications (
    day TEXT NOT NULL CHECK (length(day) = 10),
    purpose TEXT NOT NULL,
    valid INTEGER NOT NULL CHECK (valid >= 0),
    not_valid INTEGER NOT NULL CHECK (not_valid >= 0),
    PRIMARY KEY (day, purpose)
) STRICT, WITHOUT ROWID;

-- Start from what the regional rollup already counts.
INSERT INTO national_daily_verifications (day, purpose, valid, not_valid)
SELECT day, purpose, sum(valid), sum(not_valid)
FROM daily_verifications
GROUP BY day, purpose;
