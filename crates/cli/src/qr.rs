//! The live QR code on the command line: the holder's `edl wallet qr` and `edl wallet show`, the
//! checker's `edl verify --qr-text | --image`, and `edl verifier sync`.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use edl_app::verifier_dir::{PublishedSource, VerifierDir};
use edl_app::wallet_dir::WalletDir;
use edl_domain::{DisplayState, StatusSet};
use edl_mdoc::Purpose;
use edl_mdoc::verify::StatusFinding;
use edl_pki::{CertificateDer, Passphrase, TrustAnchor, verify_trust_list};
use edl_qr::claims::FieldValue;
use edl_qr::{Colour, KnownSigner, Policy, QrReport, QrVerifier, VerifyInput};
use edl_qr_image::{Ink, Symbol};
use edl_status_list::verify_token;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::args::{VerifierCommand, VerifyArgs};
use crate::trust::{read_input, rfc3339};

macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stdout(), $($arg)*);
    }};
}

/// Beijing time, in which the card shows its times.
const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

fn beijing(t: OffsetDateTime) -> String {
    let t = t.to_offset(CST);
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn parse_time(text: Option<&str>) -> Result<OffsetDateTime> {
    match text {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .context("times must be RFC 3339, e.g. 2026-03-01T10:00:00+08:00"),
        None => Ok(OffsetDateTime::now_utc()),
    }
}

/// What `edl wallet qr` was asked for.
pub(crate) struct QrOutput<'a> {
    pub(crate) purpose: &'a str,
    pub(crate) png: Option<&'a Path>,
    pub(crate) svg: Option<&'a Path>,
    pub(crate) text: bool,
    pub(crate) count: u16,
    pub(crate) challenge: Option<&'a str>,
    pub(crate) at: Option<&'a str>,
    pub(crate) wallet: &'a WalletDir,
    pub(crate) passphrase: &'a Passphrase,
}

/// The status letters a credential carries and what they mean for the display.
fn display_state(credential: &edl_qr::CompactCredential) -> Result<(StatusSet, DisplayState)> {
    let claims = credential.claims()?;
    let letters = match claims.value("status_letters") {
        Some(FieldValue::Text(t)) => {
            StatusSet::parse(t).context("the credential's status letters")?
        }
        _ => bail!("the credential carries no status letters"),
    };
    Ok((letters, letters.display_state()))
}

fn ink_for(state: DisplayState) -> Result<Ink> {
    match state {
        DisplayState::BlackQr => Ok(Ink::Black),
        DisplayState::RedQr | DisplayState::Invalid => Ok(Ink::Red),
        DisplayState::NotDisplayed => {
            bail!("this licence is no longer displayed (撤销, 吊销 or 注销); no code is shown")
        }
    }
}

pub(crate) fn wallet_qr(o: QrOutput<'_>) -> Result<()> {
    let purpose = Purpose::parse(o.purpose)?;
    let now = parse_time(o.at)?;
    let credential = o.wallet.compact(purpose)?;
    let (_, state) = display_state(&credential)?;
    let ink = ink_for(state)?;
    if o.text && o.count > 1 {
        // Codes for a load test: the key is opened once, each code one second older.
        let key = o.wallet.device_key(o.passphrase)?;
        let challenge = o.challenge.unwrap_or("").as_bytes();
        for i in 0..o.count {
            let at = now - Duration::seconds(i64::from(i));
            outln!("{}", edl_qr::present(&credential, at, challenge, &key)?);
        }
        return Ok(());
    }
    let text = o.wallet.qr_text(
        o.passphrase,
        purpose,
        now,
        o.challenge.unwrap_or("").as_bytes(),
    )?;
    let symbol = Symbol::new(&text)?;
    if o.text {
        outln!("{text}");
        return Ok(());
    }
    if let Some(path) = o.png {
        fs::write(path, symbol.to_png(8, ink))
            .with_context(|| format!("cannot write {}", path.display()))?;
        outln!(
            "{} written: QR version {}, {} characters, 生成时间 {}",
            path.display(),
            symbol.version(),
            text.len(),
            beijing(now)
        );
        return Ok(());
    }
    if let Some(path) = o.svg {
        fs::write(path, symbol.to_svg(ink))
            .with_context(|| format!("cannot write {}", path.display()))?;
        outln!(
            "{} written: QR version {}, {} characters, 生成时间 {}",
            path.display(),
            symbol.version(),
            text.len(),
            beijing(now)
        );
        return Ok(());
    }
    for line in symbol.to_terminal(ink) {
        outln!("{line}");
    }
    outln!(
        "{} ({})  生成时间 {}",
        purpose.as_str(),
        purpose.name_zh(),
        beijing(now)
    );
    Ok(())
}

