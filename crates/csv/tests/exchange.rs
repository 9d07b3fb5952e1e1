//! Reading and writing exchange files: round trips in both encodings, header checks, every row rejection,
//! stopping failures, digests, and robustness against arbitrary bytes.

use std::io::{self, Read};
use std::sync::OnceLock;

use edl_csv::{
    Column, Encoding, EncodingChoice, FieldError, HeaderCell, HeaderError, HeaderLanguage,
    MAX_RECORD_BYTES, ParsedRow, ReadError, RowError, RowOutcome, RowReader, RowRejected,
    RowWriter, WriteError, file_sha256, licence_digest,
};
use edl_domain::{Licence, LicenceError, PersonName};
use edl_synth::Generator;
use proptest::prelude::*;
use sha2::{Digest, Sha256};
use time::macros::date;

// ---- helpers ----------------------------------------------------------------------------------------------------

fn licences(n: usize) -> Vec<Licence> {
    Generator::new(20250630, date!(2025 - 06 - 30))
        .take(n)
        .collect()
}

fn write_file(licences: &[Licence], encoding: Encoding, language: HeaderLanguage) -> Vec<u8> {
    let mut writer = RowWriter::with_header(Vec::new(), encoding, language).expect("header");
    for licence in licences {
        writer.write(licence).expect("write");
    }
    writer.finish().expect("finish")
}

fn read_all(bytes: &[u8], choice: EncodingChoice) -> Result<Vec<RowOutcome>, ReadError> {
    RowReader::new(bytes, choice)?.collect()
}

fn parsed(outcomes: &[RowOutcome]) -> Vec<&ParsedRow> {
    outcomes
        .iter()
        .map(|o| match o {
            RowOutcome::Parsed(p) => p,
            RowOutcome::Rejected(r) => panic!("unexpected rejection: {r}"),
        })
        .collect()
}

fn rejection(outcome: &RowOutcome) -> RowRejected {
    match outcome {
        RowOutcome::Rejected(r) => *r,
        RowOutcome::Parsed(p) => panic!("line {} was accepted", p.line),
    }
}

const HEADER_ZH: &str = "档案编号,证号,姓名,性别,国籍,出生日期,住址,初次领证日期,准驾车型,有效期起始日期,有效期截止日期,发证机关,发证机关地区代码,状态,累积记分,记分周期起始日期,手机号码";

/// A valid record as its seventeen fields (no field of this record needs quoting).
fn valid_fields() -> Vec<String> {
    static FIELDS: OnceLock<Vec<String>> = OnceLock::new();
    FIELDS
        .get_or_init(|| {
            let file = write_file(&licences(1), Encoding::Utf8, HeaderLanguage::Chinese);
            let text = String::from_utf8(file).expect("utf-8");
            let line = text.lines().nth(1).expect("one record");
            line.split(',').map(str::to_owned).collect()
        })
        .clone()
}

/// A UTF-8 file with the Chinese header and the given records.
fn file_with(records: &[Vec<String>]) -> Vec<u8> {
    let mut text = String::from(HEADER_ZH);
    text.push('\n');
    for record in records {
        text.push_str(&record.join(","));
        text.push('\n');
    }
    text.into_bytes()
}

/// The outcome of reading one record with `column` replaced by `value`.
fn with_field(column: Column, value: &str) -> RowOutcome {
    let mut fields = valid_fields();
    fields[column.index()] = value.to_owned();
    let mut outcomes = read_all(&file_with(&[fields]), EncodingChoice::Auto).expect("readable");
    assert_eq!(outcomes.len(), 1);
    outcomes.remove(0)
}

fn invalid(column: Column, value: &str) -> FieldError {
    match rejection(&with_field(column, value)).reason {
        RowError::InvalidField { column: c, error } => {
            assert_eq!(c, column);
            error
        }
        other => panic!("{column}: expected InvalidField, got {other:?}"),
    }
}

// ---- round trips ------------------------------------------------------------------------------------------------

