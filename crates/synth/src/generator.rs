//! The deterministic generator: licence `i` of seed `s` is a pure function of `(s, i)`.
//!
//! Each licence draws from its own ChaCha8 stream (stream number = the licence's index), so licences can be made
//! in any order, in parallel, or skipped to, and `--count 10` is always a prefix of `--count 1000`.

use std::fmt::Write as _;

use edl_domain::{
    Address, C6_INTRODUCED, CitizenId, ClassSet, DrivingClass, FileNumber, IssuingAuthority,
    Licence, LicenceFields, Nationality, PersonName, PhoneNumber, Points, PointsCycle, RegionCode,
    RegionLevel, Sex, StatusLetter, StatusSet, Validity, ValidityEnd, ValidityTerm, add_years,
    regions,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::macros::date;
use time::{Date, Duration};

use crate::authorities::demo_authorities;
use crate::tables::{
    CLASS_MIXES, COMPOUNDS, GIVEN_ANY, GIVEN_FEMALE, GIVEN_MALE, POINTS_MIX, STATUS_MIXES, STREETS,
    SURNAMES,
};
use crate::weighted::Weighted;

/// Youngest age (on `today`) at which a generated holder has a professional class (A1 A2 A3 B1 B2).
const PROFESSIONAL_MIN_AGE: i32 = 24;
/// Share of male licence holders: 32.4 % of drivers were women at the end of 2020 (DOMAIN.md §4).
const MALE_SHARE: f64 = 0.676;
/// Earliest birth date drawn.
const BIRTH_EARLIEST: Date = date!(1950 - 01 - 01);
/// Latest birth date drawn (the generator also keeps every holder at least 18 on `today`).
const BIRTH_LATEST: Date = date!(2005 - 12 - 31);
/// Chance that a driver reaches the full score during a validity term, so the next term does not lengthen.
const FULL_SCORE_PER_TERM: f64 = 0.04;
/// Chance that a phone number is on record.
const PHONE_SHARE: f64 = 0.85;
/// Years after the 18th birthday at which people take their first licence, with weights (per 100).
const FIRST_LICENCE_AGE_OFFSET_YEARS: [((i64, i64), u32); 4] =
    [((0, 3), 35), ((3, 8), 30), ((8, 15), 20), ((15, 40), 15)];
/// The weight of status `M` among licences whose validity ended within the last year (the only ones that can
/// plausibly be 逾期未换证). Only about one licence in 25 qualifies (its last renewal fell within the last year),
/// so `M` needs this weight (against 995 for the other sets) to come out near 0.5 % overall.
const OVERDUE_M_WEIGHT: u32 = 130;
/// How long a licence may stay 逾期未换证 in the generated data (after that a registry would cancel it).
const OVERDUE_AT_MOST_DAYS: i64 = 365;

/// File-number suffixes are `index × FILE_NUMBER_MIX + offset (mod 10⁸)`. The multiplier is coprime to 10⁸ (odd,
/// not a multiple of 5), so the map is a bijection on `0..10⁸`: numbers are unique for the first 10⁸ indices of a
/// run, and consecutive licences do not get consecutive numbers.
const FILE_NUMBER_MIX: u64 = 61_803_399;
/// The modulus of the file-number suffix (eight digits).
const FILE_NUMBER_SUFFIXES: u64 = 100_000_000;

/// Generates synthetic licences deterministically from a seed.
///
/// Licence `i` depends only on the seed, `today` and `i` (see [`Generator::licence`]), never on which licences
/// were generated before it. The generator is also an endless [`Iterator`] starting at index 0.
///
/// What the data looks like (see `docs/decisions/synthetic-data.md`): holders of the given authorities' cities,
/// born 1950–2005 with a citizen ID from a county of the authority's prefecture, 68 % men, first licence after the
/// 18th birthday, validity following 6 → 10 → 长期 from the first issue, C1 ≈ 70 % and C2 ≈ 12 % with the usual
/// professional combinations, status A ≈ 95 %, points mostly 0, nationality CHN, and every licence built through
/// [`Licence::new`], so it satisfies all the domain's cross-field rules.
#[derive(Debug, Clone)]
pub struct Generator {
    seed: u64,
    today: Date,
    /// The seeded stream-0 generator; each licence clones it and switches to its own stream.
    base: ChaCha8Rng,
    places: Vec<Place>,
    birth_earliest: Date,
    birth_span_days: i64,
    file_number_offset: u64,
    surnames: Weighted<&'static str>,
    classes: Weighted<ClassSet>,
    /// The classes that replace a mix holding C6 on a validity starting before 2022-04-01, or a professional
    /// class for a holder too young for one: C1.
    everyday_classes: ClassSet,
    statuses: Weighted<StatusSet>,
    statuses_overdue: Weighted<StatusSet>,
    points: Weighted<u8>,
    first_licence_offset: Weighted<(i64, i64)>,
    next_index: u64,
}

/// An authority with what the generator needs about its area.
#[derive(Debug, Clone)]
struct Place {
    authority: IssuingAuthority,
    /// The first four digits of its file numbers: the region code without its last two digits.
    file_prefix: u32,
    /// Birth-place regions for citizen IDs (the counties of the area, or the area itself if it has none), each
    /// with the address prefix written before the street (e.g. `四川省成都市武侯区`).
    homes: Vec<(RegionCode, String)>,
}

/// Why a generator cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GeneratorError {
    /// No issuing authority was given.
    #[error("the generator needs at least one issuing authority")]
    NoAuthorities,
}

