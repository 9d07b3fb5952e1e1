//! Measures the adoption dashboard's queries on PostgreSQL at national scale: 10 million licences, about 3.3 million
//! credentials and 10 million verification audit records, against the naive queries the rollup tables replace.
//!
//! ```sh
//! nice cargo run --release -p edl-store-postgres --example dashboard_scale -- \
//!     [--licences N] [--verifications N] [--runs N] [--naive-runs N] [--region CODE] [--keep NAME] [--url URL]
//! ```
//!
//! - Creates a fresh database `edl_dash_<random hex>` on the server of `--url` (default
//!   `postgres://postgres@127.0.0.1:5432/postgres`, only used to create and drop it) and applies the migrations with
//!   [`PgStore::connect_with`]. With `--keep NAME` it uses database `NAME` instead, fills it only if an earlier run
//!   did not finish filling it (the database comment records a finished fill), and keeps it at the end; without
//!   `--keep` the database is dropped at the end, also after a failure.
//! - The few reference rows (28 authorities, the rollout schedule, 20 verifier organisations with one API key and
//!   one console user each) are written through the [`Store`] trait. The bulk is plain `INSERT … SELECT` over
//!   `generate_series` with deterministic hashes (`hashint8extended`), on one connection with
//!   `session_replication_role = replica`, so the row-level foreign-key triggers do not fire; every foreign key is
//!   checked afterwards with an anti-join (the run fails if one row is an orphan), and CHECK constraints apply as
//!   always. The three secondary indexes of the filled tables are dropped before the fill and created again from
//!   their own `pg_indexes` definitions after it (primary keys and unique constraints stay in place).
//! - Licences are valid domain licences (the citizen ID check character, birth date, sex, first issue after 18,
//!   points cycle, …; a sample is read back through [`Store::licence`]), spread evenly over the 28 regions of the
//!   September 2021 rollout. About 30 % of them have a credential issued in the 365 days ending [`END_DAY`] (a tenth
//!   of those a second one, a new phone, later), and the verifications are spread evenly over the same 365 days,
//!   5 purposes, 20 organisations, 95 % of them naming a licence.
//! - The rollups (`region_status_counts`, `region_claims`, `daily_claims`, `daily_verifications`,
//!   `national_daily_verifications`) are then built from the base tables with the store's own definitions: the
//!   rebuild statements written in the migrations for `region_status_counts`, `region_claims` and `daily_claims`;
//!   for `daily_verifications` the rule of `record_verifications` (day of `at` in UTC+08:00, region 0 for none,
//!   valid / not valid); and, after it, `national_daily_verifications` with migration 0005's `INSERT … SELECT`
//!   (`daily_verifications` summed over regions per day and purpose). `check_events` (the holder's view, never read
//!   by the dashboard) stays empty.
//! - Then it times, through the [`Store`] methods, what the dashboard's `figures` (routes/console/dashboard.rs)
//!   calls: `region_counts` for every view; `national_daily_claims` and `national_daily_verifications` for the
//!   national view; `daily_claims(Some(region))` and `daily_verifications(Some(region))` for one region's view
//!   (30 and 365 days); and each whole view (those three calls one after the other). It also times
//!   `daily_claims(None)` and `daily_verifications(None)`, the per-region rows the national CSV export reads. It
//!   prints median and max, and `EXPLAIN (ANALYZE, BUFFERS)` of the statements those methods run (custom and
//!   generic plans). For contrast it times the naive queries over the base tables that compute the same figures,
//!   and checks that each method's answer equals its naive query's.
//!
//! A measuring tool, not a test: it asserts nothing about speed.

use std::collections::HashMap;
use std::error::Error;
use std::future::Future;
use std::hash::{BuildHasher as _, RandomState};
use std::str::FromStr as _;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use edl_domain::{
    AuthorityName, FileNumber, IssuingAuthority, RegionCode, RegionLevel, RolloutEntry, regions,
};
use edl_store::backend::fold_region_counts;
use edl_store::{
    ConsoleRole, NationalDailyClaims, NationalDailyVerifications, NewApiKey, NewConsoleUser,
    NewOrganisation, RegionCount, Store, StoreError, rollup_day,
};
use edl_store_postgres::PgStore;
use sqlx::postgres::{PgConnectOptions, PgRow};
use sqlx::{ConnectOptions as _, Connection as _, PgConnection, Row as _};
use time::macros::{date, offset};
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time};

type BoxResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The last day of the generated year (China Standard Time); the periods measured end here.
const END_DAY: Date = date!(2026 - 06 - 30);

/// The 28 cities of the September 2021 rollout (edl-synth's demo authorities); the first three were the pilot.
const REGIONS: [u32; 28] = [
    120100, 510100, 320500, 110100, 130100, 220100, 230600, 310100, 320200, 320900, 321200, 330200,
    330400, 360100, 370100, 370200, 430100, 440100, 440300, 450100, 500100, 510700, 510300, 511300,
    520100, 610100, 640100, 530100,
];

/// Verifier organisations: (kind, purpose, how many).
const ORGANISATION_KINDS: [(&str, &str, usize); 5] = [
    ("police", "roadside", 8),
    ("government", "business_window", 3),
    ("car_rental", "car_rental", 4),
    ("transport", "transport_company", 3),
    ("insurer", "insurer", 2),
];

/// The statements the store runs for the dashboard, copied from `src/store.rs` (`region_counts`, `rollout_in`)
/// and `src/console.rs` (`region_claims`, `daily_claims`, `daily_verifications`, `national_daily_claims`,
/// `national_daily_verifications`).
const SQL_ROLLOUT: &str = "SELECT region, enabled_from, phase FROM rollout ORDER BY region";
const SQL_REGION_STATUS: &str =
    "SELECT region, status, licences FROM region_status_counts WHERE licences <> 0";
const SQL_REGION_CLAIMS: &str = "SELECT region, claimed_licences FROM region_claims";
const SQL_DV_NATIONAL: &str = "SELECT day, region, purpose, valid, not_valid FROM daily_verifications \
     WHERE day BETWEEN $1 AND $2 ORDER BY day, region, purpose";
const SQL_DV_REGION: &str = "SELECT day, region, purpose, valid, not_valid FROM daily_verifications \
     WHERE region = $3 AND day BETWEEN $1 AND $2 ORDER BY day, region, purpose";
const SQL_DC_NATIONAL: &str = "SELECT day, region, claims, first_claims FROM daily_claims \
     WHERE day BETWEEN $1 AND $2 ORDER BY day, region";
const SQL_DC_REGION: &str = "SELECT day, region, claims, first_claims FROM daily_claims \
     WHERE region = $3 AND day BETWEEN $1 AND $2 ORDER BY day, region";
/// `national_daily_verifications` and `national_daily_claims` (the national view's two daily series).
const SQL_NDV: &str = "SELECT day, purpose, valid, not_valid FROM national_daily_verifications \
     WHERE day BETWEEN $1 AND $2 ORDER BY day, purpose";
const SQL_NDC: &str = "SELECT day, sum(claims)::bigint, sum(first_claims)::bigint FROM daily_claims \
     WHERE day BETWEEN $1 AND $2 GROUP BY day ORDER BY day";

/// For comparison only (no store method runs it): the national verifications summed over the regional rollup's
/// rows in SQL at read time, what `national_daily_verifications` would cost without its own table.
const SQL_DV_NATIONAL_SUMMED: &str = "SELECT day, purpose, sum(valid)::bigint, sum(not_valid)::bigint \
     FROM daily_verifications WHERE day BETWEEN $1 AND $2 GROUP BY day, purpose ORDER BY day, purpose";

/// The naive queries: the same figures computed from the base tables at read time. `$1`/`$2` are the instants
/// the period's first day starts and the day after its last day starts (UTC+08:00), `$3` the region.
const NAIVE_VERIFICATIONS: &str = "SELECT (at AT TIME ZONE 'UTC' + interval '8 hours')::date AS day, \
     coalesce(region, 0) AS region, purpose, \
     count(*) FILTER (WHERE result = 'valid') AS valid, count(*) FILTER (WHERE result <> 'valid') AS not_valid \
     FROM verifications WHERE at >= $1 AND at < $2 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