#[test]
fn utf8_round_trip() {
    let originals = licences(2_000);
    let file = write_file(&originals, Encoding::Utf8, HeaderLanguage::Chinese);
    assert!(file.starts_with(HEADER_ZH.as_bytes()));
    let reader = RowReader::new(&file[..], EncodingChoice::Auto).expect("header");
    assert_eq!(reader.encoding(), Encoding::Utf8);
    assert_eq!(reader.header_language(), HeaderLanguage::Chinese);
    let outcomes: Vec<_> = reader.collect::<Result<_, _>>().expect("no I/O error");
    let rows = parsed(&outcomes);
    assert_eq!(rows.len(), originals.len());
    for (i, (row, original)) in rows.iter().zip(&originals).enumerate() {
        assert_eq!(&row.licence, original);
        assert_eq!(row.line, i as u64 + 2, "the header is line 1");
        assert_eq!(row.digest, licence_digest(original));
    }
}

#[test]
fn gbk_round_trip_and_the_digest_ignores_encoding_and_header_language() {
    let originals = licences(2_000);
    let gbk = write_file(&originals, Encoding::Gbk, HeaderLanguage::Chinese);
    assert!(std::str::from_utf8(&gbk).is_err(), "really GBK");
    let reader = RowReader::new(&gbk[..], EncodingChoice::Auto).expect("header");
    assert_eq!(reader.encoding(), Encoding::Gbk, "sniffed");
    let outcomes: Vec<_> = reader.collect::<Result<_, _>>().expect("no I/O error");
    let from_gbk = parsed(&outcomes);
    assert_eq!(from_gbk.len(), originals.len());
    for (row, original) in from_gbk.iter().zip(&originals) {
        assert_eq!(&row.licence, original);
    }

    let forced = read_all(&gbk, EncodingChoice::Gbk).expect("header");
    assert_eq!(forced, outcomes);

    let english = write_file(&originals, Encoding::Utf8, HeaderLanguage::English);
    assert!(english.starts_with(b"file_number,citizen_id,name,sex,"));
    let reader = RowReader::new(&english[..], EncodingChoice::Auto).expect("header");
    assert_eq!(reader.header_language(), HeaderLanguage::English);
    let outcomes: Vec<_> = reader.collect::<Result<_, _>>().expect("no I/O error");
    let from_english = parsed(&outcomes);
    for (a, b) in from_gbk.iter().zip(&from_english) {
        assert_eq!(a.digest, b.digest);
        assert_eq!(a.line, b.line);
    }
}

#[test]
fn a_utf8_byte_order_mark_is_skipped_and_offsets_cover_the_file() {
    let mut file = b"\xEF\xBB\xBF".to_vec();
    file.extend(write_file(
        &licences(3),
        Encoding::Utf8,
        HeaderLanguage::Chinese,
    ));
    let mut reader = RowReader::new(&file[..], EncodingChoice::Auto).expect("header");
    assert_eq!(reader.encoding(), Encoding::Utf8);
    let mut n = 0;
    while let Some(outcome) = reader.next_row() {
        assert!(matches!(outcome, Ok(RowOutcome::Parsed(_))));
        n += 1;
    }
    assert_eq!(n, 3);
    assert_eq!(reader.byte_offset(), file.len() as u64);
    assert!(reader.next_row().is_none(), "stays finished");
}

#[test]
fn line_numbers_count_physical_lines_across_blank_lines_and_quoted_newlines() {
    let fields = valid_fields();
    // A quoted newline is legal CSV; the record is then rejected (an address has no control characters), but its
    // line number is still where it starts.
    let mut multi_line = fields.clone();
    multi_line[Column::Address.index()] = format!("\"{}\n2单元\"", fields[Column::Address.index()]);
    let mut text = format!("{HEADER_ZH}\r\n");
    text.push_str(&fields.join(","));
    text.push_str("\r\n\r\n"); // a blank line 3
    text.push_str(&multi_line.join(",")); // lines 4 and 5
    text.push_str("\r\n");
    text.push_str(&fields.join(",")); // line 6, no final newline
    let lines = |text: &str| -> Vec<u64> {
        read_all(text.as_bytes(), EncodingChoice::Auto)
            .expect("readable")
            .iter()
            .map(|o| match o {
                RowOutcome::Parsed(p) => p.line,
                RowOutcome::Rejected(r) => r.line,
            })
            .collect()
    };
    assert_eq!(lines(&text), [2, 4, 6], "CRLF");
    assert_eq!(lines(&text.replace("\r\n", "\n")), [2, 4, 6], "LF");
    assert_eq!(
        lines(&format!("{}\n", text.replace("\r\n", "\n"))),
        [2, 4, 6],
        "LF at the end"
    );
}