fn field(claims: &edl_qr::credential::Claims, id: &str) -> String {
    claims
        .value(id)
        .map(FieldValue::display)
        .unwrap_or_default()
}

pub(crate) fn wallet_show(
    purpose: &str,
    wallet: &WalletDir,
    passphrase: &Passphrase,
) -> Result<()> {
    let purpose = Purpose::parse(purpose)?;
    let credential = wallet.compact(purpose)?;
    let claims = credential.claims()?;
    let (letters, state) = display_state(&credential)?;
    let ink = ink_for(state)?;
    let now = OffsetDateTime::now_utc();
    let text = wallet.qr_text(passphrase, purpose, now, &[])?;
    let (on, off) = match ink {
        Ink::Black => ("\x1b[1m", "\x1b[0m"),
        Ink::Red => ("\x1b[1;31m", "\x1b[0m"),
    };
    let status: Vec<&str> = if letters.is_empty() {
        vec!["正常"]
    } else {
        letters.iter().map(|l| l.name_zh()).collect()
    };
    let validity = match claims.value("expiry_date") {
        Some(FieldValue::LongTerm) => format!("{} 至 长期", field(&claims, "issue_date")),
        _ => format!(
            "{} 至 {}",
            field(&claims, "issue_date"),
            field(&claims, "expiry_date")
        ),
    };
    outln!("{on}中华人民共和国机动车驾驶证 · 电子驾驶证（正页）{off}");
    let rows = [
        (
            "姓名",
            format!(
                "{}{}",
                field(&claims, "family_name_national_character"),
                field(&claims, "given_name_national_character")
            ),
        ),
        ("性别", field(&claims, "sex")),
        ("国籍", field(&claims, "nationality")),
        ("出生日期", field(&claims, "birth_date")),
        ("证号", field(&claims, "document_number")),
        ("准驾车型", field(&claims, "driving_classes")),
        ("初次领证日期", field(&claims, "first_issue_date")),
        ("有效期限", validity),
        ("档案编号", field(&claims, "file_number")),
        ("状态", status.join("、")),
        ("累积记分", field(&claims, "points")),
    ];
    for (label, value) in rows {
        if !value.is_empty() {
            outln!("  {label}  {value}");
        }
    }
    if ink == Ink::Red {
        outln!("{on}  {}：不可驾驶机动车{off}", status.join("、"));
    }
    for line in Symbol::new(&text)?.to_terminal(ink) {
        outln!("  {line}");
    }
    outln!(
        "  生成时间 {}    当前时间 {}",
        beijing(now),
        beijing(OffsetDateTime::now_utc())
    );
    outln!(
        "  用途 {}（{}）  凭证有效至 {}",
        purpose.name_zh(),
        purpose.as_str(),
        beijing(claims.valid_until)
    );
    if claims.valid_until - now < Duration::days(7) {
        outln!("  the credentials are due for a refresh: claim again while online");
    }
    outln!("{on}副页{off}");
    let mdoc = wallet.credential()?;
    let address = mdoc
        .namespaces
        .iter()
        .flat_map(|(_, items)| items.iter())
        .find(|i| i.item().element_identifier == "resident_address")
        .and_then(|i| i.item().element_value.as_text().map(str::to_owned));
    if let Some(address) = address {
        outln!("  住址  {address}");
    }
    outln!("  发证机关  {}", field(&claims, "issuing_authority_name"));
    Ok(())
}

/// The verifier's trust material and what to say about its age.
struct Material {
    anchors: Vec<TrustAnchor>,
    signers: Vec<KnownSigner>,
    lists: Vec<edl_status_list::VerifiedStatusList>,
    notes: Vec<String>,
}

