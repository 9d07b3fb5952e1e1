//! Properties of the synthetic licence generator: determinism, prefixes, domain validity and realistic mixes.

use std::collections::{HashMap, HashSet};

use edl_domain::{
    DrivingClass, Licence, RegionCode, StatusLetter, StatusSet, ValidityEnd, add_years,
};
use edl_synth::{Generator, demo_authorities};
use time::Date;
use time::macros::date;

const TODAY: Date = date!(2025 - 06 - 30);

/// Everything about a licence, as text, so two licences can be compared field by field in failure messages.
fn fingerprint(l: &Licence) -> String {
    format!(
        "{} {} {} {} {} {} {} {} {} {}..{} {}/{} {} {}@{} {:?} {}",
        l.file_number().as_str(),
        l.citizen_id().as_str(),
        l.name().as_str(),
        l.sex(),
        l.nationality().code(),
        l.birth_date(),
        l.address().as_str(),
        l.first_issue(),
        l.classes(),
        l.validity().start(),
        l.validity().end(),
        l.authority().name.as_str(),
        l.authority().region,
        l.status(),
        l.points().total(),
        l.points().cycle_start(),
        l.phone().map(|p| p.as_str().to_owned()),
        l.edition(),
    )
}

#[test]
fn the_same_seed_gives_the_same_licences() {
    let a: Vec<_> = Generator::new(42, TODAY)
        .take(500)
        .map(|l| fingerprint(&l))
        .collect();
    let b: Vec<_> = Generator::new(42, TODAY)
        .take(500)
        .map(|l| fingerprint(&l))
        .collect();
    assert_eq!(a, b);
    let other: Vec<_> = Generator::new(43, TODAY)
        .take(500)
        .map(|l| fingerprint(&l))
        .collect();
    let same = a.iter().zip(&other).filter(|(x, y)| x == y).count();
    assert_eq!(same, 0, "another seed gives other licences");
}

#[test]
fn a_short_run_is_a_prefix_of_a_long_one() {
    let short: Vec<Licence> = Generator::new(7, TODAY).take(10).collect();
    let long: Vec<Licence> = Generator::new(7, TODAY).take(1000).collect();
    assert_eq!(short[..], long[..10]);
}

#[test]
fn licence_i_depends_only_on_seed_and_i() {
    let generator = Generator::new(99, TODAY);
    let in_order: Vec<Licence> = generator.clone().take(300).collect();
    // Random access, backwards.
    for i in (0..300u64).rev() {
        assert_eq!(generator.licence(i), in_order[i as usize], "index {i}");
    }
    // Skipping with `nth` does not generate the skipped licences but lands on the same one.
    let mut skipping = generator.clone();
    assert_eq!(skipping.nth(123), Some(in_order[123].clone()));
    assert_eq!(skipping.next(), Some(in_order[124].clone()));
}

#[test]
fn every_licence_passes_the_domain_checks_on_many_days() {
    for (seed, today) in [
        (1, date!(2021 - 06 - 01)),
        (2, date!(2022 - 04 - 01)),
        (3, TODAY),
        (4, date!(2024 - 02 - 29)),
        (5, date!(2040 - 01 - 01)),
    ] {
        for licence in Generator::new(seed, today).take(5_000) {
            let fields = licence.clone().into_fields();
            assert_eq!(Licence::new(fields).as_ref(), Ok(&licence));
            let adult = add_years(licence.birth_date(), 18).expect("in range");
            assert!(adult <= licence.first_issue() && licence.first_issue() <= today);
            assert!(licence.validity().start() <= today);
            assert_eq!(licence.edition(), 1);
            assert_eq!(licence.nationality().code(), "CHN");
            let year = licence.birth_date().year();
            assert!((1950..=2005).contains(&year), "born {year}");
            if licence.status().contains(StatusLetter::M) {
                assert!(licence.validity().expired_on(today), "M means overdue");
            } else {
                assert!(licence.validity().is_valid_on(today), "current validity");
            }
        }
    }
}

#[test]
fn the_id_region_is_inside_the_authoritys_prefecture() {
    for licence in Generator::new(11, TODAY).take(20_000) {
        let home = RegionCode::parse(licence.citizen_id().address_code()).expect("a known region");
        let area = licence.authority().region;
        assert!(
            area == home || area.contains(&home),
            "{home} outside {area}"
        );
        assert_ne!(home.as_u32() % 100 / 10, 7, "not a development zone");
        let prefix = format!("{:04}", area.as_u32() / 100);
        assert!(licence.file_number().as_str().starts_with(&prefix));
        let province = area.province().name();
        assert!(licence.address().as_str().starts_with(province));
    }
}