// ---- header errors ----------------------------------------------------------------------------------------------

#[test]
fn an_empty_file_has_no_header() {
    assert!(matches!(
        RowReader::new(&b""[..], EncodingChoice::Auto),
        Err(ReadError::Header(HeaderError::Missing))
    ));
    assert!(matches!(
        RowReader::new(&b"\xEF\xBB\xBF\r\n\n"[..], EncodingChoice::Auto),
        Err(ReadError::Header(HeaderError::Missing))
    ));
}

#[test]
fn a_header_in_the_wrong_order_lists_what_was_found() {
    let header = HEADER_ZH.replacen("档案编号,证号", "证号,档案编号", 1);
    let Err(ReadError::Header(HeaderError::Mismatch { found })) =
        RowReader::new(header.as_bytes(), EncodingChoice::Auto)
    else {
        panic!("expected a mismatch");
    };
    assert_eq!(found[0], HeaderCell::Known("证号"));
    assert_eq!(found[1], HeaderCell::Known("档案编号"));
    assert_eq!(found.len(), 17);
}

#[test]
fn header_errors_for_missing_extra_mixed_and_misspelt_columns() {
    let cases = [
        HEADER_ZH.replace(",手机号码", ""),
        format!("{HEADER_ZH},备注"),
        HEADER_ZH.replacen("姓名", "name", 1),
        HEADER_ZH.replacen("档案编号", "档案号", 1),
        HEADER_ZH.replacen("档案编号", " 档案编号", 1),
    ];
    for header in cases {
        let res = RowReader::new(header.as_bytes(), EncodingChoice::Auto);
        assert!(
            matches!(res, Err(ReadError::Header(HeaderError::Mismatch { .. }))),
            "{header}"
        );
    }
}

#[test]
fn a_file_without_header_is_rejected_without_echoing_its_first_record() {
    let fields = valid_fields();
    let text = format!("{}\n", fields.join(","));
    let Err(err) = RowReader::new(text.as_bytes(), EncodingChoice::Auto) else {
        panic!("a data row is not a header");
    };
    let message = err.to_string();
    for (column, value) in Column::ALL.iter().zip(&fields) {
        if value.chars().count() >= 2 {
            assert!(
                !message.contains(value.as_str()),
                "{column} leaked into {message}"
            );
        }
    }
    assert!(
        message.contains("<unrecognised, 18 characters>"),
        "{message}"
    );
    assert!(
        message.contains("档案编号,证号"),
        "lists the expected header: {message}"
    );
}

#[test]
fn a_gbk_file_read_as_utf8_fails_on_the_header() {
    let gbk = write_file(&licences(2), Encoding::Gbk, HeaderLanguage::Chinese);
    assert!(matches!(
        RowReader::new(&gbk[..], EncodingChoice::Utf8),
        Err(ReadError::Header(HeaderError::Undecodable {
            encoding: Encoding::Utf8,
            position: 1
        }))
    ));
    let utf8 = write_file(&licences(2), Encoding::Utf8, HeaderLanguage::Chinese);
    assert!(matches!(
        RowReader::new(&utf8[..], EncodingChoice::Gbk),
        Err(ReadError::Header(_))
    ));
}

// ---- row errors -------------------------------------------------------------------------------------------------

#[test]
fn wrong_column_counts() {
    let mut short = valid_fields();
    short.pop();
    let mut long = valid_fields();
    long.push(String::new());
    let outcomes = read_all(
        &file_with(&[short, valid_fields(), long]),
        EncodingChoice::Auto,
    )
    .expect("readable");
    assert_eq!(
        rejection(&outcomes[0]),
        RowRejected {
            line: 2,
            reason: RowError::WrongColumnCount {
                expected: 17,
                found: 16
            }
        }
    );
    assert!(matches!(
        outcomes[1],
        RowOutcome::Parsed(ParsedRow { line: 3, .. })
    ));
    assert_eq!(
        rejection(&outcomes[2]).reason,
        RowError::WrongColumnCount {
            expected: 17,
            found: 18
        }
    );
}