impl Generator {
    /// A generator for the 28 demo authorities ([`demo_authorities`]), with validity, status and points as of
    /// `today`.
    pub fn new(seed: u64, today: Date) -> Generator {
        // `demo_authorities` is never empty (a constant table of 28 cities).
        Generator::with_authorities(seed, today, demo_authorities())
            .expect("the demo authorities are not empty")
    }

    /// A generator whose licences are issued by `authorities`, each chosen with equal probability.
    pub fn with_authorities(
        seed: u64,
        today: Date,
        authorities: Vec<IssuingAuthority>,
    ) -> Result<Generator, GeneratorError> {
        if authorities.is_empty() {
            return Err(GeneratorError::NoAuthorities);
        }
        let places = authorities.into_iter().map(Place::new).collect();
        // Every holder is at least 18 on `today`, so a first issue between the 18th birthday and today exists.
        let adult_cutoff = add_years(today, -18).unwrap_or(today);
        let birth_latest = BIRTH_LATEST.min(adult_cutoff);
        let birth_earliest = BIRTH_EARLIEST.min(birth_latest);
        let class = |codes: &str| {
            // The class table is constant and checked by `every_table_entry_parses`.
            ClassSet::parse(codes).expect("class mixes in the table are valid")
        };
        let status = |letters: &str| {
            // The status table is constant and checked by `every_table_entry_parses`.
            StatusSet::parse(letters).expect("status mixes in the table are valid")
        };
        let not_m = |&(letters, weight): &(&'static str, u32)| {
            (status(letters), if letters == "M" { 0 } else { weight })
        };
        let overdue = |&(letters, weight): &(&'static str, u32)| {
            let weight = if letters == "M" {
                OVERDUE_M_WEIGHT
            } else {
                weight
            };
            (status(letters), weight)
        };
        Ok(Generator {
            seed,
            today,
            base: ChaCha8Rng::seed_from_u64(seed),
            places,
            birth_earliest,
            birth_span_days: (birth_latest - birth_earliest).whole_days(),
            file_number_offset: splitmix64(seed) % FILE_NUMBER_SUFFIXES,
            surnames: Weighted::new(SURNAMES.iter().copied()),
            classes: Weighted::new(CLASS_MIXES.iter().map(|&(c, w)| (class(c), w))),
            everyday_classes: class("C1"),
            statuses: Weighted::new(STATUS_MIXES.iter().map(not_m)),
            statuses_overdue: Weighted::new(STATUS_MIXES.iter().map(overdue)),
            points: Weighted::new(POINTS_MIX.iter().copied()),
            first_licence_offset: Weighted::new(FIRST_LICENCE_AGE_OFFSET_YEARS),
            next_index: 0,
        })
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The day the licences' validity, status and points are as of.
    pub fn today(&self) -> Date {
        self.today
    }

    /// The issuing authorities licences are drawn from.
    pub fn authorities(&self) -> impl Iterator<Item = &IssuingAuthority> + '_ {
        self.places.iter().map(|p| &p.authority)
    }

    /// The random stream of licence `index`.
    fn rng(&self, index: u64) -> ChaCha8Rng {
        let mut rng = self.base.clone();
        rng.set_stream(index);
        rng.set_word_pos(0);
        rng
    }