#[test]
fn the_mixes_are_roughly_as_intended_over_100k() {
    const N: usize = 100_000;
    let mut classes: HashMap<String, usize> = HashMap::new();
    let mut statuses: HashMap<String, usize> = HashMap::new();
    let mut authorities: HashMap<RegionCode, usize> = HashMap::new();
    let (mut men, mut zero_points, mut indefinite, mut phones, mut c6) = (0, 0, 0, 0, 0);
    for licence in Generator::new(2025, TODAY).take(N) {
        *classes.entry(licence.classes().to_string()).or_default() += 1;
        *statuses.entry(licence.status().to_string()).or_default() += 1;
        *authorities.entry(licence.authority().region).or_default() += 1;
        men += usize::from(licence.sex() == edl_domain::Sex::Male);
        zero_points += usize::from(licence.points().total() == 0);
        indefinite += usize::from(licence.validity().end() == ValidityEnd::Indefinite);
        phones += usize::from(licence.phone().is_some());
        c6 += usize::from(licence.classes().contains(DrivingClass::C6));
        if licence.status().contains(StatusLetter::B) {
            assert!(licence.points().total() >= 12);
        } else {
            assert!(licence.points().total() < 12);
        }
    }
    let share = |count: usize| count as f64 / N as f64;
    let class_share = |codes: &str| share(classes.get(codes).copied().unwrap_or(0));
    let status_share = |letters: &str| share(statuses.get(letters).copied().unwrap_or(0));

    assert!(
        (0.68..0.72).contains(&class_share("C1")),
        "C1 {}",
        class_share("C1")
    );
    assert!(
        (0.11..0.13).contains(&class_share("C2")),
        "C2 {}",
        class_share("C2")
    );
    for combo in ["C1E", "C1D", "A2D", "B2E", "A1", "A2", "B1", "B2"] {
        assert!(
            class_share(combo) > 0.0005,
            "{combo} {}",
            class_share(combo)
        );
    }
    assert!(c6 > 0, "some C6 on validities from 2022-04-01");

    assert!(
        (0.94..0.96).contains(&status_share("A")),
        "A {}",
        status_share("A")
    );
    for letters in ["H", "I", "HI", "B", "D", "M", "S", "U", "F", "G", "E"] {
        let s = status_share(letters);
        assert!(s > 0.0003 && s < 0.03, "{letters} {s}");
    }
    let m = status_share("M");
    assert!((0.002..0.01).contains(&m), "M {m}");
    for letters in statuses.keys() {
        StatusSet::parse(letters).expect("a valid set");
    }

    assert!((0.66..0.70).contains(&share(men)), "men {}", share(men));
    assert!(
        (0.60..0.70).contains(&share(zero_points)),
        "no points {}",
        share(zero_points)
    );
    assert!(
        (0.83..0.87).contains(&share(phones)),
        "phones {}",
        share(phones)
    );
    assert!(
        share(indefinite) > 0.2,
        "older drivers have 长期: {}",
        share(indefinite)
    );

    assert_eq!(
        authorities.len(),
        demo_authorities().len(),
        "every city issues"
    );
    let fewest = authorities.values().min().copied().unwrap_or(0);
    assert!(fewest > N / 28 / 2, "roughly even across cities");
}

#[test]
fn file_numbers_are_unique_over_a_million() {
    let generator = Generator::new(5, TODAY);
    let mut seen = HashSet::with_capacity(1_000_000);
    for i in 0..1_000_000u64 {
        let number = generator.file_number(i);
        assert!(seen.insert(number.as_str().to_owned()), "duplicate at {i}");
    }
    // `file_number` agrees with the full licence.
    for i in (0..1_000_000u64).step_by(9_973) {
        assert_eq!(
            generator.licence(i).file_number(),
            &generator.file_number(i)
        );
    }
}

#[test]
fn generated_text_fits_gbk_exports() {
    // Registry files are often GBK; every character the generator writes must exist there.
    for licence in Generator::new(8, TODAY).take(20_000) {
        for text in [
            licence.name().as_str(),
            licence.address().as_str(),
            licence.authority().name.as_str(),
        ] {
            assert!(
                text.chars()
                    .all(|c| c.is_ascii() || ('\u{4E00}'..='\u{9FA5}').contains(&c)),
                "only ASCII and basic CJK (all in GBK)"
            );
        }
    }
}
