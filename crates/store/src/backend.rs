//! Helpers the SQL backends share, so they encode licences and classify imports identically.
//!
//! Use-case code never needs this module: it talks to [`Store`](crate::Store) in domain terms.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use std::collections::BTreeMap;

use edl_domain::{
    Address, AuthorityName, CitizenId, ClassSet, DisplayState, FileNumber, IssuingAuthority,
    Licence, LicenceFields, Nationality, PersonName, PhoneNumber, Points, RegionCode, RolloutEntry,
    RolloutSchedule, Sex, StatusSet, Validity, ValidityEnd,
};
use time::Date;

use crate::{
    ConflictKind, ImportConflict, ImportRecord, ImportSourceId, NewConsoleUser, NewVerification,
    RegionCount, StoreError, rollup_day,
};

/// The columns of the `licences` table, as plain values; `region` is the issuing authority's region.
///
/// Text columns hold the domain types' canonical forms (their `Display`), so every stored value parses back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenceRow {
    /// 档案编号, 12 digits.
    pub file_number: String,
    /// 证号, 18 characters.
    pub citizen_id: String,
    /// 姓名.
    pub name: String,
    /// 性别 as ISO 5218 (1 male, 2 female).
    pub sex: i64,
    /// 国籍 as ISO 3166-1 alpha-3.
    pub nationality: String,
    /// 出生日期.
    pub birth_date: Date,
    /// 住址.
    pub address: String,
    /// 初次领证日期.
    pub first_issue: Date,
    /// 准驾车型, codes concatenated in standard order ("C1E").
    pub classes: String,
    /// 有效期起始日期.
    pub valid_from: Date,
    /// 有效期截止日期; `None` is 长期 (indefinite).
    pub valid_until: Option<Date>,
    /// 发证机关 name (stored in `authorities`, joined on read).
    pub authority_name: String,
    /// The issuing authority's GB/T 2260 region code, which is the licence's region.
    pub region: i64,
    /// Status letters ("A", "HI").
    pub status: String,
    /// 累积记分 of the stored cycle.
    pub points: i64,
    /// 记分周期起始日期.
    pub points_cycle_start: Date,
    /// 手机号码, if any.
    pub phone: Option<String>,
    /// 换证 edition counter.
    pub edition: i64,
}

impl LicenceRow {
    /// The row for `licence`.
    pub fn from_licence(licence: &Licence) -> Self {
        let validity = licence.validity();
        Self {
            file_number: licence.file_number().as_str().to_owned(),
            citizen_id: licence.citizen_id().as_str().to_owned(),
            name: licence.name().as_str().to_owned(),
            sex: i64::from(licence.sex().iso5218()),
            nationality: licence.nationality().code().to_owned(),
            birth_date: licence.birth_date(),
            address: licence.address().as_str().to_owned(),
            first_issue: licence.first_issue(),
            classes: licence.classes().to_string(),
            valid_from: validity.start(),
            valid_until: match validity.end() {
                ValidityEnd::On(date) => Some(date),
                ValidityEnd::Indefinite => None,
            },
            authority_name: licence.authority().name.as_str().to_owned(),
            region: i64::from(licence.authority().region.as_u32()),
            status: licence.status().to_string(),
            points: i64::from(licence.points().total()),
            points_cycle_start: licence.points().cycle_start(),
            phone: licence.phone().map(|phone| phone.as_str().to_owned()),
            edition: i64::from(licence.edition()),
        }
    }