#[test]
fn a_gbk_field_in_a_utf8_file_is_not_utf8() {
    let mut file = file_with(&[valid_fields()]);
    let mut fields = valid_fields();
    fields[Column::Name.index()] = String::new();
    let line = fields.join(",");
    // Splice the GBK bytes of a name into the empty name field.
    let (before, after) = line.split_at(line.find(",,").expect("empty name") + 1);
    file.extend_from_slice(before.as_bytes());
    file.extend_from_slice(&encoding_rs::GBK.encode("王芳").0);
    file.extend_from_slice(after.as_bytes());
    file.extend_from_slice(b"\n");
    let reader = RowReader::new(&file[..], EncodingChoice::Auto).expect("header");
    assert_eq!(reader.encoding(), Encoding::Utf8);
    let outcomes: Vec<_> = reader.collect::<Result<_, _>>().expect("readable");
    assert!(matches!(outcomes[0], RowOutcome::Parsed(_)));
    assert_eq!(
        rejection(&outcomes[1]),
        RowRejected {
            line: 3,
            reason: RowError::NotUtf8 {
                column: Column::Name
            }
        }
    );
}

#[test]
fn a_character_split_between_two_fields_is_not_utf8() {
    // The fields end to end are valid UTF-8 (张 is E5 BC A0), but the name ends in the middle of a character and
    // the sex starts with its last byte: each field is checked on its own.
    let mut fields = valid_fields();
    fields[Column::Name.index()] = String::new();
    fields[Column::Sex.index()] = String::new();
    let line = fields.join(",");
    let (before, after) = line.split_at(line.find(",,,").expect("empty name and sex") + 1);
    let mut file = file_with(&[]);
    file.extend_from_slice(before.as_bytes());
    file.extend_from_slice(b"\xE5\xBC,\xA0");
    file.extend_from_slice(&after.as_bytes()[1..]);
    file.extend_from_slice(b"\n");
    let outcomes = read_all(&file, EncodingChoice::Utf8).expect("readable");
    assert_eq!(
        rejection(&outcomes[0]).reason,
        RowError::NotUtf8 {
            column: Column::Name
        }
    );
}

#[test]
fn the_first_bad_field_is_reported_whether_its_value_or_its_bytes_are_wrong() {
    // An invalid value before a field that is not UTF-8 is reported, and the other way round.
    let mut fields = valid_fields();
    fields[Column::FileNumber.index()] = "x".to_owned();
    fields[Column::Address.index()] = String::new();
    let line = fields.join(",");
    let at = line.find(",,").expect("empty address") + 1;
    let mut file = file_with(&[]);
    file.extend_from_slice(&line.as_bytes()[..at]);
    file.extend_from_slice(b"\xFF");
    file.extend_from_slice(&line.as_bytes()[at..]);
    file.extend_from_slice(b"\n");
    let outcomes = read_all(&file, EncodingChoice::Utf8).expect("readable");
    assert!(matches!(
        rejection(&outcomes[0]).reason,
        RowError::InvalidField {
            column: Column::FileNumber,
            ..
        }
    ));

    let mut fields = valid_fields();
    fields[Column::Name.index()] = String::new();
    fields[Column::Classes.index()] = "X".to_owned();
    let line = fields.join(",");
    let at = line.find(",,").expect("empty name") + 1;
    let mut file = file_with(&[]);
    file.extend_from_slice(&line.as_bytes()[..at]);
    file.extend_from_slice(b"\xFF");
    file.extend_from_slice(&line.as_bytes()[at..]);
    file.extend_from_slice(b"\n");
    let outcomes = read_all(&file, EncodingChoice::Utf8).expect("readable");
    assert_eq!(
        rejection(&outcomes[0]).reason,
        RowError::NotUtf8 {
            column: Column::Name
        }
    );
}

