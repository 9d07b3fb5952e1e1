//! The Latin (pinyin) form of a Chinese name, for the Latin-1 `family_name` / `given_name` of
//! ISO 18013-5, and the split of a 姓名 into surname and given name.
//!
//! Rules (decided in `docs/decisions/mdoc.md`): upper-case pinyin without tones, the syllables of
//! each part run together as on a Chinese passport (张小明 → ZHANG / XIAOMING), ü written YU
//! (吕 → LYU, the passport convention since 2012). A compound surname from the table below takes
//! two characters; common surnames read differently from their everyday reading use the surname
//! reading (曾 → ZENG, 单 → SHAN). Names with a middle dot (minority names such as 买买提·艾力)
//! keep the part after the last dot as the family name. Latin letters already in a name are
//! kept; characters without a pinyin reading are left out of the Latin form (the national form
//! always carries the name exactly).

use pinyin::ToPinyin;

/// Two-character surnames (复姓) recognised when a name starts with one.
const COMPOUND_SURNAMES: [&str; 24] = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "万俟", "闻人", "澹台",
];

/// Surname readings that differ from the character's usual reading.
const SURNAME_READINGS: [(&str, &str); 18] = [
    ("曾", "ZENG"),
    ("单", "SHAN"),
    ("解", "XIE"),
    ("仇", "QIU"),
    ("朴", "PIAO"),
    ("区", "OU"),
    ("查", "ZHA"),
    ("盖", "GE"),
    ("覃", "QIN"),
    ("乐", "YUE"),
    ("缪", "MIAO"),
    ("尉迟", "YUCHI"),
    ("万俟", "MOQI"),
    ("长孙", "ZHANGSUN"),
    ("宓", "MI"),
    ("种", "CHONG"),
    ("秘", "BI"),
    ("翟", "ZHAI"),
];

/// A name split into its family and given parts, in one script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameParts {
    /// The family name (surname).
    pub family: String,
    /// The given name.
    pub given: String,
}

/// Splits a 姓名 into surname and given name.
pub fn split_name(name: &str) -> NameParts {
    if let Some(dot) = name.rfind(['·', '•', '.']) {
        let dot_len = name[dot..].chars().next().map_or(1, char::len_utf8);
        return NameParts {
            family: name[dot + dot_len..].to_owned(),
            given: name[..dot].to_owned(),
        };
    }
    let surname_chars =
        if COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) && name.chars().count() > 2 {
            2
        } else {
            1
        };
    let split = name
        .char_indices()
        .nth(surname_chars)
        .map_or(name.len(), |(i, _)| i);
    NameParts {
        family: name[..split].to_owned(),
        given: name[split..].to_owned(),
    }
}

/// The Latin form of a name, split as [`split_name`] splits it.
pub fn latin_name(name: &str) -> NameParts {
    latin_parts(&split_name(name))
}

/// The Latin form of a name already split into its national parts.
pub(crate) fn latin_parts(national: &NameParts) -> NameParts {
    let family = SURNAME_READINGS
        .iter()
        .find(|(han, _)| *han == national.family)
        .map_or_else(
            || romanise(&national.family),
            |(_, latin)| (*latin).to_owned(),
        );
    NameParts {
        family,
        given: romanise(&national.given),
    }
}

/// Upper-case pinyin of `text`, syllables run together; a middle dot becomes a space.
pub fn romanise(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    push_romanised(&mut out, text);
    match out.trim() {
        trimmed if trimmed.len() == out.len() => out,
        trimmed => trimmed.to_owned(),
    }
}

/// Appends the upper-case pinyin of `text` to `out` (untrimmed): ü (written ü or v) as YU, each
/// reading upper-cased in place rather than through temporary strings.
fn push_romanised(out: &mut String, text: &str) {
    for (c, reading) in text.chars().zip(text.to_pinyin()) {
        match reading {
            Some(p) => {
                for letter in p.plain().chars() {
                    match letter {
                        'ü' | 'v' => out.push_str("YU"),
                        l if l.is_ascii() => out.push(l.to_ascii_uppercase()),
                        l => out.extend(l.to_uppercase()),
                    }
                }
            }
            None if c.is_ascii_alphabetic() => out.push(c.to_ascii_uppercase()),
            None if matches!(c, '·' | '•' | ' ' | '-') => out.push(' '),
            None => {}
        }
    }
}