    /// The licence this row stores; [`StoreError::Corrupt`] names the first column that does not parse.
    pub fn into_licence(self) -> Result<Licence, StoreError> {
        let fields = LicenceFields {
            file_number: FileNumber::parse(&self.file_number)
                .map_err(|e| StoreError::corrupt("licences.file_number", e))?,
            citizen_id: CitizenId::parse(&self.citizen_id)
                .map_err(|e| StoreError::corrupt("licences.citizen_id", e))?,
            name: PersonName::parse(&self.name)
                .map_err(|e| StoreError::corrupt("licences.name", e))?,
            sex: match self.sex {
                1 => Sex::Male,
                2 => Sex::Female,
                _ => return Err(corrupt("licences.sex")),
            },
            nationality: Nationality::parse(&self.nationality)
                .map_err(|e| StoreError::corrupt("licences.nationality", e))?,
            birth_date: self.birth_date,
            address: Address::parse(&self.address)
                .map_err(|e| StoreError::corrupt("licences.address", e))?,
            first_issue: self.first_issue,
            classes: ClassSet::parse(&self.classes)
                .map_err(|e| StoreError::corrupt("licences.classes", e))?,
            validity: Validity::new(
                self.valid_from,
                self.valid_until
                    .map_or(ValidityEnd::Indefinite, ValidityEnd::On),
            )
            .map_err(|e| StoreError::corrupt("licences.valid_until", e))?,
            authority: IssuingAuthority {
                name: AuthorityName::parse(&self.authority_name)
                    .map_err(|e| StoreError::corrupt("authorities.name", e))?,
                region: region_from_column(self.region, "licences.region")?,
            },
            status: StatusSet::parse(&self.status)
                .map_err(|e| StoreError::corrupt("licences.status", e))?,
            points: Points::new(
                self.points_cycle_start,
                u8::try_from(self.points).map_err(|_| corrupt("licences.points"))?,
            ),
            phone: self
                .phone
                .as_deref()
                .map(PhoneNumber::parse)
                .transpose()
                .map_err(|e| StoreError::corrupt("licences.phone", e))?,
            edition: u32::try_from(self.edition).map_err(|_| corrupt("licences.edition"))?,
        };
        Licence::new(fields).map_err(|e| StoreError::corrupt("licences", e))
    }
}

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what, source: None }
}

/// The region stored as the integer `code` in `column`.
pub fn region_from_column(code: i64, column: &'static str) -> Result<RegionCode, StoreError> {
    u32::try_from(code)
        .ok()
        .and_then(RegionCode::from_u32)
        .ok_or_else(|| corrupt(column))
}

/// The integer a region is stored as (its six-digit code).
pub fn region_to_column(region: RegionCode) -> i64 {
    i64::from(region.as_u32())
}

/// Rebuilds a rollout entry from the `rollout` table's columns.
pub fn rollout_entry_from_columns(
    region: i64,
    enabled_from: Date,
    phase: String,
) -> Result<RolloutEntry, StoreError> {
    Ok(RolloutEntry {
        region: region_from_column(region, "rollout.region")?,
        enabled_from,
        phase,
    })
}

/// Which records of a batch to write, and the in-batch duplicates to report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DedupedBatch {
    /// Indexes into the batch of the first record of each file number, in batch order.
    pub unique: Vec<usize>,
    /// Later records repeating a file number of the batch, as [`ConflictKind::DuplicateInFile`].
    pub duplicates: Vec<ImportConflict>,
}

/// Splits a batch into the first record of each file number and the later repeats.
pub fn dedupe_batch(records: &[ImportRecord<'_>]) -> DedupedBatch {
    let mut first_line: HashMap<&str, u64> = HashMap::with_capacity(records.len());
    let mut res = DedupedBatch {
        unique: Vec::with_capacity(records.len()),
        duplicates: Vec::new(),
    };
    for (idx, record) in records.iter().enumerate() {
        match first_line.entry(record.licence.file_number().as_str()) {
            std::collections::hash_map::Entry::Occupied(first) => {
                res.duplicates.push(ImportConflict {
                    line: record.line,
                    kind: ConflictKind::DuplicateInFile {
                        first_line: *first.get(),
                    },
                });
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(record.line);
                res.unique.push(idx);
            }
        }
    }
    res
}

/// The import provenance of a stored licence: `None` columns mean it was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    /// `licences.import_source_id`.
    pub source: Option<i64>,
    /// `licences.import_line`.
    pub line: Option<i64>,
    /// `licences.import_digest`.
    pub digest: Option<Vec<u8>>,
}

/// What to report for a record that was not inserted because its file number is stored with `stored` provenance.
///
/// `None` means unchanged; see [`Store::import_batch`](crate::Store::import_batch) for the rules.
pub fn classify_existing(
    source: ImportSourceId,
    record: &ImportRecord<'_>,
    stored: &Provenance,
) -> Option<ConflictKind> {
    let line = i64::try_from(record.line).ok();
    match stored.source {
        Some(stored_source) if stored_source == source.0 => {
            if stored.line == line {
                None
            } else {
                let first_line = stored
                    .line
                    .and_then(|l| u64::try_from(l).ok())
                    .unwrap_or_default();
                Some(ConflictKind::DuplicateInFile { first_line })
            }
        }
        Some(_) if stored.digest.as_deref() == Some(&record.digest[..]) => None,
        _ => Some(ConflictKind::DifferentRecordInRegistry),
    }
}