fn material(args: &VerifyArgs, at: OffsetDateTime) -> Result<Material> {
    if let Some(dir) = &args.verifier_dir {
        let m = VerifierDir::new(dir).load(at)?;
        let mut notes = vec![format!(
            "trust list of {} ({} old){}",
            rfc3339(m.trust_list_issued_at),
            age_text(at - m.trust_list_issued_at),
            if at > m.trust_list_next_update {
                "; past its next update: run `edl verifier sync`"
            } else {
                ""
            }
        )];
        for (name, why) in &m.unusable {
            notes.push(format!("status list {name} not used: {why}"));
        }
        let mut lists = m.status_lists;
        for path in &args.status_lists {
            lists.push(read_status_list(path, &m.anchors, at)?);
        }
        return Ok(Material {
            anchors: m.anchors,
            signers: m.signers,
            lists,
            notes,
        });
    }
    let Some(trust) = &args.trust else {
        bail!(
            "a QR code needs --verifier DIR, or --trust IACA.pem with --trust-list FILE or --signer PEM"
        );
    };
    let pem = String::from_utf8(read_input(trust, "trust file")?)
        .context("the trust file is not PEM text")?;
    let bootstrap = CertificateDer::parse_pem_bundle(&pem)
        .context("the trust file holds no PEM certificate")?
        .into_iter()
        .map(TrustAnchor::parse)
        .collect::<Result<Vec<_>, _>>()
        .context("a certificate in the trust file is not a usable IACA")?;
    let (anchors, signers, notes) = match &args.trust_list {
        Some(trust_list) => {
            let list = verify_trust_list(&read_input(trust_list, "trust list")?, &bootstrap, at)
                .context("the trust list is not acceptable")?;
            let signers = list
                .document_signers()
                .iter()
                .map(|s| KnownSigner {
                    certificate: s.certificate.clone(),
                    revoked_at: s.revoked_at,
                })
                .collect();
            (
                list.anchors(),
                signers,
                vec![format!("trust list of {}", rfc3339(list.issued_at()))],
            )
        }
        None if !args.signers.is_empty() => {
            let mut signers = Vec::new();
            for path in &args.signers {
                let text = String::from_utf8(read_input(path, "signer certificate")?)
                    .context("the signer file is not PEM text")?;
                for certificate in CertificateDer::parse_pem_bundle(&text)
                    .with_context(|| format!("{} holds no PEM certificate", path.display()))?
                {
                    signers.push(KnownSigner {
                        certificate,
                        revoked_at: None,
                    });
                }
            }
            (
                bootstrap,
                signers,
                vec!["document signers given on the command line".to_owned()],
            )
        }
        None => bail!("a QR code needs --trust-list FILE or --signer PEM beside --trust"),
    };
    let mut lists = Vec::new();
    for path in &args.status_lists {
        lists.push(read_status_list(path, &anchors, at)?);
    }
    Ok(Material {
        anchors,
        signers,
        lists,
        notes,
    })
}

fn read_status_list(
    path: &Path,
    anchors: &[TrustAnchor],
    at: OffsetDateTime,
) -> Result<edl_status_list::VerifiedStatusList> {
    verify_token(&read_input(path, "status list")?, anchors, at, None)
        .with_context(|| format!("the status list {} is not acceptable", path.display()))
}

fn age_text(age: Duration) -> String {
    let s = age.whole_seconds();
    if s.abs() < 120 {
        format!("{s} s")
    } else if s.abs() < 7200 {
        format!("{} min", s / 60)
    } else if s.abs() < 172_800 {
        format!("{} h", s / 3600)
    } else {
        format!("{} days", s / 86_400)
    }
}

