//! The demo issuing authorities (the 28 cities of the September 2021 rollout) and the 2021 rollout phases.
//!
//! The authority names follow the usual pattern of a city's traffic police (交警支队, 交通管理局, 交警总队 for
//! municipalities); DOMAIN.md §2.6 notes the exact names were not verified, so they are plausible demo data,
//! not a registry extract.
//! The rollout dates are the public ones (DOMAIN.md §1.1); which 110 cities joined on 2021-10-20 was not published
//! in any source we hold, so that phase is an approximation (see `docs/decisions/synthetic-data.md`).

use edl_domain::{AuthorityName, IssuingAuthority, RegionCode, RegionLevel, RolloutEntry, regions};
use time::Date;
use time::macros::date;

/// The 28 cities that could claim e-licences from 2021-09-01: prefecture code, issuing authority.
///
/// The first three are the June 2021 pilot cities (天津, 成都, 苏州).
const CITIES_28: [(u32, &str); 28] = [
    (120100, "天津市公安局交通警察总队"),
    (510100, "成都市公安局交通管理局"),
    (320500, "苏州市公安局交通警察支队"),
    (110100, "北京市公安局公安交通管理局"),
    (130100, "石家庄市公安局交通管理局"),
    (220100, "长春市公安局交通警察支队"),
    (230600, "大庆市公安局交通警察支队"),
    (310100, "上海市公安局交通警察总队"),
    (320200, "无锡市公安局交通警察支队"),
    (320900, "盐城市公安局交通警察支队"),
    // 泰州 in Jiangsu (listed with the other Jiangsu cities), not 台州 in Zhejiang.
    (321200, "泰州市公安局交通警察支队"),
    (330200, "宁波市公安局交通警察局"),
    (330400, "嘉兴市公安局交通警察支队"),
    (360100, "南昌市公安局交通管理局"),
    (370100, "济南市公安局交通警察支队"),
    (370200, "青岛市公安局交通警察支队"),
    (430100, "长沙市公安局交通警察支队"),
    (440100, "广州市公安局交通警察支队"),
    (440300, "深圳市公安局交通警察局"),
    (450100, "南宁市公安局交通警察支队"),
    (500100, "重庆市公安局交通巡逻警察总队"),
    (510700, "绵阳市公安局交通警察支队"),
    (510300, "自贡市公安局交通警察支队"),
    (511300, "南充市公安局交通警察支队"),
    (520100, "贵阳市公安局交通管理局"),
    (610100, "西安市公安局交通警察支队"),
    (640100, "银川市公安局交通警察支队"),
    (530100, "昆明市公安局交通警察支队"),
];

/// How many of [`CITIES_28`] were the June 2021 pilot.
const PILOT_CITIES: usize = 3;

/// The 110 prefectures added on 2021-10-20 (making 138 cities), an approximation: every provincial capital not
/// already enabled, then large prefectures by population and economy, several per populous province.
const CITIES_110: [u32; 110] = [
    // Provincial capitals not among the 28.
    140100, 150100, 210100, 230100, 320100, 330100, 340100, 350100, 410100, 420100, 460100, 540100,
    620100, 630100, 650100, // 河北
    130200, 130300, 130400, 130500, 130600, 130700, 130800, 130900, 131000, 131100,
    // 山西, 内蒙古
    140200, 140400, 140700, 140800, 150200, 150600, // 辽宁, 吉林, 黑龙江
    210200, 210300, 210400, 210700, 210800, 220200, 230200, 231000, // 江苏
    320300, 320400, 320600, 320700, 320800, 321000, 321100, 321300, // 浙江
    330300, 330500, 330600, 330700, 331000, // 安徽, 福建, 江西
    340200, 340300, 340800, 341200, 350200, 350300, 350500, 350600, 360400, 360700,
    // 山东
    370300, 370600, 370700, 370800, 370900, 371000, 371100, 371300, 371400, 371500,
    // 河南, 湖北
    410200, 410300, 410400, 410500, 410700, 411300, 420200, 420300, 420500, 420600, 421000,
    // 湖南, 广东
    430200, 430300, 430400, 430600, 430700, 440400, 440500, 440600, 440700, 440800, 441300, 441900,
    442000, // 广西, 海南, 四川, 贵州, 云南
    450200, 450300, 460200, 510500, 510600, 511100, 511500, 520300, 530300, 530400,
    // 陕西, 甘肃, 宁夏
    610300, 610400, 620500, 640200,
];