/// A change to one row of the `region_status_counts` summary: add `delta` to the number of licences of `region`
/// whose status is `status`.
///
/// Both SQL backends keep the summary in the transaction that changes `licences`, so
/// [`Store::region_counts`](crate::Store::region_counts) reads a few rows instead of scanning every licence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountDelta {
    /// The licences' region (`licences.region`).
    pub region: i64,
    /// The status letters, as stored in `licences.status`.
    pub status: String,
    /// How many licences to add (negative to remove).
    pub delta: i64,
}

/// The summary changes for inserting `licences`: one [`CountDelta`] per distinct `(region, status)`.
///
/// Ordered by `(region, status)`: transactions that upsert the summary rows in this order lock them in the same
/// order, so two concurrent imports cannot deadlock on them.
pub fn count_deltas<'a>(licences: impl IntoIterator<Item = &'a Licence>) -> Vec<CountDelta> {
    // Called once per licence of every batch: a multiply-rotate hash of the two small integers instead of SipHash.
    let mut groups: HashMap<(RegionCode, StatusSet), i64, BuildHasherDefault<PairHasher>> =
        HashMap::default();
    for licence in licences {
        *groups
            .entry((licence.authority().region, licence.status()))
            .or_default() += 1;
    }
    let mut res: Vec<CountDelta> = groups
        .into_iter()
        .map(|((region, status), delta)| CountDelta {
            region: region_to_column(region),
            status: status.to_string(),
            delta,
        })
        .collect();
    res.sort_unstable();
    res
}

/// Hashes the integers a `(RegionCode, StatusSet)` key writes (FxHash's multiply-rotate step). The keys come from
/// parsed domain values, a few hundred distinct pairs, so there is nothing to gain from a keyed hash here.
#[derive(Default)]
struct PairHasher(u64);

impl Hasher for PairHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The summary changes for a licence whose stored `(region, status)` goes from `before` to `after`: one licence
/// moves from one row to the other, in `(region, status)` order; nothing if the pair stays the same.
pub fn moved_count(before: (i64, &str), after: (i64, &str)) -> Vec<CountDelta> {
    if before == after {
        return Vec::new();
    }
    let mut res = vec![
        CountDelta {
            region: before.0,
            status: before.1.to_owned(),
            delta: -1,
        },
        CountDelta {
            region: after.0,
            status: after.1.to_owned(),
            delta: 1,
        },
    ];
    res.sort_unstable();
    res
}

/// Folds `(region, status, count)` groups into per-region counts, ordered by region.
///
/// The display state of each status comes from [`StatusSet::display_state`], the one place the rule lives,
/// so SQL only keeps counts by the stored status string (the `region_status_counts` rows).
pub fn fold_region_counts(
    groups: impl IntoIterator<Item = (i64, String, i64)>,
    schedule: &RolloutSchedule,
) -> Result<Vec<RegionCount>, StoreError> {
    let mut by_region: HashMap<RegionCode, RegionCount> = HashMap::new();
    for (region, status, count) in groups {
        let region = region_from_column(region, "licences.region")?;
        let status =
            StatusSet::parse(&status).map_err(|e| StoreError::corrupt("licences.status", e))?;
        let count = u64::try_from(count).map_err(|_| corrupt("licences"))?;
        let entry = by_region.entry(region).or_insert_with(|| RegionCount {
            region,
            licences: 0,
            black: 0,
            red: 0,
            invalid: 0,
            not_displayed: 0,
            // Filled in by the backend from its `region_claims` counter.
            claimed: 0,
            enabled_from: schedule.enabled_from(region),
        });
        entry.licences += count;
        match status.display_state() {
            DisplayState::BlackQr => entry.black += count,
            DisplayState::RedQr => entry.red += count,
            DisplayState::Invalid => entry.invalid += count,
            DisplayState::NotDisplayed => entry.not_displayed += count,
        }
    }
    let mut res: Vec<RegionCount> = by_region.into_values().collect();
    res.sort_by_key(|count| count.region.as_u32());
    Ok(res)
}

/// The checks [`Store::create_console_user`](crate::Store::create_console_user) makes before it reads anything:
/// a username of 1 to 64 characters (`Conflict { constraint: "console_username_length" }`) and a scope the role
/// allows (`Conflict { constraint: "console_role_scope" }`).
pub fn check_new_console_user(user: &NewConsoleUser) -> Result<(), StoreError> {
    if !(1..=64).contains(&user.username.chars().count()) {
        return Err(StoreError::Conflict {
            constraint: "console_username_length",
        });
    }
    if !user
        .role
        .allows_scope(user.authority_id.is_some(), user.organisation_id.is_some())
    {
        return Err(StoreError::Conflict {
            constraint: "console_role_scope",
        });
    }
    Ok(())
}