#[test]
fn an_invalid_byte_sequence_in_a_gbk_file_is_not_gbk() {
    let mut file = write_file(&licences(1), Encoding::Gbk, HeaderLanguage::Chinese);
    let fields = valid_fields();
    let mut bad = fields.clone();
    bad[Column::Address.index()] = String::new();
    let line = bad.join(",");
    let (before, after) = line.split_at(line.find(",,").expect("empty address") + 1);
    let mut record = encoding_rs::GBK.encode(before).0.into_owned();
    record.extend_from_slice(b"\x81\x20"); // a lead byte followed by an invalid trail byte
    record.extend_from_slice(&encoding_rs::GBK.encode(after).0);
    file.extend_from_slice(&record);
    file.extend_from_slice(b"\r\n");
    let outcomes = read_all(&file, EncodingChoice::Auto).expect("readable");
    assert_eq!(
        rejection(&outcomes[1]).reason,
        RowError::NotGbk {
            column: Column::Address
        }
    );
}

#[test]
fn every_column_rejects_invalid_values() {
    use edl_domain::{
        AddressError, AuthorityNameError, CitizenIdError, ClassError, DateError, FileNumberError,
        NationalityError, PersonNameError, PhoneNumberError, RegionError, SexError, StatusError,
        ValidityError,
    };
    assert_eq!(
        invalid(Column::FileNumber, "12345"),
        FieldError::FileNumber(FileNumberError::WrongLength { found: 5 })
    );
    assert_eq!(
        invalid(Column::CitizenId, "11010519491231002x"),
        FieldError::CitizenId(CitizenIdError::LowercaseX)
    );
    assert_eq!(
        invalid(Column::CitizenId, "110105194912310021"),
        FieldError::CitizenId(CitizenIdError::BadCheckCharacter)
    );
    assert_eq!(
        invalid(Column::Name, ""),
        FieldError::Name(PersonNameError::Empty)
    );
    assert!(matches!(
        invalid(Column::Name, "王1"),
        FieldError::Name(PersonNameError::Digit { .. })
    ));
    assert_eq!(
        invalid(Column::Sex, "男性"),
        FieldError::Sex(SexError::Unrecognised)
    );
    assert_eq!(
        invalid(Column::Nationality, "chn"),
        FieldError::Nationality(NationalityError::Unrecognised)
    );
    assert_eq!(
        invalid(Column::BirthDate, "1980/01/01"),
        FieldError::Date(DateError::WrongFormat)
    );
    assert_eq!(
        invalid(Column::Address, ""),
        FieldError::Address(AddressError::Empty)
    );
    assert_eq!(
        invalid(Column::FirstIssueDate, "2021-02-29"),
        FieldError::Date(DateError::NoSuchDay)
    );
    assert_eq!(
        invalid(Column::Classes, "C1C1"),
        FieldError::Classes(ClassError::Duplicate {
            class: edl_domain::DrivingClass::C1
        })
    );
    assert_eq!(
        invalid(Column::Classes, "C7"),
        FieldError::Classes(ClassError::UnknownClass { position: 0 })
    );
    assert_eq!(
        invalid(Column::ValidFrom, ""),
        FieldError::Date(DateError::WrongFormat)
    );
    assert!(matches!(
        invalid(Column::ValidUntil, "永久"),
        FieldError::Validity(ValidityError::InvalidEnd(_))
    ));
    assert_eq!(
        invalid(Column::ValidUntil, "1900-01-01"),
        FieldError::Validity(ValidityError::EndNotAfterStart)
    );
    assert!(matches!(
        invalid(Column::Authority, "交"),
        FieldError::Authority(AuthorityNameError::TooShort { .. })
    ));
    assert_eq!(
        invalid(Column::AuthorityRegion, "999999"),
        FieldError::Region(RegionError::Unknown)
    );
    assert_eq!(
        invalid(Column::AuthorityRegion, "1201"),
        FieldError::Region(RegionError::NotSixDigits)
    );
    assert_eq!(
        invalid(Column::Status, "AH"),
        FieldError::Status(StatusError::NormalWithOthers)
    );
    assert_eq!(
        invalid(Column::Status, ""),
        FieldError::Status(StatusError::Empty)
    );
    for points in ["", "-1", "1.5", "256", "0012", " 3"] {
        assert_eq!(
            invalid(Column::Points, points),
            FieldError::Points,
            "{points:?}"
        );
    }
    assert_eq!(
        invalid(Column::PointsCycleStart, "20250101"),
        FieldError::Date(DateError::WrongFormat)
    );
    assert!(matches!(
        invalid(Column::Phone, "1380013800"),
        FieldError::Phone(PhoneNumberError::WrongLength { found: 10 })
    ));
}