/// The pilot start (天津, 成都, 苏州).
const PILOT_FROM: Date = date!(2021 - 06 - 01);
/// The 28-city start.
const CITIES_28_FROM: Date = date!(2021 - 09 - 01);
/// The 138-city start.
const CITIES_138_FROM: Date = date!(2021 - 10 - 20);
/// Nationwide claiming.
const NATIONWIDE_FROM: Date = date!(2021 - 12 - 10);

/// A region code from the tables above.
fn region(code: u32) -> RegionCode {
    // SAFETY-style justification: every code in this file is checked against the shipped region table by the
    // tests `every_demo_authority_is_a_known_prefecture` and `rollout_regions_are_known_and_distinct`.
    RegionCode::from_u32(code).expect("demo region codes are in the shipped table")
}

/// The issuing authorities of the 28 cities of the September 2021 rollout, each with its prefecture's region code
/// (for the municipalities, the 市辖区 grouping, e.g. `120100` for 天津).
///
/// The first three are the pilot cities 天津, 成都 and 苏州.
pub fn demo_authorities() -> Vec<IssuingAuthority> {
    CITIES_28
        .iter()
        .map(|&(code, name)| IssuingAuthority {
            // The names above are 2..=64 characters with no control characters; the tests check they parse.
            name: AuthorityName::parse(name).expect("demo authority names are valid"),
            region: region(code),
        })
        .collect()
}

/// The 2021 rollout as a schedule: the pilot (天津, 成都, 苏州 from 2021-06-01, phase `pilot`), the 28 cities
/// (2021-09-01, `28-cities`), 110 more prefectures making 138 (2021-10-20, `138-cities`, an approximation), and
/// every province from 2021-12-10 (`nationwide`).
///
/// Each region appears once, with the phase in which it joined; the provinces are listed for the nationwide phase
/// even though some of their prefectures joined earlier, since the earliest applicable entry wins.
pub fn rollout_phases() -> Vec<RolloutEntry> {
    let entry = |code: RegionCode, enabled_from: Date, phase: &str| RolloutEntry {
        region: code,
        enabled_from,
        phase: phase.to_owned(),
    };
    let mut entries = Vec::with_capacity(CITIES_28.len() + CITIES_110.len() + 31);
    for (i, &(code, _)) in CITIES_28.iter().enumerate() {
        let (from, phase) = if i < PILOT_CITIES {
            (PILOT_FROM, "pilot")
        } else {
            (CITIES_28_FROM, "28-cities")
        };
        entries.push(entry(region(code), from, phase));
    }
    for &code in &CITIES_110 {
        entries.push(entry(region(code), CITIES_138_FROM, "138-cities"));
    }
    // Mainland provinces only: the e-licence is not valid in Hong Kong or Macau (DOMAIN.md §1.2), and the shipped
    // table may list 台湾, 香港 and 澳门 (codes 71, 81, 82).
    for province in regions().filter(|r| r.level() == RegionLevel::Province && r.as_u32() < 710000)
    {
        entries.push(entry(province, NATIONWIDE_FROM, "nationwide"));
    }
    entries
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_demo_authority_is_a_known_prefecture() {
        let authorities = demo_authorities();
        assert_eq!(authorities.len(), 28);
        let regions: HashSet<_> = authorities.iter().map(|a| a.region).collect();
        assert_eq!(regions.len(), 28, "one authority per city");
        for a in &authorities {
            assert_eq!(a.region.level(), RegionLevel::Prefecture, "{}", a.region);
        }
        let names: Vec<_> = authorities[..3]
            .iter()
            .map(|a| a.name.to_string())
            .collect();
        assert_eq!(
            names,
            [
                "天津市公安局交通警察总队",
                "成都市公安局交通管理局",
                "苏州市公安局交通警察支队"
            ]
        );
    }

    #[test]
    fn rollout_regions_are_known_and_distinct() {
        let entries = rollout_phases();
        let mut seen = HashSet::new();
        for e in &entries {
            assert!(seen.insert(e.region), "{} listed twice", e.region);
        }
        let count = |phase: &str| entries.iter().filter(|e| e.phase == phase).count();
        assert_eq!(count("pilot"), 3);
        assert_eq!(count("pilot") + count("28-cities"), 28);
        assert_eq!(
            count("pilot") + count("28-cities") + count("138-cities"),
            138
        );
        assert_eq!(count("nationwide"), 31);
        for e in entries.iter().filter(|e| e.phase != "nationwide") {
            assert_eq!(e.region.level(), RegionLevel::Prefecture, "{}", e.region);
        }
    }
}
