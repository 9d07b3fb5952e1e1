//! Demo data for `edl serve --demo`: the 2021 rollout's authorities and phases and synthetic licences.

use std::collections::HashMap;

use edl_domain::AuthorityName;
use edl_store::{AuthorityId, ImportRecord, Store, StoreError};
use edl_synth::Generator;
use sha2::{Digest, Sha256};

use crate::Clock;

/// The seed of the demo data set, so every demo shows the same licences.
pub const DEMO_SEED: u64 = 2021;

/// The date the demo data set describes (as `edl gen-licences --as-of`): fixed, so that the demo set
/// is the same whatever day it is created and [`demo_examples`] names licences that exist.
pub const DEMO_AS_OF: time::Date = time::macros::date!(2026 - 01 - 01);

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DemoOutcome {
    /// The registry already held licences; nothing was added.
    AlreadyPopulated {
        /// How many licences it holds.
        licences: u64,
    },
    /// Demo data was written.
    Seeded {
        /// Licences written.
        licences: u64,
        /// Issuing authorities registered.
        authorities: usize,
        /// Rollout phases scheduled.
        rollout_entries: usize,
    },
}

/// Fills an empty registry with `count` synthetic licences, the demo authorities and the rollout phases.
///
/// A registry that already holds licences is left alone, so restarting `edl serve --demo` keeps
/// whatever the user changed.
pub async fn seed_demo<S: Store>(
    store: &S,
    clock: &dyn Clock,
    count: u64,
) -> Result<DemoOutcome, StoreError> {
    let existing = store.count_licences().await?;
    if existing > 0 {
        return Ok(DemoOutcome::AlreadyPopulated { licences: existing });
    }
    let authorities = edl_synth::demo_authorities();
    let mut ids: HashMap<AuthorityName, AuthorityId> = HashMap::new();
    for authority in &authorities {
        ids.insert(
            authority.name.clone(),
            store.ensure_authority(authority).await?,
        );
    }
    let phases = edl_synth::rollout_phases();
    for entry in &phases {
        store.set_rollout(entry).await?;
    }

    // The demo set is one "import" whose identity is derived from its parameters.
    let source_hash: [u8; 32] =
        Sha256::digest(format!("edl demo data seed={DEMO_SEED} count={count}")).into();
    let source = store.begin_import(source_hash, clock.now()).await?;
    let mut generator = Generator::new(DEMO_SEED, DEMO_AS_OF);
    let mut written = 0u64;
    let mut line = 1u64;
    while written < count {
        let take = (count - written).min(1_000);
        let batch: Vec<_> = (&mut generator).take(take as usize).collect();
        let mut records = Vec::with_capacity(batch.len());
        for licence in &batch {
            line += 1;
            let authority = licence.authority();
            let authority_id = match ids.get(&authority.name) {
                Some(id) => *id,
                None => {
                    let id = store.ensure_authority(authority).await?;
                    ids.insert(authority.name.clone(), id);
                    id
                }
            };
            records.push(ImportRecord {
                line,
                licence,
                authority_id,
                digest: edl_csv::licence_digest(licence),
            });
        }
        let outcome = store.import_batch(source, &records).await?;
        written += take;
        if !outcome.conflicts.is_empty() {
            tracing::warn!(
                conflicts = outcome.conflicts.len(),
                "demo data had conflicting file numbers"
            );
        }
    }
    store
        .finish_import(source, clock.now(), written, 0, 0)
        .await?;
    Ok(DemoOutcome::Seeded {
        licences: written,
        authorities: ids.len(),
        rollout_entries: phases.len(),
    })
}

/// A few licences of the demo set worth looking at: the first that shows a black QR code, the first
/// red one and the first that is no longer displayed, with their display state as of `today`.
pub fn demo_examples(
    today: time::Date,
    count: u64,
) -> Vec<(edl_domain::FileNumber, edl_domain::DisplayState)> {
    use edl_domain::DisplayState;
    let mut wanted = vec![
        DisplayState::BlackQr,
        DisplayState::RedQr,
        DisplayState::NotDisplayed,
    ];
    let mut found = Vec::new();
    for licence in Generator::new(DEMO_SEED, DEMO_AS_OF).take(count as usize) {
        let state = licence.display_state(today);
        if let Some(i) = wanted.iter().position(|w| *w == state) {
            wanted.remove(i);
            found.push((licence.file_number().clone(), state));
            if wanted.is_empty() {
                break;
            }
        }
    }
    found
}

/// The passphrase file of the demo PKI, beside it. Demo only: a real deployment takes the
/// passphrase from the environment or a file the operator controls (`docs/decisions/pki.md`).
pub const DEMO_PASSPHRASE_FILE: &str = "demo-pki-passphrase";

/// For `edl serve --demo`: a PKI in `dir` with a document signer for every demo authority, made on
/// first use with a random passphrase kept in `dir/../demo-pki-passphrase` (mode 0600) and the
/// cheapest key encryption (fast start; demo keys protect nothing). An existing PKI is reused.
pub fn ensure_demo_pki(
    dir: &std::path::Path,
    now: time::OffsetDateTime,
) -> Result<edl_pki::Passphrase, crate::pki_dir::PkiDirError> {
    use crate::pki_dir::{DEFAULT_SIGNER_DAYS, PkiDir, PkiDirError};
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let parent = dir.parent().unwrap_or(std::path::Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| PkiDirError::Io {
        path: parent.to_owned(),
        operation: "create directory",
        source,
    })?;
    let file = parent.join(DEMO_PASSPHRASE_FILE);
    if !file.exists() {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the operating system's random source works");
        let text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        write_private(&file, text.as_bytes()).map_err(|source| PkiDirError::Io {
            path: file.clone(),
            operation: "write",
            source,
        })?;
    }
    let passphrase =
        edl_pki::Passphrase::from_file(&file).map_err(|e| PkiDirError::Certificate {
            path: file.clone(),
            reason: e.to_string(),
        })?;
    let pki = PkiDir::new(dir);
    let cost = edl_pki::ScryptCost::new(edl_pki::ScryptCost::MIN_LOG_N)
        .expect("the minimum cost is a valid cost");
    if pki.iaca().is_err() {
        pki.init(&passphrase, cost, now)?;
    }
    for authority in edl_synth::demo_authorities() {
        if pki.signers(authority.region)?.is_empty() {
            pki.add_authority(&authority, &passphrase, cost, now, DEFAULT_SIGNER_DAYS)?;
        }
    }
    Ok(passphrase)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