const NAIVE_VERIFICATIONS_REGION: &str = "SELECT (at AT TIME ZONE 'UTC' + interval '8 hours')::date AS day, \
     coalesce(region, 0) AS region, purpose, \
     count(*) FILTER (WHERE result = 'valid') AS valid, count(*) FILTER (WHERE result <> 'valid') AS not_valid \
     FROM verifications WHERE at >= $1 AND at < $2 AND region = $3 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3";
/// Claims from `credentials` alone (its own region column, no join to licences: the cheapest naive form), a
/// first claim being a credential with no earlier one for its licence (by id, as the store counts it).
const NAIVE_CLAIMS: &str = "SELECT day, region, count(*) AS claims, count(*) FILTER (WHERE first) AS first_claims \
     FROM (SELECT (c.issued_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS day, c.region, \
           NOT EXISTS (SELECT 1 FROM credentials p WHERE p.file_number = c.file_number AND p.id < c.id) AS first \
           FROM credentials c WHERE c.issued_at >= $1 AND c.issued_at < $2) AS c \
     GROUP BY 1, 2 ORDER BY 1, 2";
const NAIVE_CLAIMS_REGION: &str = "SELECT day, region, count(*) AS claims, count(*) FILTER (WHERE first) AS first_claims \
     FROM (SELECT (c.issued_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS day, c.region, \
           NOT EXISTS (SELECT 1 FROM credentials p WHERE p.file_number = c.file_number AND p.id < c.id) AS first \
           FROM credentials c WHERE c.issued_at >= $1 AND c.issued_at < $2 AND c.region = $3) AS c \
     GROUP BY 1, 2 ORDER BY 1, 2";
/// The national views' figures from the base tables: verifications per day and purpose over every region (and
/// none), claims per day.
const NAIVE_NATIONAL_VERIFICATIONS: &str = "SELECT (at AT TIME ZONE 'UTC' + interval '8 hours')::date AS day, \
     purpose, \
     count(*) FILTER (WHERE result = 'valid') AS valid, count(*) FILTER (WHERE result <> 'valid') AS not_valid \
     FROM verifications WHERE at >= $1 AND at < $2 GROUP BY 1, 2 ORDER BY 1, 2";
const NAIVE_NATIONAL_CLAIMS: &str = "SELECT day, count(*) AS claims, count(*) FILTER (WHERE first) AS first_claims \
     FROM (SELECT (c.issued_at AT TIME ZONE 'UTC' + interval '8 hours')::date AS day, \
           NOT EXISTS (SELECT 1 FROM credentials p WHERE p.file_number = c.file_number AND p.id < c.id) AS first \
           FROM credentials c WHERE c.issued_at >= $1 AND c.issued_at < $2) AS c \
     GROUP BY 1 ORDER BY 1";
const NAIVE_STATUS_COUNTS: &str =
    "SELECT region, status, count(*) FROM licences GROUP BY region, status";
const NAIVE_CLAIMED: &str =
    "SELECT region, count(DISTINCT file_number) FROM credentials GROUP BY region";

/// The rollups, built as the store would have kept them, in this order. The inner `SELECT`s of the first three are
/// the rebuild statements of the migrations (0001's comment on `region_status_counts`, 0004's initial `daily_claims`
/// and `region_claims`), verbatim; `daily_verifications` follows `record_verifications` (`verification_rollup`,
/// `rollup_day`); `national_daily_verifications`, built from `daily_verifications` once that is filled, is 0005's
/// initial `INSERT … SELECT`, verbatim. The outer `ORDER BY` stores the rows in key order, as a store that adds each
/// day's rows as the days pass has them on disk (a hash aggregate's output order would scatter one day's rows over
/// the whole table).
const BUILD_ROLLUPS: [(&str, &str); 5] = [
    (
        "region_status_counts",
        "INSERT INTO region_status_counts \
         SELECT * FROM (SELECT region, status, count(*) FROM licences GROUP BY region, status) AS r ORDER BY 1, 2",
    ),
    (
        "region_claims",
        "INSERT INTO region_claims (region, claimed_licences) \
         SELECT * FROM (\
         SELECT l.region, count(DISTINCT c.file_number) \
         FROM credentials c JOIN licences l ON l.file_number = c.file_number \
         GROUP BY l.region) AS r ORDER BY 1",
    ),
    (
        "daily_claims",
        "INSERT INTO daily_claims (day, region, claims, first_claims) \
         SELECT * FROM (\
         SELECT (c.issued_at AT TIME ZONE 'UTC' + interval '8 hours')::date, l.region, count(*), \
                count(*) FILTER (WHERE c.id = (SELECT min(f.id) FROM credentials f WHERE f.file_number = c.file_number)) \
         FROM credentials c JOIN licences l ON l.file_number = c.file_number \
         GROUP BY 1, 2) AS r ORDER BY 1, 2",
    ),
    (
        "daily_verifications",
        "INSERT INTO daily_verifications (day, region, purpose, valid, not_valid) \
         SELECT * FROM (\
         SELECT (at AT TIME ZONE 'UTC' + interval '8 hours')::date, coalesce(region, 0), purpose, \
                count(*) FILTER (WHERE result = 'valid'), count(*) FILTER (WHERE result <> 'valid') \
         FROM verifications GROUP BY 1, 2, 3) AS r ORDER BY 1, 2, 3",
    ),
    (
        "national_daily_verifications",
        "INSERT INTO national_daily_verifications (day, purpose, valid, not_valid) \
         SELECT * FROM (\
         SELECT day, purpose, sum(valid), sum(not_valid) \
         FROM daily_verifications \
         GROUP BY day, purpose) AS r ORDER BY 1, 2",
    ),
];

/// One licence per `i` in `[$1, $2)`: region `REGIONS[i % 28]`, file number = the region's four-digit prefix and
/// `i` in eight digits. Every value is a function of `i` (hashes with seeds 1–3).
const FILL_LICENCES: &str = r#"
INSERT INTO licences (file_number, region, citizen_id, name, sex, nationality, birth_date, address, first_issue,
    classes, valid_from, valid_until, authority_id, status, points, points_cycle_start, phone, edition)