    /// The file number (档案编号) of licence `index`, without generating the rest of it: the issuing authority's
    /// four-digit prefix, then eight digits that are unique within the run for the first 10⁸ indices.
    pub fn file_number(&self, index: u64) -> FileNumber {
        let mut rng = self.rng(index);
        let place = &self.places[rng.random_range(0..self.places.len())];
        self.file_number_in(place, index)
    }

    /// The file number of licence `index` issued at `place`.
    fn file_number_in(&self, place: &Place, index: u64) -> FileNumber {
        let suffix = ((index % FILE_NUMBER_SUFFIXES) * FILE_NUMBER_MIX + self.file_number_offset)
            % FILE_NUMBER_SUFFIXES;
        let text = format!("{:04}{suffix:08}", place.file_prefix);
        // Four digits (a six-digit region code divided by 100) and eight zero-padded digits.
        FileNumber::parse(&text).expect("a generated file number is 12 digits")
    }

    /// Licence number `index` of this seed.
    pub fn licence(&self, index: u64) -> Licence {
        let mut rng = self.rng(index);
        let today = self.today;

        // The first draw must stay the authority: `file_number` repeats it.
        let place = &self.places[rng.random_range(0..self.places.len())];
        let (home, address_prefix) = &place.homes[rng.random_range(0..place.homes.len())];

        let sex = if rng.random_bool(MALE_SHARE) {
            Sex::Male
        } else {
            Sex::Female
        };
        let birth_date =
            self.birth_earliest + Duration::days(rng.random_range(0..=self.birth_span_days));
        // GB 11643: an odd sequence number is a man, an even one a woman; 1..=999 and 2..=998.
        let sequence = match sex {
            Sex::Male => 2 * rng.random_range(0..500u16) + 1,
            Sex::Female => 2 * rng.random_range(0..499u16) + 2,
        };
        // The home region is in the shipped table, the birth year is 1950..=2005 and the sequence is at most 999.
        let citizen_id = CitizenId::from_parts(*home, birth_date, sequence)
            .expect("generated citizen ID parts are valid");

        let first_issue = self.first_issue(&mut rng, birth_date);
        let (current, overdue) = validity_chain(&mut rng, first_issue, today);

        let status = if overdue.is_some() {
            *self.statuses_overdue.pick(&mut rng)
        } else {
            *self.statuses.pick(&mut rng)
        };
        let validity = match overdue {
            Some(expired) if status.contains(StatusLetter::M) => expired,
            _ => current,
        };

        let mut classes = *self.classes.pick(&mut rng);
        if classes.contains(DrivingClass::C6) && validity.start() < C6_INTRODUCED {
            classes = self.everyday_classes;
        }
        // Bus, lorry and tractor classes are added (增驾) after years of driving, from age 20 or 22 on; young
        // holders keep the everyday classes.
        let young = add_years(birth_date, PROFESSIONAL_MIN_AGE).is_none_or(|d| d > today);
        if young && classes.iter().any(is_professional) {
            classes = self.everyday_classes;
        }

        let cycle = PointsCycle::containing(first_issue, today);
        let total = if status.contains(StatusLetter::B) {
            12 + rng.random_range(0..=6u8)
        } else {
            *self.points.pick(&mut rng)
        };
        let points = Points::new(cycle.start(), total);

        let name = self.name(&mut rng, sex);
        let address = address(&mut rng, address_prefix);
        let phone = rng.random_bool(PHONE_SHARE).then(|| phone(&mut rng));

        let fields = LicenceFields {
            file_number: self.file_number_in(place, index),
            citizen_id,
            name,
            sex,
            nationality: Nationality::CHINA,
            birth_date,
            address,
            first_issue,
            classes,
            validity,
            authority: place.authority.clone(),
            status,
            points,
            phone,
            edition: 1,
        };
        // Every rule of `Licence::new` holds by construction (birth date and sex from the ID, first issue after
        // the 18th birthday, validity from the first issue on, C6 only from 2022-04-01, 12+ points only with B,
        // the cycle containing today); the tests check it over many seeds and indices.
        Licence::new(fields).expect("generated licences satisfy Licence::new")
    }