#[test]
fn fields_that_disagree_are_inconsistent() {
    let fields = valid_fields();
    let birth = &fields[Column::BirthDate.index()];
    let other_birth = if birth.as_str() == "1980-01-01" {
        "1981-01-01"
    } else {
        "1980-01-01"
    };
    let other_sex = if fields[Column::Sex.index()] == "男" {
        "女"
    } else {
        "男"
    };
    let cases = [
        (
            Column::BirthDate,
            other_birth,
            LicenceError::BirthDateMismatch,
        ),
        (Column::Sex, other_sex, LicenceError::SexMismatch),
        (Column::Points, "12", LicenceError::FullScoreWithoutStatusB),
    ];
    for (column, value, expected) in cases {
        let mut record = fields.clone();
        record[column.index()] = value.to_owned();
        if column == Column::Points {
            record[Column::Status.index()] = "A".to_owned();
        }
        let outcomes = read_all(&file_with(&[record]), EncodingChoice::Auto).expect("readable");
        assert_eq!(
            rejection(&outcomes[0]).reason,
            RowError::Inconsistent(expected)
        );
    }
}

#[test]
fn equivalent_spellings_parse_to_the_same_licence_and_digest() {
    let fields = valid_fields();
    let canonical = read_all(
        &file_with(std::slice::from_ref(&fields)),
        EncodingChoice::Auto,
    )
    .expect("ok");
    let canonical = parsed(&canonical)[0].clone();
    let mut respelt = fields.clone();
    respelt[Column::Sex.index()] = match fields[Column::Sex.index()].as_str() {
        "男" => "M".to_owned(),
        _ => "2".to_owned(),
    };
    respelt[Column::Nationality.index()] = "CHN".to_owned();
    let outcomes = read_all(&file_with(&[respelt]), EncodingChoice::Auto).expect("ok");
    let row = parsed(&outcomes)[0];
    assert_eq!(row.licence, canonical.licence);
    assert_eq!(row.digest, canonical.digest);

    // A different record has a different digest.
    let mut changed = fields;
    changed[Column::Points.index()] = if changed[Column::Points.index()] == "1" {
        "3"
    } else {
        "1"
    }
    .to_owned();
    let outcomes = read_all(&file_with(&[changed]), EncodingChoice::Auto).expect("ok");
    assert_ne!(parsed(&outcomes)[0].digest, canonical.digest);
}

#[test]
fn reordered_class_codes_have_the_canonical_digest() {
    let mut fields = valid_fields();
    fields[Column::Classes.index()] = "C1E".to_owned();
    let a = read_all(&file_with(&[fields.clone()]), EncodingChoice::Auto).expect("ok");
    fields[Column::Classes.index()] = "EC1".to_owned();
    let b = read_all(&file_with(&[fields]), EncodingChoice::Auto).expect("ok");
    assert_eq!(parsed(&a)[0].digest, parsed(&b)[0].digest);
    assert_eq!(parsed(&b)[0].licence.classes().to_string(), "C1E");
}

#[test]
fn the_documented_example_row_has_the_documented_digest() {
    // docs/import-format.md shows this record and its digest. The digest is stored with every imported licence, so
    // changing the canonical encoding would make every re-import look like a conflict: this pins it.
    let text = format!(
        "{HEADER_ZH}\r\n370200822465,370213198305303874,谭金国,男,中国,1983-05-30,\
         山东省青岛市李沧区友谊街100号和谐家园14栋3单元1001室,2002-04-05,C1,2018-04-05,长期,\
         青岛市公安局交通警察支队,370200,A,0,2025-04-05,19792103241\r\n"
    );
    let outcomes = read_all(text.as_bytes(), EncodingChoice::Auto).expect("readable");
    let row = parsed(&outcomes)[0];
    let hex: String = row.digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, "617cccd70f478598633dd50d14c40a16");
}