/// The text of the one QR code in the image.
fn text_from_image(path: &Path) -> Result<String> {
    let bytes = read_input(path, "image")?;
    let mut texts = edl_qr_image::read(&bytes).with_context(|| format!("{}", path.display()))?;
    match texts.len() {
        1 => Ok(texts.remove(0)),
        n => bail!(
            "{}: the image holds {n} QR codes; photograph only the licence's code",
            path.display()
        ),
    }
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let text = match (&args.qr_text, &args.image) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => text_from_image(path)?,
        (None, None) => bail!("give --qr-text, --image or --device-response"),
    };
    let at = parse_time(args.at.as_deref())?;
    let material = material(args, at)?;
    let purposes = args
        .purpose
        .iter()
        .map(|p| Purpose::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    let verifier = QrVerifier::new(
        material.anchors,
        material.signers,
        Policy {
            freshness: Duration::seconds(i64::from(args.max_age)),
            ..Policy::DEFAULT
        },
    )?;
    let report = verifier.verify(&VerifyInput {
        text: &text,
        at,
        status_lists: &material.lists,
        challenge: args.challenge.as_deref().map(str::as_bytes),
        allowed_purposes: (!purposes.is_empty()).then_some(purposes.as_slice()),
    });
    if args.json {
        let mut json = report.to_json();
        if let Some(object) = json.as_object_mut() {
            object.insert("notes".into(), serde_json::json!(material.notes));
        }
        outln!(
            "{}",
            serde_json::to_string_pretty(&json).unwrap_or_default()
        );
    } else {
        print_report(&report, &material.notes);
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_report(report: &QrReport, notes: &[String]) {
    let (on, off) = match report.colour {
        Colour::Red => ("\x1b[1;31m", "\x1b[0m"),
        _ => ("\x1b[1m", "\x1b[0m"),
    };
    outln!(
        "{on}{}{off}",
        if report.is_valid() {
            "VALID 有效"
        } else {
            "NOT VALID 无效"
        }
    );
    for failure in report.failures() {
        if let edl_mdoc::Outcome::Failed(why) = &failure.outcome {
            outln!("  ✗ {}: {why}", failure.name);
        }
    }
    outln!(
        "colour: {}",
        match report.colour {
            Colour::Black => "black (正常)",
            Colour::Red => "RED (not valid for driving)",
            Colour::None => "none (nothing to show)",
        }
    );
    if let Some(p) = report.purpose {
        outln!("purpose: {} ({})", p.as_str(), p.name_zh());
    }
    if let (Some(g), Some(age)) = (report.generated_at, report.age()) {
        outln!(
            "生成时间 {} (Beijing), {} old at {}",
            beijing(g),
            age_text(age),
            beijing(report.validated_at)
        );
    }
    match &report.status {
        StatusFinding::NotReferenced => outln!("status: the credential carries no status index"),
        StatusFinding::Found {
            status,
            list_issued_at,
        } => outln!(
            "status: {} (status list of {}, {} old)",
            status.as_str(),
            rfc3339(*list_issued_at),
            age_text(report.validated_at - *list_issued_at)
        ),
        StatusFinding::Unknown { reason } => outln!("status: UNKNOWN ({reason})"),
    }
    if let Some(s) = &report.signer {
        outln!(
            "issuer: {} ({})",
            s.common_name.as_deref().unwrap_or("?"),
            report
                .signer_region
                .map(|r| format!("{r:06}"))
                .unwrap_or_default()
        );
    }
    for note in notes {
        outln!("{note}");
    }
    if !report.fields.is_empty() {
        outln!("fields:");
        for f in &report.fields {
            match &f.value {
                FieldValue::PortraitDigest(_) => outln!(
                    "  {}: not in the QR code; an online check fetches the photo and compares its digest {}",
                    f.label_zh,
                    f.value.display()
                ),
                _ => outln!("  {}: {}", f.label_zh, f.display()),
            }
        }
    }
    outln!("checks:");
    for c in &report.checks {
        let (mark, why) = match &c.outcome {
            edl_mdoc::Outcome::Passed => ("✓", String::new()),
            edl_mdoc::Outcome::Failed(w) => ("✗", format!(": {w}")),
            edl_mdoc::Outcome::NotChecked(w) => ("·", format!(": not checked, {w}")),
            edl_mdoc::Outcome::NotApplicable(w) => ("–", format!(": {w}")),
        };
        outln!("  {mark} {}{why}", c.name);
    }
}

pub(crate) fn verifier(command: VerifierCommand) -> Result<ExitCode> {
    match command {
        VerifierCommand::Sync {
            from,
            verifier_dir,
            trust,
        } => {
            let now = OffsetDateTime::now_utc();
            let summary = VerifierDir::new(&verifier_dir).sync(
                &PublishedSource::parse(&from),
                trust.as_deref(),
                now,
            )?;
            let (id, issued, next, signers) = summary.trust_list;
            outln!(
                "trust list #{id} of {} ({}), next update {}, {signers} document signers",
                rfc3339(issued),
                if summary.trust_list_updated {
                    "updated"
                } else {
                    "unchanged"
                },
                rfc3339(next)
            );
            for (name, iat, exp) in &summary.taken {
                outln!(
                    "status list {name}: issued {}, expires {}",
                    rfc3339(*iat),
                    rfc3339(*exp)
                );
            }
            for (name, why) in &summary.skipped {
                outln!("status list {name} left: {why}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