    /// The first issue date: after the 18th birthday, mostly within a few years of it, never after today.
    fn first_issue(&self, rng: &mut ChaCha8Rng, birth_date: Date) -> Date {
        let adult = add_years(birth_date, 18).unwrap_or(birth_date);
        let span = (self.today - adult).whole_days().max(0);
        let (from_years, to_years) = *self.first_licence_offset.pick(rng);
        let mut offset = rng.random_range(from_years * 365..to_years * 365);
        if offset > span {
            offset = rng.random_range(0..=span);
        }
        adult + Duration::days(offset)
    }

    /// A name: a surname and one or two given-name characters (three in four have two).
    fn name(&self, rng: &mut ChaCha8Rng, sex: Sex) -> PersonName {
        let own: &[&str] = match sex {
            Sex::Male => GIVEN_MALE,
            Sex::Female => GIVEN_FEMALE,
        };
        let mut text = String::with_capacity(12);
        text.push_str(self.surnames.pick(rng));
        if rng.random_bool(0.75) {
            let first = if rng.random_bool(0.5) { GIVEN_ANY } else { own };
            text.push_str(first[rng.random_range(0..first.len())]);
        }
        text.push_str(own[rng.random_range(0..own.len())]);
        // Two to five CJK characters from the tables: no digits, no control characters, well under 30.
        PersonName::parse(&text).expect("generated names are valid")
    }
}

impl Iterator for Generator {
    type Item = Licence;

    /// The licence at the current index (starting at 0), then the next index.
    fn next(&mut self) -> Option<Licence> {
        let licence = self.licence(self.next_index);
        self.next_index += 1;
        Some(licence)
    }

    /// Skips `n` licences without generating them.
    fn nth(&mut self, n: usize) -> Option<Licence> {
        self.next_index = self.next_index.saturating_add(n as u64);
        self.next()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (usize::MAX, None)
    }
}

impl Place {
    /// Looks up the counties of the authority's area and their address prefixes.
    fn new(authority: IssuingAuthority) -> Place {
        let area = authority.region;
        let mut homes: Vec<(RegionCode, String)> = regions()
            // The province test is arithmetic; `contains` looks the prefecture up, so it goes last.
            .filter(|r| {
                r.level() == RegionLevel::County
                    && !is_special_zone(*r)
                    && r.province() == area.province()
                    && area.contains(r)
            })
            .map(|r| (r, address_prefix(r)))
            .collect();
        if homes.is_empty() {
            homes.push((area, address_prefix(area)));
        }
        Place {
            file_prefix: area.as_u32() / 100,
            authority,
            homes,
        }
    }
}

/// Whether a county-level code is one of the development zones the vendored table lists with codes `xxxx7x`
/// (e.g. 370176 济南高新技术产业开发区). GB/T 2260 itself numbers districts 01–20, counties 21–80 and county-level
/// cities 81–99, but in practice the 7x codes in the table are all such zones, which issue no citizen IDs of their
/// own, so they are not used as birth places.
fn is_special_zone(region: RegionCode) -> bool {
    region.as_u32() % 100 / 10 == 7
}

/// The validity in force on `today` when renewals follow 6 → 10 → 长期 from the first issue (a full-score term
/// repeats its length), and, if the previous validity ended within the last year, that one (for 逾期未换证).
fn validity_chain(
    rng: &mut ChaCha8Rng,
    first_issue: Date,
    today: Date,
) -> (Validity, Option<Validity>) {
    let mut term = ValidityTerm::SixYears;
    let mut current = Validity::for_term(first_issue, term);
    let mut previous = None;
    while current.expired_on(today) {
        let ValidityEnd::On(end) = current.end() else {
            break;
        };
        term = term.next(rng.random_bool(FULL_SCORE_PER_TERM));
        previous = Some(current);
        // A renewed licence's validity starts on the day the old one ends, as on real licences.
        current = Validity::for_term(end, term);
    }
    let overdue = previous.filter(|p| {
        p.end()
            .date()
            .is_some_and(|end| (today - end).whole_days() <= OVERDUE_AT_MOST_DAYS)
    });
    (current, overdue)
}