/// The `organisations.purposes` column: the purposes joined by single spaces.
///
/// A purpose that is empty or contains whitespace would not read back, so it is refused with
/// `Conflict { constraint: "organisation_purposes" }`.
pub fn purposes_to_column(purposes: &[String]) -> Result<String, StoreError> {
    if purposes
        .iter()
        .any(|purpose| purpose.is_empty() || purpose.chars().any(char::is_whitespace))
    {
        return Err(StoreError::Conflict {
            constraint: "organisation_purposes",
        });
    }
    Ok(purposes.join(" "))
}

/// The purposes stored in an `organisations.purposes` column.
pub fn purposes_from_column(column: &str) -> Vec<String> {
    column.split_whitespace().map(str::to_owned).collect()
}

/// A `daily_verifications` key: the [`rollup_day`], the region column (0 for none) and the purpose.
pub type VerificationRollupKey<'a> = (Date, i64, &'a str);

/// The `daily_verifications` changes of a batch: `(valid, not_valid)` to add per key, in key order, so
/// transactions that upsert the rows in this order lock them in the same order and cannot deadlock on them.
/// A result other than `"valid"` counts as not valid (the database refuses any but the two).
pub fn verification_rollup(
    verifications: &[NewVerification],
) -> BTreeMap<VerificationRollupKey<'_>, (i64, i64)> {
    let mut res: BTreeMap<VerificationRollupKey<'_>, (i64, i64)> = BTreeMap::new();
    for v in verifications {
        let region = v.region.map_or(0, region_to_column);
        let counts = res
            .entry((rollup_day(v.at), region, v.purpose.as_str()))
            .or_default();
        if v.result == "valid" {
            counts.0 += 1;
        } else {
            counts.1 += 1;
        }
    }
    res
}