WITH g AS (
    SELECT i,
           hashint8extended(i, 1) & 9223372036854775807 AS h1,
           hashint8extended(i, 2) & 9223372036854775807 AS h2,
           hashint8extended(i, 3) & 9223372036854775807 AS h3
    FROM generate_series($1::bigint, $2::bigint - 1) AS i
), p AS (
    SELECT g.*, r.region, r.authority_id, r.region_part, r.place, b.birth, b.ymd, b.part AS birth_part,
           CASE WHEN g.h1 % 2 = 0 THEN 2 * (g.h1 / 2 % 500) + 1 ELSE 2 * (g.h1 / 2 % 499) + 2 END AS seq,
           (b.birth + interval '18 years')::date + 3 AS adult
    FROM g
    JOIN bench_regions r ON r.r = g.i % 28
    JOIN bench_births b ON b.off = g.h1 / 1000 % 18262
), f AS (
    SELECT p.*,
           CASE WHEN extract(day FROM p.adult + (p.h2 % greatest(1, date '2025-12-31' - p.adult))::int) > 28
                THEN p.adult + (p.h2 % greatest(1, date '2025-12-31' - p.adult))::int - 3
                ELSE p.adult + (p.h2 % greatest(1, date '2025-12-31' - p.adult))::int END AS first_issue
    FROM p
), v AS (
    SELECT f.*, f.first_issue + (f.h3 % greatest(1, date '2026-06-30' - f.first_issue))::int AS valid_from
    FROM f
)
SELECT lpad((v.region / 100)::text, 4, '0') || lpad(v.i::text, 8, '0'),
       v.region,
       v.region::text || v.ymd || lpad(v.seq::text, 3, '0')
           || substr('10X98765432',
                     ((v.region_part + v.birth_part + (v.seq / 100) * 8 + (v.seq / 10 % 10) * 4 + (v.seq % 10) * 2) % 11
                      + 1)::int, 1),
       (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','高','林','罗'])[(1 + v.h2 / 7 % 20)::int]
           || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀','霞','平'])[(1 + v.h2 / 140 % 20)::int]
           || CASE WHEN v.h2 / 2800 % 3 = 0 THEN ''
                   ELSE (ARRAY['华','英','玉','兰','桂','文','建','国','红','志','新','春','晓','海','金','宇','子','一','欣','雨'])[(1 + v.h2 / 8400 % 20)::int] END,
       CASE WHEN v.seq % 2 = 1 THEN 1 ELSE 2 END,
       'CHN',
       v.birth,
       v.place || (ARRAY['人民路','解放路','中山路','建设路','和平路','幸福路','文化路','青年路'])[(1 + v.h3 / 11 % 8)::int]
           || (1 + v.h3 / 88 % 300)::text || '号',
       v.first_issue,
       CASE WHEN v.h2 / 200000 % 100 < 70 THEN 'C1' WHEN v.h2 / 200000 % 100 < 85 THEN 'C2'
            WHEN v.h2 / 200000 % 100 < 90 THEN 'B2' WHEN v.h2 / 200000 % 100 < 93 THEN 'A2'
            WHEN v.h2 / 200000 % 100 < 95 THEN 'A1' WHEN v.h2 / 200000 % 100 < 97 THEN 'B1' ELSE 'D' END,
       v.valid_from,
       CASE WHEN v.h3 / 1000 % 10 < 5 THEN (v.valid_from + interval '6 years')::date
            WHEN v.h3 / 1000 % 10 < 9 THEN (v.valid_from + interval '10 years')::date END,
       v.authority_id,
       CASE WHEN v.h3 / 10000 % 1000 < 880 THEN 'A' WHEN v.h3 / 10000 % 1000 < 910 THEN 'B'
            WHEN v.h3 / 10000 % 1000 < 930 THEN 'D' WHEN v.h3 / 10000 % 1000 < 950 THEN 'H'
            WHEN v.h3 / 10000 % 1000 < 960 THEN 'I' WHEN v.h3 / 10000 % 1000 < 970 THEN 'L'
            WHEN v.h3 / 10000 % 1000 < 980 THEN 'E' WHEN v.h3 / 10000 % 1000 < 990 THEN 'G' ELSE 'M' END,
       CASE WHEN v.h2 / 30000000 % 10 < 7 THEN 0 ELSE v.h2 / 300000000 % 12 END,
       (v.first_issue
           + make_interval(years => extract(year FROM age(date '2026-06-30', v.first_issue))::int))::date,
       CASE WHEN v.h1 % 10 < 9 THEN '13' || lpad((v.h2 % 1000000000)::text, 9, '0') END,
       1 + v.h3 / 100000000 % 3
FROM v
"#;

/// Credentials for about 30 % of the licences (33 % of those whose status may be claimed: A, H, I), the first
/// issued at a hashed instant of the 365 days from `$1` to `$2`; a tenth of the claimed licences get a second
/// credential 1 to 60 days later (the first is then withdrawn), if that is still before `$2`. Inserted in
/// `issued_at` order, so ids grow with time and each region's status indexes are allocated 0, 1, 2, … in order, as
/// `insert_credential` does.
const FILL_CREDENTIALS: &str = r#"
INSERT INTO credentials (region, status_index, file_number, edition, device_key_id, issued_at, valid_until,
    withdrawn_at)
WITH claimed AS (
    SELECT l.file_number, l.region, l.edition, x.h,
           $1::timestamptz + make_interval(secs => (x.h / 1000 % 31536000)::double precision) AS first_at
    FROM licences l
    CROSS JOIN LATERAL (SELECT hashint8extended(right(l.file_number, 8)::bigint, 4) & 9223372036854775807 AS h) x
    WHERE l.status IN ('A', 'H', 'I') AND x.h % 1000 < 330
), pairs AS (
    SELECT c.*,
           c.first_at + make_interval(days => (1 + c.h / 100000000000 % 60)::int,
                                     secs => (c.h / 10000000000000 % 86400)::double precision) AS second_at
    FROM claimed c
), creds AS (
    SELECT file_number, region, edition, 1 AS nth, first_at AS issued_at,
           CASE WHEN h / 1000000000 % 10 = 0 AND second_at < $2 THEN second_at END AS withdrawn_at
    FROM pairs
    UNION ALL
    SELECT file_number, region, edition, 2, second_at, NULL
    FROM pairs WHERE h / 1000000000 % 10 = 0 AND second_at < $2
)
SELECT region, row_number() OVER (PARTITION BY region ORDER BY issued_at, file_number, nth) - 1, file_number,
       edition, 'bench-' || file_number || '-' || nth, issued_at, issued_at + interval '1 year', withdrawn_at
FROM creds
ORDER BY issued_at, file_number, nth
"#;

/// Verification `j` in `[$1, $2)` of `$5`: at `$3 + (j + jitter) * $4` seconds (evenly over the year, in id
/// order, as an append-only audit grows), one of the 20 organisations (which fixes the purpose), 70 % through the
/// API and 30 % the scanner, 97 % valid, 95 % naming licence `k` of the `$5` licences.
const FILL_VERIFICATIONS: &str = r#"
INSERT INTO verifications (at, organisation_id, api_key_id, user_id, purpose, channel, result, file_number, region)
SELECT $3::timestamptz + make_interval(secs => (v.j + (v.h % 1000) / 1000.0) * $4::double precision),
       o.id,
       CASE WHEN v.api THEN o.api_key_id END,
       CASE WHEN v.api THEN NULL ELSE o.user_id END,
       o.purpose,
       CASE WHEN v.api THEN 'api' ELSE 'scanner' END,
       CASE WHEN v.h / 20000000 % 100 < 97 THEN 'valid' ELSE 'not_valid' END,
       CASE WHEN v.known THEN lpad((r.region / 100)::text, 4, '0') || lpad(v.k::text, 8, '0') END,
       CASE WHEN v.known THEN r.region END
FROM (
    SELECT a.j, a.h, a.h / 1000 % 20 AS org, a.h / 20000 % 10 < 7 AS api, a.h / 200000 % 100 < 95 AS known,
           a.h / 2000000000 % $5::bigint AS k
    FROM (SELECT j, hashint8extended(j, 11) & 9223372036854775807 AS h
          FROM generate_series($1::bigint, $2::bigint - 1) AS j) a
) v
JOIN bench_orgs o ON o.k = v.org
JOIN bench_regions r ON r.r = v.k % 28
"#;

/// Every foreign key of the filled tables, as an orphan count (the fill skipped the row-level triggers).
const ORPHAN_CHECKS: [(&str, &str); 8] = [
    (
        "licences.authority_id",
        "SELECT count(*) FROM licences l WHERE NOT EXISTS (SELECT 1 FROM authorities a WHERE a.id = l.authority_id)",
    ),
    (
        "licences.import_source_id",
        "SELECT count(*) FROM licences WHERE import_source_id IS NOT NULL",
    ),
    (
        "credentials.file_number",
        "SELECT count(*) FROM credentials c WHERE NOT EXISTS (SELECT 1 FROM licences l WHERE l.file_number = c.file_number)",
    ),
    (
        "verifications.organisation_id",
        "SELECT count(*) FROM verifications v WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.id = v.organisation_id)",
    ),
    (
        "verifications.api_key_id",
        "SELECT count(*) FROM verifications v WHERE v.api_key_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = v.api_key_id)",
    ),
    (
        "verifications.user_id",
        "SELECT count(*) FROM verifications v WHERE v.user_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM console_users u WHERE u.id = v.user_id)",
    ),
    (
        "verifications.file_number",
        "SELECT count(*) FROM verifications v WHERE v.file_number IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM licences l WHERE l.file_number = v.file_number)",
    ),
    (
        "verifications.region = its licence's region",
        "SELECT count(*) FROM verifications v JOIN licences l ON l.file_number = v.file_number \
         WHERE v.region IS DISTINCT FROM l.region",
    ),
];

/// The filled tables whose non-constraint indexes are dropped for the fill and created again after it.
const FILLED_TABLES: [&str; 3] = ["licences", "credentials", "verifications"];

struct Args {
    url: String,
    keep: Option<String>,
    licences: i64,
    verifications: i64,
    runs: usize,
    naive_runs: usize,
    region: RegionCode,
}

fn parse_args() -> BoxResult<Args> {
    let mut args = Args {
        url: "postgres://postgres@127.0.0.1:5432/postgres".to_owned(),
        keep: None,
        licences: 10_000_000,
        verifications: 10_000_000,
        runs: 25,
        naive_runs: 3,
        region: RegionCode::from_u32(120100).ok_or("120100 is a known region")?,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => args.url = value()?,
            "--keep" => args.keep = Some(value()?),
            "--licences" => args.licences = value()?.parse()?,
            "--verifications" => args.verifications = value()?.parse()?,
            "--runs" => args.runs = value()?.parse()?,
            "--naive-runs" => args.naive_runs = value()?.parse()?,
            "--region" => {
                let code: u32 = value()?.parse()?;
                if !REGIONS.contains(&code) {
                    return Err(format!("--region must be one of {REGIONS:?}").into());
                }
                args.region = RegionCode::from_u32(code).ok_or("known region")?;
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if args.licences < 28 || args.licences > 100_000_000 || args.verifications < 1 || args.runs < 1
    {
        return Err("--licences must be 28..=10^8, --verifications and --runs at least 1".into());
    }
    if let Some(name) = &args.keep
        && !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err("--keep NAME: lower-case letters, digits and _ only".into());
    }
    Ok(args)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BoxResult<()> {
    let args = parse_args()?;
    let admin = PgConnectOptions::from_str(&args.url)?.disable_statement_logging();
    let name = args.keep.clone().unwrap_or_else(|| {
        let seed = u64::from(std::process::id())
            ^ SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
        format!("edl_dash_{:016x}", RandomState::new().hash_one(seed))
    });
    let mut admin_conn = PgConnection::connect_with(&admin).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin_conn)
            .await?;
    if !exists {
        sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut admin_conn)
            .await?;
    }
    println!(
        "database {name} ({})",
        if exists { "reused" } else { "created" }
    );
    let db = admin.clone().database(&name);
    let result = run(&args, &name, db).await;
    if args.keep.is_none() {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .execute(&mut admin_conn)
            .await?;
        println!("database {name} dropped");
    } else {
        println!("database {name} kept");
    }
    result
}

async fn run(args: &Args, name: &str, db: PgConnectOptions) -> BoxResult<()> {
    let store = PgStore::connect_with(db.clone()).await?;
    let mut conn = PgConnection::connect_with(&db).await?;
    print_environment(&mut conn).await?;
    let marker = format!(
        "dashboard_scale filled: licences={} verifications={} end={END_DAY}",
        args.licences, args.verifications
    );
    let comment: Option<String> = sqlx::query_scalar(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
    )
    .bind(name)
    .fetch_one(&mut conn)
    .await?;
    if comment.as_deref() == Some(marker.as_str()) {
        println!("already filled ({marker}); skipping the fill");
    } else {
        let licences: i64 = sqlx::query_scalar("SELECT count(*) FROM licences")
            .fetch_one(&mut conn)
            .await?;
        if licences != 0 {
            return Err(format!(
                "database {name} holds {licences} licences but no finished fill of this size: drop it or use another name"
            )
            .into());
        }
        fill(args, &store, &mut conn).await?;
        sqlx::raw_sql(&format!("COMMENT ON DATABASE \"{name}\" IS '{marker}'"))
            .execute(&mut conn)
            .await?;
    }
    print_sizes(&mut conn).await?;
    measure(args, &store, &mut conn).await?;
    store.close().await;
    Ok(())
}

async fn print_environment(conn: &mut PgConnection) -> BoxResult<()> {
    let version: String = sqlx::query_scalar("SELECT version()")
        .fetch_one(&mut *conn)
        .await?;
    println!("server: {version}");
    // current_setting gives the value with its unit as a person reads it (128MB rather than 16384 × 8kB).
    let settings: Vec<(String, String)> = sqlx::query_as(
        "SELECT name::text, current_setting(name) FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', \
         'maintenance_work_mem', 'max_wal_size', 'effective_cache_size', 'max_parallel_workers_per_gather', \
         'jit', 'random_page_cost', 'synchronous_commit', 'plan_cache_mode') ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let line: Vec<String> = settings.iter().map(|(n, s)| format!("{n}={s}")).collect();
    println!("settings: {}", line.join(" "));
    let threads = std::thread::available_parallelism().map_or(0, usize::from);
    println!("client: {threads} hardware threads");
    Ok(())
}

/// A step's wall time, printed as it ends.
struct Step(Instant, &'static str);

impl Step {
    fn start(what: &'static str) -> Step {
        println!("  {what} …");
        Step(Instant::now(), what)
    }

    fn done(self) -> Duration {
        let took = self.0.elapsed();
        println!("  {} took {:.1} s", self.1, took.as_secs_f64());
        took
    }
}

/// The instant day `d` starts in China Standard Time.
fn day_start(d: Date) -> OffsetDateTime {
    PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(offset!(+8))
}

/// ISO 7064 MOD 11-2 weights of the citizen ID's first six digits (the region code).
fn region_part(code: u32) -> i32 {
    const W: [u32; 6] = [7, 9, 10, 5, 8, 4];
    let digits = format!("{code:06}");
    digits
        .bytes()
        .zip(W)
        .map(|(d, w)| (u32::from(d - b'0') * w) as i32)
        .sum()
}

async fn fill(args: &Args, store: &PgStore, conn: &mut PgConnection) -> BoxResult<()> {
    let total = Instant::now();
    let created_at = day_start(END_DAY) - time::Duration::days(400);
    println!(
        "filling: {} licences, {} verifications, year ending {END_DAY}",
        args.licences, args.verifications
    );

    // Reference rows through the store.
    let step =
        Step::start("authorities, rollout, organisations, API keys, console users (Store API)");
    let mut authority_ids = Vec::new();
    let mut places = Vec::new();
    for code in REGIONS {
        let region = RegionCode::from_u32(code).ok_or("known region")?;
        let authority = IssuingAuthority {
            name: AuthorityName::parse(&format!("{}公安局交通管理局", region.full_name()))?,
            region,
        };
        authority_ids.push(store.ensure_authority(&authority).await?.0);
        places.push(region.full_name());
        let (from, phase) = if [120100, 510100, 320500].contains(&code) {
            (date!(2021 - 06 - 01), "pilot")
        } else {
            (date!(2021 - 09 - 01), "28-cities")
        };
        store
            .set_rollout(&RolloutEntry {
                region,
                enabled_from: from,
                phase: phase.to_owned(),
            })
            .await?;
    }
    for province in regions().filter(|r| r.level() == RegionLevel::Province && r.as_u32() < 710000)
    {
        store
            .set_rollout(&RolloutEntry {
                region: province,
                enabled_from: date!(2021 - 12 - 10),
                phase: "nationwide".to_owned(),
            })
            .await?;
    }
    let password_hash =
        "$argon2id$v=19$m=19456,t=2,p=1$ZGFzaGJvYXJkc2NhbGU$bm90IGEgcmVhbCBoYXNoLCBuZXZlciB1c2Vk"
            .to_owned();
    store
        .create_console_user(&NewConsoleUser {
            username: "platform".to_owned(),
            password_hash: password_hash.clone(),
            role: ConsoleRole::Platform,
            authority_id: None,
            organisation_id: None,
            created_at,
        })
        .await?;
    let (mut org_ids, mut org_purposes, mut key_ids, mut user_ids) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (kind, purpose, count) in ORGANISATION_KINDS {
        for n in 1..=count {
            let org = store
                .create_organisation(&NewOrganisation {
                    name: format!("{kind} {n}"),
                    kind: kind.to_owned(),
                    purposes: vec![purpose.to_owned()],
                    created_at,
                })
                .await?;
            let mut key_hash = [0u8; 32];
            key_hash[..8].copy_from_slice(&org.id.to_be_bytes());
            key_hash[8..].fill(0x5a);
            let key = store
                .create_api_key(&NewApiKey {
                    organisation_id: org.id,
                    key_hash,
                    prefix: format!("edlk_{:04}", org.id),
                    label: "dashboard_scale".to_owned(),
                    created_at,
                })
                .await?;
            let user = store
                .create_console_user(&NewConsoleUser {
                    username: format!("verifier-{}", org.id),
                    password_hash: password_hash.clone(),
                    role: ConsoleRole::Verifier,
                    authority_id: None,
                    organisation_id: Some(org.id),
                    created_at,
                })
                .await?;
            org_ids.push(org.id);
            org_purposes.push(purpose.to_owned());
            key_ids.push(key.id);
            user_ids.push(user.id);
        }
    }
    step.done();

    // The fill connection: no row-level FK triggers (checked afterwards), no JIT for the generators, room to sort.
    sqlx::raw_sql(
        "SET session_replication_role = replica; SET synchronous_commit = off; SET jit = off; \
         SET work_mem = '512MB'; SET maintenance_work_mem = '1GB'",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::raw_sql(
        "CREATE TEMP TABLE bench_regions (r INTEGER PRIMARY KEY, region INTEGER, authority_id BIGINT, \
             region_part INTEGER, place TEXT); \
         CREATE TEMP TABLE bench_orgs (k INTEGER PRIMARY KEY, id BIGINT, purpose TEXT, api_key_id BIGINT, \
             user_id BIGINT); \
         CREATE TEMP TABLE bench_births AS \
             SELECT o AS off, d AS birth, to_char(d, 'YYYYMMDD') AS ymd, \
                    substr(to_char(d, 'YYYYMMDD'), 1, 1)::int * 2 + substr(to_char(d, 'YYYYMMDD'), 2, 1)::int * 1 \
                    + substr(to_char(d, 'YYYYMMDD'), 3, 1)::int * 6 + substr(to_char(d, 'YYYYMMDD'), 4, 1)::int * 3 \
                    + substr(to_char(d, 'YYYYMMDD'), 5, 1)::int * 7 + substr(to_char(d, 'YYYYMMDD'), 6, 1)::int * 9 \
                    + substr(to_char(d, 'YYYYMMDD'), 7, 1)::int * 10 + substr(to_char(d, 'YYYYMMDD'), 8, 1)::int * 5 \
                    AS part \
             FROM (SELECT o, date '1950-01-01' + o AS d FROM generate_series(0, 18261) AS o) AS x; \
         ALTER TABLE bench_births ADD PRIMARY KEY (off)",
    )
    .execute(&mut *conn)
    .await?;
    let rs: Vec<i32> = (0..28).collect();
    let region_codes: Vec<i32> = REGIONS.iter().map(|&c| c as i32).collect();
    let parts: Vec<i32> = REGIONS.iter().map(|&c| region_part(c)).collect();
    sqlx::query(
        "INSERT INTO bench_regions SELECT * FROM unnest($1::int[], $2::int[], $3::bigint[], $4::int[], $5::text[])",
    )
    .bind(&rs)
    .bind(&region_codes)
    .bind(&authority_ids)
    .bind(&parts)
    .bind(&places)
    .execute(&mut *conn)
    .await?;
    let ks: Vec<i32> = (0..org_ids.len() as i32).collect();
    sqlx::query(
        "INSERT INTO bench_orgs SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::bigint[], $5::bigint[])",
    )
    .bind(&ks)
    .bind(&org_ids)
    .bind(&org_purposes)
    .bind(&key_ids)
    .bind(&user_ids)
    .execute(&mut *conn)
    .await?;
    sqlx::raw_sql("ANALYZE bench_regions; ANALYZE bench_orgs; ANALYZE bench_births")
        .execute(&mut *conn)
        .await?;

    // Secondary indexes: dropped now, created again from their own definitions after the fill.
    let indexes: Vec<(String, String)> = sqlx::query_as(
        "SELECT i.indexname::text, i.indexdef FROM pg_indexes i \
         WHERE i.schemaname = 'public' AND i.tablename::text = ANY($1) \
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname) ORDER BY 1",
    )
    .bind(&FILLED_TABLES[..])
    .fetch_all(&mut *conn)
    .await?;
    for (index, _) in &indexes {
        sqlx::raw_sql(&format!("DROP INDEX \"{index}\""))
            .execute(&mut *conn)
            .await?;
    }
    println!(
        "  dropped for the fill: {}",
        indexes
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );

    let chunk = 1_000_000i64;
    let step = Step::start("licences");
    let mut lo = 0;
    while lo < args.licences {
        let hi = (lo + chunk).min(args.licences);
        let t = Instant::now();
        sqlx::query(FILL_LICENCES)
            .bind(lo)
            .bind(hi)
            .execute(&mut *conn)
            .await?;
        println!(
            "    licences {lo}..{hi} in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        lo = hi;
    }
    let licences_took = step.done();

    let year_start = day_start(END_DAY - time::Duration::days(364));
    let year_end = day_start(END_DAY + time::Duration::days(1));
    let step = Step::start("credentials");
    let credentials = sqlx::query(FILL_CREDENTIALS)
        .bind(year_start)
        .bind(year_end)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query(
        "INSERT INTO status_list_counters (region, next_index) \
         SELECT region, max(status_index) + 1 FROM credentials GROUP BY region",
    )
    .execute(&mut *conn)
    .await?;
    let credentials_took = step.done();
    println!("    {credentials} credentials");

    let step = Step::start("verifications");
    let seconds_per = 365.0 * 86_400.0 / args.verifications as f64;
    let mut lo = 0;
    while lo < args.verifications {
        let hi = (lo + chunk).min(args.verifications);
        let t = Instant::now();
        sqlx::query(FILL_VERIFICATIONS)
            .bind(lo)
            .bind(hi)
            .bind(year_start)
            .bind(seconds_per)
            .bind(args.licences)
            .execute(&mut *conn)
            .await?;
        println!(
            "    verifications {lo}..{hi} in {:.1} s",
            t.elapsed().as_secs_f64()
        );
        lo = hi;
    }
    let verifications_took = step.done();

    let step = Step::start("secondary indexes");
    for (index, def) in &indexes {
        let t = Instant::now();
        sqlx::raw_sql(def).execute(&mut *conn).await?;
        println!("    {index} in {:.1} s: {def}", t.elapsed().as_secs_f64());
    }
    let indexes_took = step.done();

    // Statistics first: without them the planner runs 0004's first-claim subquery (`SELECT min(f.id) FROM
    // credentials f WHERE f.file_number = c.file_number`) as a walk of credentials_pkey in id order filtering on
    // file_number, once per credential (quadratic; 65,000 credentials took 322 s).
    let step = Step::start("VACUUM (ANALYZE) of the base tables");
    sqlx::raw_sql(
        "VACUUM (ANALYZE) licences, credentials, verifications, status_list_counters, authorities, rollout, \
         organisations, api_keys, console_users",
    )
    .execute(&mut *conn)
    .await?;
    let vacuum_took = step.done();

    let step = Step::start("rollups");
    sqlx::raw_sql(
        "TRUNCATE region_status_counts, region_claims, daily_claims, daily_verifications, \
         national_daily_verifications",
    )
    .execute(&mut *conn)
    .await?;
    for (table, sql) in BUILD_ROLLUPS {
        let t = Instant::now();
        let rows = sqlx::query(sql).execute(&mut *conn).await?.rows_affected();
        println!(
            "    {table}: {rows} rows in {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
    sqlx::raw_sql(
        "VACUUM (ANALYZE) region_status_counts, region_claims, daily_claims, daily_verifications, \
         national_daily_verifications",
    )
    .execute(&mut *conn)
    .await?;
    let rollups_took = step.done();

    let step = Step::start("checks: foreign keys (anti-joins), licences read back, rollup day");
    for (what, sql) in ORPHAN_CHECKS {
        let orphans: i64 = sqlx::query_scalar(sql).fetch_one(&mut *conn).await?;
        if orphans != 0 {
            return Err(format!("{what}: {orphans} rows break the foreign key").into());
        }
    }
    println!(
        "    every foreign key holds (0 orphans in {} checks)",
        ORPHAN_CHECKS.len()
    );
    // Licence i is in region REGIONS[i % 28] with file number (region / 100, four digits) followed by i.
    let sample: Vec<String> = (0..200i64)
        .map(|n| {
            let i = n * (args.licences / 200).max(1) + n % 28;
            let i = i.min(args.licences - 1);
            format!("{:04}{i:08}", REGIONS[(i % 28) as usize] / 100)
        })
        .collect();
    for file_number in &sample {
        let stored = store.licence(&FileNumber::parse(file_number)?).await?;
        if stored.is_none() {
            return Err(format!("licence {file_number} not read back").into());
        }
    }
    println!(
        "    {} sampled licences read back through Store::licence (valid domain licences)",
        sample.len()
    );
    let days: Vec<(OffsetDateTime, Date)> = sqlx::query_as(
        "SELECT at, (at AT TIME ZONE 'UTC' + interval '8 hours')::date FROM verifications \
         WHERE id % 9973 = 0 OR id % 1000003 < 50",
    )
    .fetch_all(&mut *conn)
    .await?;
    if let Some((at, day)) = days.iter().find(|(at, day)| rollup_day(*at) != *day) {
        return Err(format!("SQL day {day} differs from rollup_day({at})").into());
    }
    println!(
        "    SQL day of `at` = edl_store::rollup_day for {} sampled verifications",
        days.len()
    );
    step.done();

    println!(
        "fill times: licences {:.0} s, credentials {:.0} s, verifications {:.0} s, indexes {:.0} s, \
         vacuum analyze {:.0} s, rollups {:.0} s; total with checks {:.0} s",
        licences_took.as_secs_f64(),
        credentials_took.as_secs_f64(),
        verifications_took.as_secs_f64(),
        indexes_took.as_secs_f64(),
        vacuum_took.as_secs_f64(),
        rollups_took.as_secs_f64(),
        total.elapsed().as_secs_f64()
    );
    sqlx::raw_sql("SET session_replication_role = origin")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn print_sizes(conn: &mut PgConnection) -> BoxResult<()> {
    let rows: Vec<(String, i64, String, String)> = sqlx::query_as(
        "SELECT c.relname::text, c.reltuples::bigint, pg_size_pretty(pg_table_size(c.oid)), \
                pg_size_pretty(pg_indexes_size(c.oid)) \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname IN ('licences', 'credentials', \
         'verifications', 'region_status_counts', 'region_claims', 'daily_claims', 'daily_verifications', \
         'national_daily_verifications', 'rollout') \
         ORDER BY pg_table_size(c.oid) DESC",
    )
    .fetch_all(&mut *conn)
    .await?;
    println!("\n| table | rows (estimate) | table size | indexes |\n|---|---:|---:|---:|");
    for (name, tuples, size, indexes) in rows {
        println!("| {name} | {tuples} | {size} | {indexes} |");
    }
    Ok(())
}

/// The machine's load average (Linux), so noisy timings can be told apart.
fn print_load(when: &str) {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("\nload average {when}: {}", load.trim());
    }
}

/// Median, max and rows of repeated timings.
struct Stats {
    median: Duration,
    max: Duration,
    rows: usize,
}

impl Stats {
    fn of(mut times: Vec<Duration>, rows: usize) -> Stats {
        times.sort();
        Stats {
            median: times[times.len() / 2],
            max: times[times.len() - 1],
            rows,
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` `warmup` times untimed, then `runs` times timed; `f` returns how many rows it read.
async fn timed<F, Fut, E>(warmup: usize, runs: usize, mut f: F) -> Result<Stats, E>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, E>>,
{
    let mut rows = 0;
    for _ in 0..warmup {
        rows = f().await?;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        rows = f().await?;
        times.push(t.elapsed());
    }
    Ok(Stats::of(times, rows))
}

#[derive(Clone, Copy)]
struct Case {
    scope: Option<RegionCode>,
    days: i64,
}

impl Case {
    fn from(self) -> Date {
        END_DAY - time::Duration::days(self.days - 1)
    }

    fn scope_label(self) -> String {
        match self.scope {
            None => "national".to_owned(),
            Some(r) => format!("region {r}"),
        }
    }

    /// Who reads `daily_claims` / `daily_verifications` for this scope: one region's view, or (the per-region rows
    /// of the nation) only the CSV export.
    fn used_by(self) -> &'static str {
        match self.scope {
            None => "CSV export",
            Some(_) => "region view",
        }
    }
}

type VerificationRow = (Date, i32, String, i64, i64);
type ClaimRow = (Date, i32, i64, i64);
type NationalVerificationRow = (Date, String, i64, i64);
type NationalClaimRow = (Date, i64, i64);

async fn naive_national_verifications(
    conn: &mut PgConnection,
    case: Case,
) -> Result<Vec<NationalVerificationRow>, sqlx::Error> {
    sqlx::query_as(NAIVE_NATIONAL_VERIFICATIONS)
        .bind(day_start(case.from()))
        .bind(day_start(END_DAY + time::Duration::days(1)))
        .fetch_all(conn)
        .await
}

async fn naive_national_claims(
    conn: &mut PgConnection,
    case: Case,
) -> Result<Vec<NationalClaimRow>, sqlx::Error> {
    sqlx::query_as(NAIVE_NATIONAL_CLAIMS)
        .bind(day_start(case.from()))
        .bind(day_start(END_DAY + time::Duration::days(1)))
        .fetch_all(conn)
        .await
}

async fn naive_verifications(
    conn: &mut PgConnection,
    case: Case,
) -> Result<Vec<VerificationRow>, sqlx::Error> {
    let query = match case.scope {
        None => sqlx::query_as(NAIVE_VERIFICATIONS),
        Some(_) => sqlx::query_as(NAIVE_VERIFICATIONS_REGION),
    };
    let mut query = query
        .bind(day_start(case.from()))
        .bind(day_start(END_DAY + time::Duration::days(1)));
    if let Some(region) = case.scope {
        query = query.bind(region.as_u32() as i32);
    }
    query.fetch_all(conn).await
}

async fn naive_claims(conn: &mut PgConnection, case: Case) -> Result<Vec<ClaimRow>, sqlx::Error> {
    let query = match case.scope {
        None => sqlx::query_as(NAIVE_CLAIMS),
        Some(_) => sqlx::query_as(NAIVE_CLAIMS_REGION),
    };
    let mut query = query
        .bind(day_start(case.from()))
        .bind(day_start(END_DAY + time::Duration::days(1)));
    if let Some(region) = case.scope {
        query = query.bind(region.as_u32() as i32);
    }
    query.fetch_all(conn).await
}

/// `region_counts` computed from licences and credentials at read time.
async fn naive_region_counts(
    conn: &mut PgConnection,
    store: &PgStore,
) -> BoxResult<Vec<RegionCount>> {
    let groups: Vec<(i32, String, i64)> = sqlx::query_as(NAIVE_STATUS_COUNTS)
        .fetch_all(&mut *conn)
        .await?;
    let claimed: HashMap<i32, i64> = sqlx::query_as::<_, (i32, i64)>(NAIVE_CLAIMED)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let schedule = store.rollout().await?;
    let mut counts = fold_region_counts(
        groups.into_iter().map(|(r, s, n)| (i64::from(r), s, n)),
        &schedule,
    )?;
    for count in &mut counts {
        count.claimed = claimed
            .get(&(count.region.as_u32() as i32))
            .copied()
            .unwrap_or_default() as u64;
    }
    Ok(counts)
}

/// `EXPLAIN (ANALYZE, BUFFERS)` of a prepared statement with the given parameter literals, as a custom plan (what
/// the first executions of a prepared statement use) and as the generic plan (what a prepared statement may switch
/// to after five executions).
async fn explain(
    conn: &mut PgConnection,
    title: &str,
    sql: &str,
    types: &str,
    params: &str,
) -> BoxResult<()> {
    sqlx::raw_sql(&format!("PREPARE dash_q {types} AS {sql}"))
        .execute(&mut *conn)
        .await?;
    let execute = if params.is_empty() {
        "EXECUTE dash_q".to_owned()
    } else {
        format!("EXECUTE dash_q({params})")
    };
    for mode in ["force_custom_plan", "force_generic_plan"] {
        if params.is_empty() && mode == "force_generic_plan" {
            continue;
        }
        let rows: Vec<PgRow> = sqlx::raw_sql(&format!(
            "SET plan_cache_mode = {mode}; EXPLAIN (ANALYZE, BUFFERS) {execute}"
        ))
        .fetch_all(&mut *conn)
        .await?;
        let label = if params.is_empty() {
            String::new()
        } else {
            format!(" [{}]", mode.trim_start_matches("force_").replace('_', " "))
        };
        println!("\n-- {title}{label}");
        for row in rows {
            let line: String = row.try_get(0)?;
            println!("   {line}");
        }
    }
    sqlx::raw_sql("RESET plan_cache_mode; DEALLOCATE dash_q")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn measure(args: &Args, store: &PgStore, conn: &mut PgConnection) -> BoxResult<()> {
    let runs = args.runs;
    let warmup = 3;
    let cases = [
        Case {
            scope: None,
            days: 30,
        },
        Case {
            scope: None,
            days: 365,
        },
        Case {
            scope: Some(args.region),
            days: 30,
        },
        Case {
            scope: Some(args.region),
            days: 365,
        },
    ];
    let (national, regional) = cases.split_at(2);
    store.ping().await?;
    print_load("before the timings");

    println!(
        "\n## Through the Store trait ({warmup} warm-up calls, then {runs} timed; ms)\n\n\
         | query | scope | period | rows | median | max |\n|---|---|---|---:|---:|---:|"
    );
    let rc = timed(warmup, runs, || async move {
        store.region_counts().await.map(|v| v.len())
    })
    .await?;
    println!(
        "| region_counts (every view) | all regions (the dashboard filters a region in memory) | — | {} | {:.2} | {:.2} |",
        rc.rows,
        ms(rc.median),
        ms(rc.max)
    );
    // Keyed by (method, national scope, days).
    let mut rollup_times: HashMap<(&str, bool, i64), Stats> = HashMap::new();
    for case in national {
        let from = case.from();
        let nc = timed(warmup, runs, || async move {
            store
                .national_daily_claims(from, END_DAY)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| national_daily_claims (national view) | national | {} days | {} | {:.2} | {:.2} |",
            case.days,
            nc.rows,
            ms(nc.median),
            ms(nc.max)
        );
        rollup_times.insert(("national_claims", true, case.days), nc);
    }
    for case in national {
        let from = case.from();
        let nv = timed(warmup, runs, || async move {
            store
                .national_daily_verifications(from, END_DAY)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| national_daily_verifications (national view) | national | {} days | {} | {:.2} | {:.2} |",
            case.days,
            nv.rows,
            ms(nv.median),
            ms(nv.max)
        );
        rollup_times.insert(("national_verifications", true, case.days), nv);
    }
    for case in regional.iter().chain(national) {
        let (scope, from) = (case.scope, case.from());
        let dc = timed(warmup, runs, || async move {
            store
                .daily_claims(scope, from, END_DAY)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| daily_claims ({}) | {} | {} days | {} | {:.2} | {:.2} |",
            case.used_by(),
            case.scope_label(),
            case.days,
            dc.rows,
            ms(dc.median),
            ms(dc.max)
        );
        rollup_times.insert(("claims", scope.is_none(), case.days), dc);
    }
    for case in regional.iter().chain(national) {
        let (scope, from) = (case.scope, case.from());
        let dv = timed(warmup, runs, || async move {
            store
                .daily_verifications(scope, from, END_DAY)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| daily_verifications ({}) | {} | {} days | {} | {:.2} | {:.2} |",
            case.used_by(),
            case.scope_label(),
            case.days,
            dv.rows,
            ms(dv.median),
            ms(dv.max)
        );
        rollup_times.insert(("verifications", scope.is_none(), case.days), dv);
    }
    for case in &cases {
        let (scope, from) = (case.scope, case.from());
        let view = timed(warmup, runs, || async move {
            // What one dashboard view reads (`figures` in routes/console/dashboard.rs), one call after the other,
            // with the same conversions.
            let regions: Vec<RegionCount> = store
                .region_counts()
                .await?
                .into_iter()
                .filter(|r| scope.is_none_or(|s| s == r.region))
                .collect();
            let (claims, verifications): (
                Vec<NationalDailyClaims>,
                Vec<NationalDailyVerifications>,
            ) = match scope {
                None => (
                    store.national_daily_claims(from, END_DAY).await?,
                    store.national_daily_verifications(from, END_DAY).await?,
                ),
                Some(region) => (
                    store
                        .daily_claims(Some(region), from, END_DAY)
                        .await?
                        .into_iter()
                        .map(|c| NationalDailyClaims {
                            day: c.day,
                            claims: c.claims,
                            first_claims: c.first_claims,
                        })
                        .collect(),
                    store
                        .daily_verifications(Some(region), from, END_DAY)
                        .await?
                        .into_iter()
                        .map(|v| NationalDailyVerifications {
                            day: v.day,
                            purpose: v.purpose,
                            valid: v.valid,
                            not_valid: v.not_valid,
                        })
                        .collect(),
                ),
            };
            Ok::<_, StoreError>(regions.len() + claims.len() + verifications.len())
        })
        .await?;
        let calls = match scope {
            None => "region_counts + national_daily_claims + national_daily_verifications",
            Some(_) => "region_counts + daily_claims + daily_verifications",
        };
        println!(
            "| one whole dashboard view ({calls}) | {} | {} days | {} | {:.2} | {:.2} |",
            case.scope_label(),
            case.days,
            view.rows,
            ms(view.median),
            ms(view.max)
        );
    }

    // The naive queries, and whether they agree with the rollups.
    let naive_runs = args.naive_runs;
    println!(
        "\n## Naive queries over the base tables ({naive_runs} timed runs each, after none warm; ms) vs the rollup\n\n\
         | figure | scope | period | naive median | naive max | rollup median | ratio | same answer |\n\
         |---|---|---|---:|---:|---:|---:|---|"
    );
    let mut times = Vec::new();
    let mut naive = Vec::new();
    for _ in 0..naive_runs {
        let t = Instant::now();
        naive = naive_region_counts(conn, store).await?;
        times.push(t.elapsed());
    }
    let nrc = Stats::of(times, naive.len());
    let same = naive == store.region_counts().await?;
    println!(
        "| region_counts (licences by region and status, claimed licences) | all regions | — | {:.0} | {:.0} | {:.2} | {:.0}× | {} |",
        ms(nrc.median),
        ms(nrc.max),
        ms(rc.median),
        ms(nrc.median) / ms(rc.median),
        if same { "yes" } else { "NO" }
    );
    let row = |figure: &str, case: &Case, naive: &Stats, rollup: &Stats, same: bool| {
        println!(
            "| {figure} | {} | {} days | {:.0} | {:.0} | {:.2} | {:.0}× | {} |",
            case.scope_label(),
            case.days,
            ms(naive.median),
            ms(naive.max),
            ms(rollup.median),
            ms(naive.median) / ms(rollup.median),
            if same { "yes" } else { "NO" }
        );
    };
    for case in national {
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for _ in 0..naive_runs {
            let t = Instant::now();
            rows = naive_national_claims(conn, *case).await?;
            times.push(t.elapsed());
        }
        let stats = Stats::of(times, rows.len());
        let from_store: Vec<NationalClaimRow> = store
            .national_daily_claims(case.from(), END_DAY)
            .await?
            .into_iter()
            .map(|c| (c.day, c.claims as i64, c.first_claims as i64))
            .collect();
        let rollup = &rollup_times[&("national_claims", true, case.days)];
        row(
            "national_daily_claims",
            case,
            &stats,
            rollup,
            rows == from_store,
        );
    }
    for case in national {
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for _ in 0..naive_runs {
            let t = Instant::now();
            rows = naive_national_verifications(conn, *case).await?;
            times.push(t.elapsed());
        }
        let stats = Stats::of(times, rows.len());
        let from_store: Vec<NationalVerificationRow> = store
            .national_daily_verifications(case.from(), END_DAY)
            .await?
            .into_iter()
            .map(|v| (v.day, v.purpose, v.valid as i64, v.not_valid as i64))
            .collect();
        let rollup = &rollup_times[&("national_verifications", true, case.days)];
        row(
            "national_daily_verifications",
            case,
            &stats,
            rollup,
            rows == from_store,
        );
    }
    for case in regional.iter().chain(national) {
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for _ in 0..naive_runs {
            let t = Instant::now();
            rows = naive_claims(conn, *case).await?;
            times.push(t.elapsed());
        }
        let stats = Stats::of(times, rows.len());
        let from_store: Vec<ClaimRow> = store
            .daily_claims(case.scope, case.from(), END_DAY)
            .await?
            .into_iter()
            .map(|c| {
                (
                    c.day,
                    c.region.as_u32() as i32,
                    c.claims as i64,
                    c.first_claims as i64,
                )
            })
            .collect();
        let rollup = &rollup_times[&("claims", case.scope.is_none(), case.days)];
        row(
            &format!("daily_claims ({})", case.used_by()),
            case,
            &stats,
            rollup,
            rows == from_store,
        );
    }
    for case in regional.iter().chain(national) {
        let mut times = Vec::new();
        let mut rows = Vec::new();
        for _ in 0..naive_runs {
            let t = Instant::now();
            rows = naive_verifications(conn, *case).await?;
            times.push(t.elapsed());
        }
        let stats = Stats::of(times, rows.len());
        let from_store: Vec<VerificationRow> = store
            .daily_verifications(case.scope, case.from(), END_DAY)
            .await?
            .into_iter()
            .map(|v| {
                (
                    v.day,
                    v.region.map_or(0, |r| r.as_u32() as i32),
                    v.purpose,
                    v.valid as i64,
                    v.not_valid as i64,
                )
            })
            .collect();
        let rollup = &rollup_times[&("verifications", case.scope.is_none(), case.days)];
        row(
            &format!("daily_verifications ({})", case.used_by()),
            case,
            &stats,
            rollup,
            rows == from_store,
        );
    }

    // Where the time of a year of national verifications goes: the statements through sqlx without the store's
    // conversion, the per-region rows (the CSV export's), those rows summed over regions in SQL at read time (no
    // national table), and the national table.
    println!(
        "\n## National verifications, raw SQL on the store's pool (not store methods; {warmup} warm-up, {runs} timed; ms)\n\n\
         | statement | period | rows | median | max |\n|---|---|---:|---:|---:|"
    );
    let pool = store.pool();
    for days in [30, 365] {
        let from = END_DAY - time::Duration::days(days - 1);
        let raw = timed(warmup, runs, || async move {
            sqlx::query_as::<_, (Date, i32, String, i64, i64)>(SQL_DV_NATIONAL)
                .bind(from)
                .bind(END_DAY)
                .fetch_all(pool)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| daily_verifications' national statement (per region; the CSV export), rows decoded as tuples | {days} days | {} | {:.2} | {:.2} |",
            raw.rows,
            ms(raw.median),
            ms(raw.max)
        );
        let summed = timed(warmup, runs, || async move {
            sqlx::query_as::<_, (Date, String, i64, i64)>(SQL_DV_NATIONAL_SUMMED)
                .bind(from)
                .bind(END_DAY)
                .fetch_all(pool)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| daily_verifications summed over regions in SQL (GROUP BY day, purpose; no national table) | {days} days | {} | {:.2} | {:.2} |",
            summed.rows,
            ms(summed.median),
            ms(summed.max)
        );
        let table = timed(warmup, runs, || async move {
            sqlx::query_as::<_, (Date, String, i64, i64)>(SQL_NDV)
                .bind(from)
                .bind(END_DAY)
                .fetch_all(pool)
                .await
                .map(|v| v.len())
        })
        .await?;
        println!(
            "| national_daily_verifications' statement, rows decoded as tuples | {days} days | {} | {:.2} | {:.2} |",
            table.rows,
            ms(table.median),
            ms(table.max)
        );
    }
    print_load("after the timings");

    // Plans.
    println!("\n## EXPLAIN (ANALYZE, BUFFERS) of the statements the store runs");
    let region = args.region.as_u32();
    explain(conn, "region_counts 1/3: rollout", SQL_ROLLOUT, "", "").await?;
    explain(
        conn,
        "region_counts 2/3: region_status_counts",
        SQL_REGION_STATUS,
        "",
        "",
    )
    .await?;
    explain(
        conn,
        "region_counts 3/3: region_claims",
        SQL_REGION_CLAIMS,
        "",
        "",
    )
    .await?;
    for case in national {
        let params = format!("'{}', '{END_DAY}'", case.from());
        let label = format!("national view, {} days", case.days);
        explain(
            conn,
            &format!("national_daily_claims, {label}"),
            SQL_NDC,
            "(date, date)",
            &params,
        )
        .await?;
        explain(
            conn,
            &format!("national_daily_verifications, {label}"),
            SQL_NDV,
            "(date, date)",
            &params,
        )
        .await?;
    }
    for case in regional.iter().chain(national) {
        let (sql_c, sql_v, types, params) = match case.scope {
            None => (
                SQL_DC_NATIONAL,
                SQL_DV_NATIONAL,
                "(date, date)",
                format!("'{}', '{END_DAY}'", case.from()),
            ),
            Some(_) => (
                SQL_DC_REGION,
                SQL_DV_REGION,
                "(date, date, integer)",
                format!("'{}', '{END_DAY}', {region}", case.from()),
            ),
        };
        let label = format!(
            "{} ({}), {} days",
            case.scope_label(),
            case.used_by(),
            case.days
        );
        explain(
            conn,
            &format!("daily_claims, {label}"),
            sql_c,
            types,
            &params,
        )
        .await?;
        explain(
            conn,
            &format!("daily_verifications, {label}"),
            sql_v,
            types,
            &params,
        )
        .await?;
    }

    let year = format!("'{}', '{END_DAY}'", END_DAY - time::Duration::days(364));
    explain(
        conn,
        "for comparison: daily_verifications summed over regions in SQL (no national table), 365 days",
        SQL_DV_NATIONAL_SUMMED,
        "(date, date)",
        &year,
    )
    .await?;

    println!("\n## EXPLAIN (ANALYZE, BUFFERS) of the naive queries (30 days)");
    let from = day_start(END_DAY - time::Duration::days(29));
    let to = day_start(END_DAY + time::Duration::days(1));
    let instants = format!(
        "'{}', '{}'",
        from.format(&time::format_description::well_known::Rfc3339)?,
        to.format(&time::format_description::well_known::Rfc3339)?
    );
    explain(
        conn,
        "naive national_daily_verifications, 30 days",
        NAIVE_NATIONAL_VERIFICATIONS,
        "(timestamptz, timestamptz)",
        &instants,
    )
    .await?;
    explain(
        conn,
        &format!("naive daily_verifications, region {region}, 30 days"),
        NAIVE_VERIFICATIONS_REGION,
        "(timestamptz, timestamptz, integer)",
        &format!("{instants}, {region}"),
    )
    .await?;
    explain(
        conn,
        "naive national_daily_claims, 30 days",
        NAIVE_NATIONAL_CLAIMS,
        "(timestamptz, timestamptz)",
        &instants,
    )
    .await?;
    explain(
        conn,
        "naive region_counts 1/2: licences by region and status",
        NAIVE_STATUS_COUNTS,
        "",
        "",
    )
    .await?;
    explain(
        conn,
        "naive region_counts 2/2: claimed licences",
        NAIVE_CLAIMED,
        "",
        "",
    )
    .await?;
    Ok(())
}