/// The address prefix of a region: province, prefecture and county names, leaving out the table's grouping
/// entries (a municipality's 市辖区 / 县, a province's directly administered counties).
fn address_prefix(region: RegionCode) -> String {
    let mut parts = vec![region.province()];
    if let Some(prefecture) = region.prefecture() {
        parts.push(prefecture);
    }
    if region.level() == RegionLevel::County {
        parts.push(region);
    }
    let mut text = String::new();
    for part in parts {
        let name = part.name();
        let grouping = matches!(name, "市辖区" | "县")
            || name.ends_with("直辖县级行政区划")
            || text.ends_with(name);
        if !grouping {
            text.push_str(name);
        }
    }
    text
}

/// A street address after `prefix`: a street and number, often with a compound, building, unit and room.
fn address(rng: &mut ChaCha8Rng, prefix: &str) -> Address {
    let mut text = String::with_capacity(prefix.len() + 64);
    text.push_str(prefix);
    text.push_str(STREETS[rng.random_range(0..STREETS.len())]);
    // Writing to a String cannot fail.
    let _ = write!(text, "{}号", rng.random_range(1..=999u16));
    if rng.random_bool(0.6) {
        let compound = COMPOUNDS[rng.random_range(0..COMPOUNDS.len())];
        let building = rng.random_range(1..=30u8);
        let unit = rng.random_range(1..=6u8);
        let room =
            u16::from(rng.random_range(1..=33u8)) * 100 + u16::from(rng.random_range(1..=4u8));
        let _ = write!(text, "{compound}{building}栋{unit}单元{room}室");
    }
    // Region names, a street and numbers: no control characters, at most about 40 characters.
    Address::parse(&text).expect("generated addresses are valid")
}

/// A mobile number `1[3-9]` followed by nine digits.
fn phone(rng: &mut ChaCha8Rng) -> PhoneNumber {
    let mut text = String::with_capacity(11);
    text.push('1');
    text.push(char::from(b'0' + rng.random_range(3..=9u8)));
    for _ in 0..9 {
        text.push(char::from(b'0' + rng.random_range(0..=9u8)));
    }
    // Eleven digits starting 13..19.
    PhoneNumber::parse(&text).expect("generated phone numbers are valid")
}

/// Whether `class` is a professional (bus, lorry, tractor) class.
fn is_professional(class: DrivingClass) -> bool {
    use DrivingClass::{A1, A2, A3, B1, B2};
    matches!(class, A1 | A2 | A3 | B1 | B2)
}

/// SplitMix64's finaliser: spreads a seed's bits, so nearby seeds get unrelated file-number offsets.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_entry_parses() {
        for &(codes, _) in CLASS_MIXES {
            ClassSet::parse(codes).unwrap_or_else(|e| panic!("{codes}: {e}"));
        }
        for &(letters, _) in STATUS_MIXES {
            StatusSet::parse(letters).unwrap_or_else(|e| panic!("{letters}: {e}"));
        }
        for &(surname, _) in SURNAMES {
            PersonName::parse(surname).unwrap_or_else(|e| panic!("{surname}: {e}"));
        }
    }

    #[test]
    fn address_prefixes_skip_grouping_names() {
        let r = |code| RegionCode::from_u32(code).expect("in table");
        assert_eq!(address_prefix(r(120101)), "天津市和平区");
        assert_eq!(address_prefix(r(510107)), "四川省成都市武侯区");
        assert_eq!(address_prefix(r(441900)), "广东省东莞市");
    }

    #[test]
    fn file_number_suffixes_are_a_bijection_on_small_ranges() {
        // 10⁸ is 2⁸·5⁸; the multiplier must share no factor with it.
        assert_eq!(FILE_NUMBER_MIX % 2, 1);
        assert_ne!(FILE_NUMBER_MIX % 5, 0);
    }

    #[test]
    fn an_authority_without_counties_uses_its_own_region() {
        let area = RegionCode::from_u32(441900).expect("东莞 is in the table");
        let authority = IssuingAuthority {
            name: edl_domain::AuthorityName::parse("东莞市公安局交通警察支队").expect("valid"),
            region: area,
        };
        let generator = Generator::with_authorities(1, date!(2025 - 01 - 01), vec![authority])
            .expect("one authority");
        let licence = generator.licence(0);
        assert_eq!(licence.citizen_id().address_code(), "441900");
        assert!(licence.file_number().as_str().starts_with("4419"));
    }

    #[test]
    fn no_authorities_is_an_error() {
        assert_eq!(
            Generator::with_authorities(1, date!(2025 - 01 - 01), Vec::new()).err(),
            Some(GeneratorError::NoAuthorities)
        );
    }
}
