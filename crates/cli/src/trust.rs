//! The credential and trust commands: `edl pki`, `edl status-list`, `edl wallet`, `edl verify`,
//! `edl interop`. Each parses its arguments, calls `edl-app` or `edl-mdoc`, and prints.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use edl_app::credentials::{Issuer, Publication, claim, publish_status_lists, sign_status_list};
use edl_app::pki_dir::PkiDir;
use edl_app::wallet_dir::WalletDir;
use edl_app::{Clock, SystemClock};
use edl_domain::{AuthorityName, FileNumber, IssuingAuthority, RegionCode};
use edl_mdoc::verify::{StatusFinding, Verifier, VerifyInput};
use edl_mdoc::{Portrait, Purpose, ReaderKey, SessionTranscript};
use edl_pki::{CertificateDer, Passphrase, ScryptCost, TrustAnchor};
use edl_status_list::verify_token;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::args::*;

macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stdout(), $($arg)*);
    }};
}

/// The largest file the verifier reads (a DeviceResponse, a transcript, a status list).
const MAX_INPUT_BYTES: u64 = 16 << 20;

pub(crate) fn read_input(path: &Path, what: &str) -> Result<Vec<u8>> {
    let len = fs::metadata(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?
        .len();
    if len > MAX_INPUT_BYTES {
        bail!(
            "the {what} {} is {len} bytes, more than the {MAX_INPUT_BYTES} allowed",
            path.display()
        );
    }
    fs::read(path).with_context(|| format!("cannot read the {what} {}", path.display()))
}

pub(crate) fn pki_passphrase(args: &PkiPassphraseArgs) -> Result<Passphrase> {
    match &args.passphrase_file {
        Some(path) => Passphrase::from_file(path).context("cannot read the PKI passphrase file"),
        None => Passphrase::from_env("EDL_PKI_PASSPHRASE")
            .context("set EDL_PKI_PASSPHRASE or pass --passphrase-file"),
    }
}

pub(crate) fn wallet_passphrase(args: &WalletPassphraseArgs) -> Result<Passphrase> {
    match &args.passphrase_file {
        Some(path) => Passphrase::from_file(path).context("cannot read the wallet passphrase file"),
        None => Passphrase::from_env("EDL_WALLET_PASSPHRASE")
            .context("set EDL_WALLET_PASSPHRASE or pass --wallet-passphrase-file"),
    }
}

fn kdf(args: &KdfArgs) -> Result<ScryptCost> {
    ScryptCost::new(args.kdf_cost).context("--kdf-cost")
}

fn region(text: &str) -> Result<RegionCode> {
    RegionCode::parse(text).context("--region must be a GB/T 2260 code such as 120100")
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// What the commands that sign for an issuer open once: the PKI directory, its passphrase and
/// the public URL status lists are published under.
struct Signing {
    pki: PkiDir,
    passphrase: Passphrase,
    public_url: String,
}

impl Signing {
    fn open(
        pki: &PkiDirArgs,
        passphrase: &PkiPassphraseArgs,
        public: &PublicUrlArgs,
    ) -> Result<Signing> {
        Ok(Signing {
            pki: PkiDir::new(&pki.pki_dir),
            passphrase: pki_passphrase(passphrase)?,
            public_url: public.public_url.clone(),
        })
    }

    fn issuer(&self) -> Issuer<'_> {
        Issuer {
            pki: &self.pki,
            passphrase: &self.passphrase,
            public_url: &self.public_url,
            opened: None,
        }
    }
}

pub(crate) async fn pki(command: PkiCommand) -> Result<()> {
    let now = SystemClock.now();
    match command {
        PkiCommand::Init {
            dir,
            passphrase,
            kdf: cost,
        } => {
            let pki = PkiDir::new(&dir.pki_dir);
            let summary = pki.init(&pki_passphrase(&passphrase)?, kdf(&cost)?, now)?;
            outln!("created the national IACA in {}", dir.pki_dir.display());
            outln!("  valid until {}", rfc3339(summary.not_after));
            outln!("  trust-list signer: trust-list-signer.pem");
            outln!("next: edl pki add-authority --region CODE --name NAME");
        }
        PkiCommand::AddAuthority {
            region: code,
            name,
            days,
            dir,
            passphrase,
            kdf: cost,
        } => {
            let authority = IssuingAuthority {
                name: AuthorityName::parse(&name).context("--name")?,
                region: region(&code)?,
            };
            let signer = PkiDir::new(&dir.pki_dir).add_authority(
                &authority,
                &pki_passphrase(&passphrase)?,
                kdf(&cost)?,
                now,
                days,
            )?;
            outln!(
                "document signer {} for {} ({})",
                signer.number,
                authority.name,
                authority.region
            );
            outln!("  {}", signer.path.display());
            outln!(
                "  valid {} .. {}",
                rfc3339(signer.certificate.not_before()),
                rfc3339(signer.certificate.not_after())
            );
        }
        PkiCommand::Rotate {
            region: code,
            days,
            dir,
            passphrase,
            kdf: cost,
        } => {
            let signer = PkiDir::new(&dir.pki_dir).rotate(
                region(&code)?,
                &pki_passphrase(&passphrase)?,
                kdf(&cost)?,
                now,
                days,
            )?;
            outln!(
                "document signer {} added; earlier signers stay valid until they expire",
                signer.number
            );
            outln!("  {}", signer.path.display());
            outln!(
                "  valid {} .. {}",
                rfc3339(signer.certificate.not_before()),
                rfc3339(signer.certificate.not_after())
            );
        }
        PkiCommand::ExportTrustList {
            output,
            pem,
            dir,
            passphrase,
        } => {
            let pki = PkiDir::new(&dir.pki_dir);
            let list = pki.trust_list(&pki_passphrase(&passphrase)?, now)?;
            fs::write(&output, list.as_bytes())
                .with_context(|| format!("cannot write {}", output.display()))?;
            outln!(
                "trust list written to {} ({} bytes)",
                output.display(),
                list.as_bytes().len()
            );
            if let Some(pem) = pem {
                fs::write(&pem, pki.iaca()?.to_pem())
                    .with_context(|| format!("cannot write {}", pem.display()))?;
                outln!("IACA certificate written to {}", pem.display());
            }
        }
        PkiCommand::RevokeSigner {
            region: code,
            number,
            dir,
        } => {
            let revoked = PkiDir::new(&dir.pki_dir).revoke(region(&code)?, number, now)?;
            outln!(
                "document signer #{number} of {code} revoked from {}; publish a new trust list (edl pki export-trust-list) so verifiers learn it",
                rfc3339(revoked.revoked_at.unwrap_or(now))
            );
        }
        PkiCommand::List { dir } => {
            let pki = PkiDir::new(&dir.pki_dir);
            let anchor = pki.anchor()?;
            outln!(
                "IACA {} valid until {}",
                anchor.common_name().unwrap_or("?"),
                rfc3339(anchor.not_after())
            );
            for code in pki.regions()? {
                for signer in pki.signers(code)? {
                    let state = match signer.revoked_at {
                        Some(at) => format!("revoked {}", rfc3339(at)),
                        None if signer.certificate.is_valid_at(now) => "valid".to_owned(),
                        None => "not valid now".to_owned(),
                    };
                    outln!(
                        "{code}  #{}  {}  {} .. {}  {state}",
                        signer.number,
                        signer.certificate.authority_name().unwrap_or("?"),
                        rfc3339(signer.certificate.not_before()),
                        rfc3339(signer.certificate.not_after())
                    );
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn status_list(command: StatusListCommand) -> Result<()> {
    let now = SystemClock.now();
    match command {
        StatusListCommand::Build {
            region: code,
            output,
            pki,
            passphrase,
            public,
            db,
        } => {
            let store = crate::commands::open(&db).await?;
            let signing = Signing::open(&pki, &passphrase, &public)?;
            let issuer = signing.issuer();
            let region = region(&code)?;
            let token = sign_status_list(&store, &issuer, region, now).await?;
            edl_app::credentials::write_atomically(&output, &token)?;
            let len = edl_store::Store::status_list_len(&store, region).await?;
            outln!(
                "status list of {region}: {len} credentials, {} bytes, written to {}",
                token.len(),
                output.display()
            );
        }
        StatusListCommand::Publish {
            out,
            pki,
            passphrase,
            public,
            db,
        } => {
            let store = crate::commands::open(&db).await?;
            let signing = Signing::open(&pki, &passphrase, &public)?;
            let issuer = signing.issuer();
            for publication in publish_status_lists(&store, &issuer, &out, now).await? {
                match publication {
                    Publication::Written { region, path, why } => {
                        outln!("{region}: published ({why}) to {}", path.display())
                    }
                    Publication::Unchanged { region } => outln!("{region}: unchanged"),
                }
            }
        }
    }
    Ok(())
}

pub(crate) async fn wallet(command: WalletCommand) -> Result<()> {
    match command {
        WalletCommand::Init {
            wallet,
            passphrase,
            kdf: cost,
        } => {
            let key = WalletDir::new(&wallet.wallet_dir)
                .init(&wallet_passphrase(&passphrase)?, kdf(&cost)?)?;
            outln!(
                "device key {} created in {}",
                key.key_identifier(),
                wallet.wallet_dir.display()
            );
        }
        WalletCommand::Claim {
            file_number,
            wallet,
            pki,
            passphrase,
            public,
            db,
        } => {
            let wallet = WalletDir::new(&wallet.wallet_dir);
            let device_key = wallet.public_key()?;
            let store = crate::commands::open(&db).await?;
            let signing = Signing::open(&pki, &passphrase, &public)?;
            let issuer = signing.issuer();
            let file_number = FileNumber::parse(&file_number).context("--file-number")?;
            // Registry portraits are not in the CSV exchange format yet; the demo portrait stands in.
            let portrait = Portrait::new(edl_synth::demo_portrait().to_vec())?;
            let issued = claim(
                &store,
                &issuer,
                &file_number,
                &device_key,
                &portrait,
                SystemClock.now(),
            )
            .await?;
            wallet.store_credential(&issued.issuer_signed)?;
            wallet.store_compact(&issued.compact)?;
            let c = &issued.record.credential;
            outln!(
                "claimed: credential {} (status index {} of {})",
                issued.record.id,
                issued.record.status_index,
                c.region
            );
            outln!(
                "  valid {} .. {}",
                rfc3339(c.issued_at),
                rfc3339(c.valid_until)
            );
        }
        WalletCommand::Qr {
            purpose,
            png,
            svg,
            text,
            count,
            challenge,
            at,
            wallet,
            passphrase,
        } => crate::qr::wallet_qr(crate::qr::QrOutput {
            purpose: &purpose,
            png: png.as_deref(),
            svg: svg.as_deref(),
            text,
            count,
            challenge: challenge.as_deref(),
            at: at.as_deref(),
            wallet: &WalletDir::new(&wallet.wallet_dir),
            passphrase: &wallet_passphrase(&passphrase)?,
        })?,
        WalletCommand::Show {
            purpose,
            wallet,
            passphrase,
        } => crate::qr::wallet_show(
            &purpose,
            &WalletDir::new(&wallet.wallet_dir),
            &wallet_passphrase(&passphrase)?,
        )?,
        WalletCommand::Present {
            purpose,
            session_transcript,
            output,
            wallet,
            passphrase,
        } => {
            let purpose = Purpose::parse(&purpose)?;
            let transcript = SessionTranscript::from_bytes(&read_input(
                &session_transcript,
                "session transcript",
            )?)
            .context("the session transcript is not SessionTranscriptBytes")?;
            let response = WalletDir::new(&wallet.wallet_dir).present(
                &wallet_passphrase(&passphrase)?,
                purpose,
                &transcript,
            )?;
            let bytes = response.to_bytes();
            fs::write(&output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            outln!(
                "DeviceResponse for {} ({}) written to {} ({} bytes)",
                purpose,
                purpose.name_zh(),
                output.display(),
                bytes.len()
            );
        }
    }
    Ok(())
}

pub(crate) async fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let Some(device_response) = &args.device_response else {
        return crate::qr::verify(&args);
    };
    let Some(session_transcript) = &args.session_transcript else {
        bail!("--device-response needs --session-transcript");
    };
    let Some(trust) = &args.trust else {
        bail!("--device-response needs --trust IACA.pem");
    };
    let response = read_input(device_response, "DeviceResponse")?;
    let transcript =
        SessionTranscript::from_bytes(&read_input(session_transcript, "session transcript")?)
            .context(
                "the session transcript is neither SessionTranscriptBytes nor a SessionTranscript",
            )?;
    let pem = String::from_utf8(read_input(trust, "trust file")?)
        .context("the trust file is not PEM text")?;
    let anchors = CertificateDer::parse_pem_bundle(&pem)
        .context("the trust file holds no PEM certificate")?
        .into_iter()
        .map(TrustAnchor::parse)
        .collect::<Result<Vec<_>, _>>()
        .context("a certificate in the trust file is not a usable IACA")?;
    if anchors.is_empty() {
        bail!("the trust file holds no certificate");
    }
    let at = match &args.at {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .context("--at must be RFC 3339, e.g. 2021-01-01T00:00:00Z")?,
        None => SystemClock.now(),
    };
    let reader_key = match &args.reader_key {
        None => None,
        Some(hex) => Some(ReaderKey::from_scalar(
            &decode_hex(hex).context("--reader-key must be hex")?,
        )?),
    };
    let mut lists = Vec::new();
    for path in &args.status_lists {
        let bytes = read_input(path, "status list")?;
        let list = verify_token(&bytes, &anchors, at, None)
            .with_context(|| format!("the status list {} is not acceptable", path.display()))?;
        lists.push(list);
    }
    let report = Verifier::new(anchors).verify(&VerifyInput {
        device_response: &response,
        session_transcript: &transcript,
        status_lists: &lists,
        at,
        reader_key: reader_key.as_ref(),
    });
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&report.to_json()).unwrap_or_default()
        );
    } else {
        print_report(&report);
    }
    Ok(if report.is_valid() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn print_report(report: &edl_mdoc::VerificationReport) {
    outln!(
        "{}",
        if report.is_valid() {
            "VALID"
        } else {
            "NOT VALID"
        }
    );
    outln!("validated at {}", rfc3339(report.validated_at));
    if let Some(v) = &report.validity {
        outln!(
            "credential valid {} .. {}",
            rfc3339(v.valid_from),
            rfc3339(v.valid_until)
        );
    }
    match &report.status {
        StatusFinding::NotReferenced => {
            outln!("status: the credential carries no status reference")
        }
        StatusFinding::Found {
            status,
            list_issued_at,
        } => {
            outln!(
                "status: {} (list issued {})",
                status.as_str(),
                rfc3339(*list_issued_at)
            )
        }
        StatusFinding::Unknown { reason } => outln!("status: unknown ({reason})"),
    }
    if !report.disclosed.is_empty() {
        outln!("disclosed:");
        for d in &report.disclosed {
            let value = match &d.value {
                ciborium::Value::Bytes(b) => format!("<{} bytes>", b.len()),
                other => edl_mdoc::report_json::cbor_to_json(other).to_string(),
            };
            outln!("  {} {} = {value}", d.namespace, d.identifier);
        }
    }
    outln!("checks:");
    let _ = write!(io::stdout(), "{report}");
}

pub(crate) fn decode_hex(text: &str) -> Result<Vec<u8>> {
    let text = text.trim();
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("not an even number of hex digits");
    }
    Ok((0..text.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect())
}

pub(crate) async fn interop(command: InteropCommand) -> Result<()> {
    match command {
        InteropCommand::Export { out } => {
            let at = edl_app::interop::export(&out, SystemClock.now())?;
            for name in edl_app::interop::FILES {
                outln!("{}", out.join(name).display());
            }
            outln!(
                "verify with: edl verify --device-response {0}/device-response.cbor --session-transcript {0}/session-transcript.cbor --trust {0}/iaca.pem --status-list {0}/status-list.cwt --at {1}",
                out.display(),
                rfc3339(at)
            );
            outln!(
                "and the QR code with: edl verify --image {0}/qr.png --trust {0}/iaca.pem --signer {0}/document-signer.pem --status-list {0}/status-list.cwt --at {1}",
                out.display(),
                rfc3339(at)
            );
        }
        InteropCommand::Transcript {
            nonce,
            client_id,
            response_uri,
            output,
        } => {
            if nonce.trim().is_empty() {
                bail!("--nonce must not be empty");
            }
            let transcript = SessionTranscript::openid4vp(&client_id, &nonce, None, &response_uri);
            fs::write(&output, transcript.tagged_bytes())
                .with_context(|| format!("cannot write {}", output.display()))?;
            outln!("SessionTranscriptBytes written to {}", output.display());
        }
    }
    Ok(())
}