/// The most characters ISO 18013-5 allows in a Latin-1 name field.
pub const MAX_LATIN_CHARS: usize = 150;

/// The Latin form of an authority name for the Latin-1 `issuing_authority`: upper-case pinyin
/// syllables separated by spaces (天津市公安局 → TIAN JIN SHI GONG AN JU), cut at a syllable
/// boundary to [`MAX_LATIN_CHARS`]. The exact name is in the domestic `issuing_authority_name`.
pub fn romanise_authority(name: &str) -> String {
    let mut out = String::with_capacity(MAX_LATIN_CHARS.min(name.len() * 2));
    // One character's syllable at a time, in one reused buffer.
    let mut buffer = String::with_capacity(8);
    for c in name.chars() {
        buffer.clear();
        push_romanised(&mut buffer, c.encode_utf8(&mut [0; 4]));
        let syllable = buffer.trim();
        if syllable.is_empty() {
            continue;
        }
        if out.len() + 1 + syllable.len() > MAX_LATIN_CHARS {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(syllable);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latin(name: &str) -> (String, String) {
        let p = latin_name(name);
        (p.family, p.given)
    }

    #[test]
    fn names_split_and_romanise_as_on_a_passport() {
        assert_eq!(latin("张小明"), ("ZHANG".into(), "XIAOMING".into()));
        assert_eq!(latin("王芳"), ("WANG".into(), "FANG".into()));
        assert_eq!(latin("欧阳娜娜"), ("OUYANG".into(), "NANA".into()));
        assert_eq!(latin("吕布"), ("LYU".into(), "BU".into()));
        assert_eq!(latin("曾国藩"), ("ZENG".into(), "GUOFAN".into()));
        assert_eq!(latin("单田芳"), ("SHAN".into(), "TIANFANG".into()));
        let dotted = split_name("买买提·艾力");
        assert_eq!(
            (dotted.family.as_str(), dotted.given.as_str()),
            ("艾力", "买买提")
        );
        assert_eq!(latin("买买提·艾力"), ("AILI".into(), "MAIMAITI".into()));
        // A two-character name whose characters form a compound surname is surname + given.
        assert_eq!(split_name("欧阳").family, "欧");
    }

    #[test]
    fn authority_names_become_spaced_syllables_within_the_limit() {
        assert_eq!(
            romanise_authority("天津市公安局"),
            "TIAN JIN SHI GONG AN JU"
        );
        let long = romanise_authority(&"新疆维吾尔自治区公安厅交通管理局".repeat(4));
        assert!(long.len() <= MAX_LATIN_CHARS && long.ends_with(|c: char| c.is_ascii_alphabetic()));
    }

    /// The romanisation as first written (a string per syllable), to compare with.
    fn romanise_reference(text: &str) -> String {
        let mut out = String::new();
        for (c, reading) in text.chars().zip(text.to_pinyin()) {
            match reading {
                Some(p) => out.push_str(&p.plain().replace(['ü', 'v'], "yu").to_uppercase()),
                None if c.is_ascii_alphabetic() => out.push(c.to_ascii_uppercase()),
                None if matches!(c, '·' | '•' | ' ' | '-') => out.push(' '),
                None => {}
            }
        }
        out.trim().to_owned()
    }

    #[test]
    fn romanising_in_place_gives_what_the_string_per_syllable_form_gave() {
        // Every character of the common CJK block, alone and in runs, and mixed text.
        let all: Vec<char> = ('\u{4e00}'..='\u{9fff}').collect();
        for c in &all {
            let text = c.to_string();
            assert_eq!(romanise(&text), romanise_reference(&text), "{c}");
        }
        for run in all.chunks(7) {
            let text: String = run.iter().collect();
            assert_eq!(romanise(&text), romanise_reference(&text));
        }
        for text in ["吕·买买提 Anna-李", " 绿 ", "·", "", "ÄÖ女"] {
            assert_eq!(romanise(text), romanise_reference(text), "{text}");
        }
    }

    #[test]
    fn the_latin_form_is_latin_1() {
        for name in ["绿叶", "女娲", "李四", "诸葛亮", "Anna李"] {
            let p = latin_name(name);
            assert!(
                p.family
                    .chars()
                    .chain(p.given.chars())
                    .all(|c| (c as u32) < 0x100),
                "{name}"
            );
        }
        assert_eq!(latin("女娲").0, "NYU");
    }
}
