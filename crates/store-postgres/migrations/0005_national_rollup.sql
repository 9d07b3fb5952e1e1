-- The national adoption dashboard (issue 7): verifications per day (China Standard Time) and purpose over every
-- region, so that a year of the national view reads 365 × purposes rows instead of summing one row per region.
-- record_verifications adds each batch to it with one statement, one row per distinct (day, purpose) in key order
-- (so concurrent writers take the row locks in the same order), in the same transaction as the audit rows and
-- daily_verifications. It always equals daily_verifications summed over region.
-- edl-store-sqlite has the same table under the same version number.
CREATE TABLE national_daily_verifications (
    day DATE NOT NULL,
    purpose TEXT NOT NULL,
    valid BIGINT NOT NULL CHECK (valid >= 0),
    not_valid BIGINT NOT NULL CHECK (not_valid >= 0),
    CONSTRAINT national_daily_verifications_pkey PRIMARY KEY (day, purpose)
);

-- Start from what the regional rollup already counts.
INSERT INTO national_daily_verifications (day, purpose, valid, not_valid)
SELECT day, purpose, sum(valid), sum(not_valid)
FROM daily_verifications
GROUP BY day, purpose;