#[test]
fn the_digests_of_many_varied_rows_are_pinned() {
    // Pins the canonical encoding over many generated licences (classes, statuses, points, 长期 and dated ends,
    // with and without a phone) and over respelt nationalities, both through the reader and `licence_digest`.
    // The generator is deterministic for its seed, so a change here means the digest changed.
    let originals = licences(2_000);
    let mut records: Vec<Vec<String>> = Vec::new();
    for nationality in ["CHN", "中国", "XKX", "美国", "USA"] {
        let mut fields = valid_fields();
        fields[Column::Nationality.index()] = nationality.to_owned();
        records.push(fields);
    }
    let mut all = Sha256::new();
    for (file, choice) in [
        (
            write_file(&originals, Encoding::Gbk, HeaderLanguage::English),
            EncodingChoice::Gbk,
        ),
        (file_with(&records), EncodingChoice::Utf8),
    ] {
        let outcomes = read_all(&file, choice).expect("readable");
        for row in parsed(&outcomes) {
            all.update(row.line.to_be_bytes());
            all.update(row.digest);
        }
    }
    for licence in &originals {
        all.update(licence_digest(licence));
    }
    let hex: String = all.finalize().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "36a3bdb94ea786496d6f880cf2bffe2a9df128b408586c1c36973afeab927df4"
    );
}

// ---- failures that stop the reader ------------------------------------------------------------------------------

#[test]
fn an_oversized_record_stops_the_reader() {
    let mut file = file_with(&[valid_fields()]);
    file.extend(std::iter::repeat_n(b'x', (MAX_RECORD_BYTES as usize) * 2));
    let mut reader = RowReader::new(&file[..], EncodingChoice::Auto).expect("header");
    assert!(matches!(reader.next_row(), Some(Ok(RowOutcome::Parsed(_)))));
    assert!(matches!(
        reader.next_row(),
        Some(Err(ReadError::RecordTooLong { after_line: 2, .. }))
    ));
    assert!(reader.next_row().is_none());
}

#[test]
fn many_normal_records_never_hit_the_record_limit() {
    let originals = licences(5_000);
    let file = write_file(&originals, Encoding::Gbk, HeaderLanguage::Chinese);
    assert!(file.len() as u64 > 4 * MAX_RECORD_BYTES);
    let outcomes = read_all(&file, EncodingChoice::Auto).expect("no stop");
    assert_eq!(parsed(&outcomes).len(), 5_000);
}

/// Yields its bytes, then an I/O error.
struct FailingAfter<'a>(&'a [u8]);

impl Read for FailingAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn an_io_error_stops_the_reader() {
    assert!(matches!(
        RowReader::new(FailingAfter(b"abc"), EncodingChoice::Auto),
        Err(ReadError::Io(_))
    ));
    let file = write_file(&licences(2_000), Encoding::Utf8, HeaderLanguage::Chinese);
    // Fail somewhere after the sniffed prefix.
    let reader = RowReader::new(FailingAfter(&file[..file.len() - 10]), EncodingChoice::Auto)
        .expect("header");
    let mut parsed_rows = 0;
    let mut errors = 0;
    for outcome in reader {
        match outcome {
            Ok(RowOutcome::Parsed(_)) => parsed_rows += 1,
            Ok(RowOutcome::Rejected(r)) => panic!("{r}"),
            Err(ReadError::Io(_)) => errors += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(errors, 1, "one error, then the end");
    assert!(parsed_rows >= 1_990);
}

// ---- writer -----------------------------------------------------------------------------------------------------

#[test]
fn gbk_cannot_write_a_rare_character_and_writes_nothing_partial() {
    let originals = licences(2);
    let mut fields = originals[0].clone().into_fields();
    fields.name = PersonName::parse("王𠮷").expect("a valid name");
    let rare = Licence::new(fields).expect("still consistent");

    let mut writer = RowWriter::new(Vec::new(), Encoding::Gbk).expect("header");
    let err = writer.write(&rare).expect_err("not in GBK");
    assert!(matches!(
        err,
        WriteError::Unencodable {
            column: Column::Name,
            encoding: Encoding::Gbk
        }
    ));
    assert!(!err.to_string().contains('𠮷'));
    writer.write(&originals[1]).expect("the writer goes on");
    let file = writer.finish().expect("finish");
    let outcomes = read_all(&file, EncodingChoice::Auto).expect("ok");
    let rows = parsed(&outcomes);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].licence, originals[1]);

