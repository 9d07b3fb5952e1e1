//! Measures the EDL1 code per purpose: payload bytes, text characters, the QR version at level M,
//! for a synthetic licence and for the worst realistic case (a three-character name, the longest
//! authority name, a long address). `cargo run -p edl-qr-image --example qr_sizes`
//! prints the table published in `docs/qr-format.md`.

#![allow(clippy::unwrap_used)]

use edl_domain::{Address, AuthorityName, IssuingAuthority, Licence, PersonName};
use edl_mdoc::purpose::PURPOSES;
use edl_pki::{DemoPki, InMemorySigner, Signer};
use edl_qr::claims::portrait_digest;
use edl_qr::{CredentialRequest, issue, present};
use edl_qr_image::Symbol;
use std::io::Write;
use time::Duration;
use time::macros::{date, datetime};

fn worst(licence: &Licence) -> Licence {
    let mut f = licence.clone().into_fields();
    f.name = PersonName::parse("张明远").unwrap();
    f.address = Address::parse(
        "新疆维吾尔自治区伊犁哈萨克自治州伊宁市解放西路人民花园小区12号楼3单元501室",
    )
    .unwrap();
    f.authority = IssuingAuthority {
        name: AuthorityName::parse("新疆维吾尔自治区伊犁哈萨克自治州公安局交通警察支队").unwrap(),
        region: f.authority.region,
    };
    Licence::new(f).unwrap()
}

fn main() {
    let today = date!(2026 - 03 - 01);
    let generator = edl_synth::Generator::new(11, today);
    let typical = (0..)
        .map(|i| generator.licence(i))
        .find(|l| l.claim_eligibility(today).is_ok())
        .unwrap();
    let pki = DemoPki::new(
        typical.authority().clone(),
        datetime!(2026-01-01 00:00 UTC),
        365,
    )
    .unwrap();
    let device = InMemorySigner::generate().unwrap();
    let digest = portrait_digest(edl_synth::demo_portrait());
    let signed = datetime!(2026-03-01 02:00 UTC);
    let mut out = std::io::stdout().lock();
    for version in [13, 15, 18] {
        let holds = (1..2000)
            .take_while(|n| Symbol::new(&"A".repeat(*n)).unwrap().version() <= version)
            .last()
            .unwrap();
        writeln!(
            out,
            "QR version {version} at level M holds {holds} alphanumeric characters"
        )
        .unwrap();
    }
    writeln!(out, "| licence | purpose | credential bytes | payload bytes | zlib(claims) vs claims | text chars | QR version (M) |").unwrap();
    writeln!(out, "|---|---|---|---|---|---|---|").unwrap();
    for (label, licence) in [
        ("synthetic", typical.clone()),
        ("worst case", worst(&typical)),
    ] {
        for purpose in PURPOSES {
            let request = CredentialRequest {
                purpose,
                device_key: &device.public_key(),
                portrait_digest: &digest,
                valid_from: signed,
                valid_until: signed + Duration::days(14),
                status_index: Some(12_345_678),
                signer_certificate: &pki.document_signer,
                signer_not_before: datetime!(2026-01-01 00:00 UTC),
                signer_not_after: datetime!(2027-01-01 00:00 UTC),
            };
            let claims = edl_qr::credential::claims_bytes(&licence, &request).unwrap();
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
            z.write_all(&claims).unwrap();
            let zlen = z.finish().unwrap().len();
            let credential = issue(&licence, &request, &pki.document_signer_key).unwrap();
            let text = present(&credential, signed + Duration::hours(1), &[], &device).unwrap();
            let payload = edl_qr::base45::decode(&text[5..]).unwrap().len();
            let version = Symbol::new(&text).unwrap().version();
            writeln!(
                out,
                "| {label} | {} | {} | {payload} | {zlen} vs {} | {} | {version} |",
                purpose.as_str(),
                credential.as_bytes().len(),
                claims.len(),
                text.len()
            )
            .unwrap();
        }
    }
}