/// The `national_daily_verifications` changes of a batch: [`verification_rollup`]'s counts summed over the
/// region, per (day, purpose) in key order (the same lock order argument).
pub fn national_verification_rollup<'a>(
    rollup: &BTreeMap<VerificationRollupKey<'a>, (i64, i64)>,
) -> BTreeMap<(Date, &'a str), (i64, i64)> {
    let mut res: BTreeMap<(Date, &'a str), (i64, i64)> = BTreeMap::new();
    for (&(day, _, purpose), &(valid, not_valid)) in rollup {
        let counts = res.entry((day, purpose)).or_default();
        counts.0 += valid;
        counts.1 += not_valid;
    }
    res
}

#[cfg(test)]
mod tests {
    use edl_domain::{
        Address, AuthorityName, CitizenId, ClassSet, FileNumber, IssuingAuthority, Licence,
        LicenceFields, Nationality, PersonName, Points, RegionCode, Sex, StatusSet, Validity,
        ValidityEnd,
    };
    use time::macros::date;

    use super::*;
    use crate::AuthorityId;

    fn licence(file_number: &str) -> Licence {
        let birth_date = date!(1990 - 01 - 02);
        let region = RegionCode::from_u32(110100).expect("known region");
        Licence::new(LicenceFields {
            file_number: FileNumber::parse(file_number).expect("file number"),
            citizen_id: CitizenId::from_parts(
                RegionCode::from_u32(110101).expect("known region"),
                birth_date,
                1,
            )
            .expect("citizen id"),
            name: PersonName::parse("王五").expect("name"),
            sex: Sex::Male,
            nationality: Nationality::CHINA,
            birth_date,
            address: Address::parse("北京市东城区1号").expect("address"),
            first_issue: date!(2010 - 03 - 04),
            classes: ClassSet::parse("C2").expect("classes"),
            validity: Validity::new(date!(2020 - 03 - 04), ValidityEnd::Indefinite)
                .expect("validity"),
            authority: IssuingAuthority {
                name: AuthorityName::parse("北京市公安局公安交通管理局").expect("authority"),
                region,
            },
            status: StatusSet::parse("HI").expect("status"),
            points: Points::new(date!(2025 - 03 - 04), 6),
            phone: None,
            edition: 3,
        })
        .expect("consistent licence")
    }

    fn record(line: u64, licence: &Licence, digest: u8) -> ImportRecord<'_> {
        ImportRecord {
            line,
            licence,
            authority_id: AuthorityId(1),
            digest: [digest; 16],
        }
    }

    #[test]
    fn licence_rows_round_trip() {
        let l = licence("110100000042");

        let row = LicenceRow::from_licence(&l);

        assert_eq!(row.valid_until, None);
        assert_eq!(row.region, 110100);
        assert_eq!((row.status.as_str(), row.sex), ("HI", 1));
        assert_eq!(row.into_licence().expect("parses back"), l);
    }

    #[test]
    fn corrupt_columns_are_named_without_their_value() {
        let mut row = LicenceRow::from_licence(&licence("110100000042"));
        row.citizen_id = "not an id".to_owned();

        let err = row.into_licence().expect_err("corrupt");

        assert!(
            matches!(
                err,
                StoreError::Corrupt {
                    what: "licences.citizen_id",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("not an id"));
    }

    #[test]
    fn dedupe_keeps_the_first_record_of_each_file_number() {
        let a = licence("110100000001");
        let b = licence("110100000002");
        let records = [record(2, &a, 1), record(3, &b, 1), record(4, &a, 2)];

        let batch = dedupe_batch(&records);

        assert_eq!(batch.unique, [0, 1]);
        assert_eq!(
            batch.duplicates,
            [ImportConflict {
                line: 4,
                kind: ConflictKind::DuplicateInFile { first_line: 2 }
            }]
        );
    }

    #[test]
    fn classification_follows_provenance() {
        let l = licence("110100000001");
        let source = ImportSourceId(7);
        let stored = |source: Option<i64>, line: Option<i64>, digest: Option<u8>| Provenance {
            source,
            line,
            digest: digest.map(|d| vec![d; 16]),
        };

        let check =
            |provenance: Provenance| classify_existing(source, &record(5, &l, 9), &provenance);

        assert_eq!(check(stored(Some(7), Some(5), Some(9))), None);
        assert_eq!(
            check(stored(Some(7), Some(3), Some(9))),
            Some(ConflictKind::DuplicateInFile { first_line: 3 })
        );
        assert_eq!(check(stored(Some(8), Some(40), Some(9))), None);
        assert_eq!(
            check(stored(Some(8), Some(5), Some(1))),
            Some(ConflictKind::DifferentRecordInRegistry)
        );
        assert_eq!(
            check(stored(None, None, None)),
            Some(ConflictKind::DifferentRecordInRegistry)
        );
    }

    #[test]
    fn count_deltas_group_by_region_and_status_in_order() {
        let a = licence("110100000001");
        let b = licence("110100000002");
        let mut fields = licence("110100000003").into_fields();
        fields.status = StatusSet::parse("A").expect("status");
        let c = Licence::new(fields).expect("consistent licence");
        let mut fields = licence("110100000004").into_fields();
        fields.authority.region = RegionCode::from_u32(110000).expect("known region");
        let d = Licence::new(fields).expect("consistent licence");

        let deltas = count_deltas([&a, &b, &c, &d, &a]);

        let got: Vec<(i64, &str, i64)> = deltas
            .iter()
            .map(|d| (d.region, d.status.as_str(), d.delta))
            .collect();
        assert_eq!(
            got,
            [(110000, "HI", 1), (110100, "A", 1), (110100, "HI", 3)]
        );
        assert!(count_deltas([]).is_empty());
    }

    #[test]
    fn a_moved_count_leaves_one_row_for_the_other() {
        assert!(moved_count((110100, "A"), (110100, "A")).is_empty());
        let got: Vec<(i64, String, i64)> = moved_count((510100, "A"), (110100, "D"))
            .into_iter()
            .map(|d| (d.region, d.status, d.delta))
            .collect();
        assert_eq!(
            got,
            [(110100, "D".to_owned(), 1), (510100, "A".to_owned(), -1)]
        );
    }

    #[test]
    fn region_counts_fold_display_states() {
        let schedule = RolloutSchedule::new(vec![RolloutEntry {
            region: RegionCode::from_u32(110000).expect("province"),
            enabled_from: date!(2021 - 12 - 10),
            phase: "nationwide".to_owned(),
        }]);
        let groups = [
            (510100, "A".to_owned(), 4),
            (110100, "A".to_owned(), 2),
            (110100, "DH".to_owned(), 1),
            (110100, "G".to_owned(), 1),
        ];

        let counts = fold_region_counts(groups, &schedule).expect("folds");

        assert_eq!(counts.len(), 2);
        assert_eq!(counts[0].region.as_u32(), 110100);
        assert_eq!(
            (
                counts[0].licences,
                counts[0].black,
                counts[0].red,
                counts[0].not_displayed
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(counts[0].enabled_from, Some(date!(2021 - 12 - 10)));
        assert_eq!((counts[1].licences, counts[1].enabled_from), (4, None));
    }

    #[test]
    fn purposes_round_trip_and_refuse_whitespace() {
        let purposes = vec!["car_rental".to_owned(), "insurance".to_owned()];
        let column = purposes_to_column(&purposes).expect("valid");
        assert_eq!(column, "car_rental insurance");
        assert_eq!(purposes_from_column(&column), purposes);
        assert!(purposes_from_column("").is_empty());
        for bad in ["car rental", "", "a\tb"] {
            assert!(
                matches!(
                    purposes_to_column(&[bad.to_owned()]),
                    Err(StoreError::Conflict {
                        constraint: "organisation_purposes"
                    })
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn verification_rollup_groups_by_beijing_day_region_and_purpose() {
        use time::macros::datetime;

        let verification = |at, region: Option<u32>, purpose: &str, result: &str| NewVerification {
            at,
            organisation_id: 1,
            api_key_id: None,
            user_id: None,
            purpose: purpose.to_owned(),
            channel: "api".to_owned(),
            result: result.to_owned(),
            file_number: None,
            region: region.map(|code| RegionCode::from_u32(code).expect("known region")),
        };
        let batch = [
            verification(
                datetime!(2025-03-01 17:00:00 UTC),
                Some(110100),
                "car_rental",
                "valid",
            ),
            verification(
                datetime!(2025-03-01 15:59:59 UTC),
                Some(110100),
                "car_rental",
                "not_valid",
            ),
            verification(
                datetime!(2025-03-02 01:00:00 +08:00),
                Some(110100),
                "car_rental",
                "not_valid",
            ),
            verification(
                datetime!(2025-03-01 12:00:00 UTC),
                None,
                "car_rental",
                "valid",
            ),
        ];

        let rollup: Vec<_> = verification_rollup(&batch).into_iter().collect();

        assert_eq!(
            rollup,
            [
                ((date!(2025 - 03 - 01), 0, "car_rental"), (1, 0)),
                ((date!(2025 - 03 - 01), 110100, "car_rental"), (0, 1)),
                ((date!(2025 - 03 - 02), 110100, "car_rental"), (1, 1)),
            ]
        );
        assert_eq!(
            rollup_day(datetime!(2025-03-01 16:00:00 UTC)),
            date!(2025 - 03 - 02)
        );

        let national: Vec<_> = national_verification_rollup(&verification_rollup(&batch))
            .into_iter()
            .collect();
        assert_eq!(
            national,
            [
                ((date!(2025 - 03 - 01), "car_rental"), (1, 1)),
                ((date!(2025 - 03 - 02), "car_rental"), (1, 1)),
            ]
        );
    }

    #[test]
    fn console_users_need_a_name_of_1_to_64_characters_and_their_roles_scope() {
        use crate::{ConsoleRole, NewConsoleUser};

        let user =
            |name: &str, role, authority: Option<i64>, organisation: Option<i64>| NewConsoleUser {
                username: name.to_owned(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
                role,
                authority_id: authority.map(AuthorityId),
                organisation_id: organisation,
                created_at: time::OffsetDateTime::UNIX_EPOCH,
            };
        let conflict = |user: &NewConsoleUser| match check_new_console_user(user) {
            Err(StoreError::Conflict { constraint }) => Some(constraint),
            _ => None,
        };

        assert_eq!(
            conflict(&user("admin", ConsoleRole::Platform, None, None)),
            None
        );
        assert_eq!(
            conflict(&user(&"管".repeat(64), ConsoleRole::Auditor, Some(1), None)),
            None
        );
        assert_eq!(
            conflict(&user("desk", ConsoleRole::Verifier, None, Some(1))),
            None
        );
        assert_eq!(
            conflict(&user(&"管".repeat(65), ConsoleRole::Platform, None, None)),
            Some("console_username_length")
        );
        assert_eq!(
            conflict(&user("", ConsoleRole::Platform, None, None)),
            Some("console_username_length")
        );
        assert_eq!(
            conflict(&user("op", ConsoleRole::Operator, None, Some(1))),
            Some("console_role_scope")
        );
    }
}