    // UTF-8 holds it.
    let file = write_file(
        std::slice::from_ref(&rare),
        Encoding::Utf8,
        HeaderLanguage::Chinese,
    );
    let outcomes = read_all(&file, EncodingChoice::Auto).expect("ok");
    assert_eq!(parsed(&outcomes)[0].licence, rare);
}

#[test]
fn fields_that_need_quotes_round_trip() {
    let mut fields = licences(1)[0].clone().into_fields();
    fields.address = edl_domain::Address::parse("天津市和平区\"南京路\", 1号").expect("valid");
    let licence = Licence::new(fields).expect("consistent");
    for encoding in [Encoding::Utf8, Encoding::Gbk] {
        let file = write_file(
            std::slice::from_ref(&licence),
            encoding,
            HeaderLanguage::Chinese,
        );
        let outcomes = read_all(&file, EncodingChoice::Auto).expect("ok");
        assert_eq!(parsed(&outcomes)[0].licence, licence);
    }
}

#[test]
fn file_sha256_of_a_written_file() {
    let file = write_file(&licences(100), Encoding::Gbk, HeaderLanguage::Chinese);
    let a = file_sha256(&file[..]).expect("hash");
    let b = file_sha256(FailingAfter(&file[..]));
    assert!(b.is_err(), "I/O errors are reported");
    let mut changed = file.clone();
    changed[100] ^= 1;
    assert_ne!(a, file_sha256(&changed[..]).expect("hash"));
}

// ---- robustness -------------------------------------------------------------------------------------------------

fn drain(bytes: &[u8], choice: EncodingChoice) {
    if let Ok(reader) = RowReader::new(bytes, choice) {
        for outcome in reader {
            if let Ok(RowOutcome::Parsed(row)) = outcome {
                assert_eq!(row.digest, licence_digest(&row.licence));
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        for choice in [EncodingChoice::Auto, EncodingChoice::Utf8, EncodingChoice::Gbk] {
            drain(&bytes, choice);
        }
    }

    #[test]
    fn arbitrary_records_after_a_valid_header_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut file = format!("{HEADER_ZH}\n").into_bytes();
        file.extend_from_slice(&tail);
        for choice in [EncodingChoice::Auto, EncodingChoice::Utf8, EncodingChoice::Gbk] {
            drain(&file, choice);
        }
    }

    #[test]
    fn a_mutated_field_is_parsed_or_rejected_never_panics(
        column in 0..17usize,
        value in "[^,\"\r\n]{0,40}",
    ) {
        let outcome = with_field(Column::ALL[column], &value);
        if let RowOutcome::Parsed(row) = outcome {
            prop_assert_eq!(row.digest, licence_digest(&row.licence));
        }
    }

}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn written_files_read_back_identically(seed in any::<u64>(), gbk in any::<bool>()) {
        let originals: Vec<Licence> =
            Generator::new(seed, date!(2025 - 06 - 30)).take(20).collect();
        let encoding = if gbk { Encoding::Gbk } else { Encoding::Utf8 };
        let file = write_file(&originals, encoding, HeaderLanguage::Chinese);
        let outcomes = read_all(&file, EncodingChoice::Auto).expect("ok");
        let rows = parsed(&outcomes);
        prop_assert_eq!(rows.len(), originals.len());
        for (row, original) in rows.iter().zip(&originals) {
            prop_assert_eq!(&row.licence, original);
        }
    }
}
