//! The subcommands: each turns its arguments into domain values, calls `edl-app`, and prints.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use edl_app::changes::{Actor, Change, Reason, apply_change};
use edl_app::import::{ImportOptions, RejectWriter, import_file};
use edl_app::{AnyStore, Clock, DatabaseUrl, SystemClock};
use edl_csv::{Encoding, EncodingChoice, RowWriter};
use edl_domain::{
    AuthorityName, CitizenId, ClassSet, FileNumber, IssuingAuthority, Licence, PointValue,
    RegionCode, RolloutEntry, StatusSet, ValidityEnd,
};
use edl_server::configuration::RawSettings;
use edl_server::startup::{AppState, Application, ServiceInfo, shutdown_signal};
use edl_store::Store;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use time::Date;

use crate::args::*;
use crate::trust;

/// `println!` that does not panic when standard output is closed (`edl … | head`): a closed pipe means
/// nobody reads the rest, so the line is dropped.
macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stdout(), $($arg)*);
    }};
}

/// Runs one command to completion.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let done = match cli.command {
            Command::Serve(args) => serve(args).await,
            Command::Migrate(args) => migrate(args).await,
            Command::Import(args) => import(args).await,
            Command::GenLicences(args) => gen_licences(args),
            Command::Licence(command) => licence(command).await,
            Command::Authority(command) => authority(command).await,
            Command::Rollout(command) => rollout(command).await,
            Command::Staff(command) => staff(command).await,
            Command::Stats(command) => stats(command).await,
            Command::Pki(command) => trust::pki(command).await,
            Command::StatusList(command) => trust::status_list(command).await,
            Command::Wallet(command) => trust::wallet(command).await,
            Command::Interop(command) => trust::interop(command).await,
            Command::Verifier(command) => return crate::qr::verifier(command),
            Command::Bench(BenchCommand::Claims(args)) => crate::bench::claims(args).await,
            Command::Org(command) => organisations(command).await,
            // The only command whose exit status is a verdict, not just success.
            Command::Verify(args) => return trust::verify(args).await,
        };
        done.map(|()| ExitCode::SUCCESS)
    })
}

fn database_url(args: &DatabaseArgs) -> Result<DatabaseUrl> {
    match &args.database_url {
        Some(url) => DatabaseUrl::parse(url).context("invalid --database-url"),
        None => Ok(DatabaseUrl::default_sqlite()),
    }
}

pub(crate) async fn open(args: &DatabaseArgs) -> Result<AnyStore> {
    let url = database_url(args)?;
    AnyStore::open(&url)
        .await
        .with_context(|| format!("cannot open the registry at {url}"))
}

fn parse_date(text: &str, what: &str) -> Result<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .with_context(|| format!("{what} must be a date YYYY-MM-DD"))
}

/// The PKI the wallet issues with: `--pki` with its passphrase when the directory holds a PKI;
/// with `--demo`, a demo PKI made (or reused) there; otherwise none (claiming is unavailable).
fn wallet_issuer(
    pki: &PkiDirArgs,
    passphrase: &PkiPassphraseArgs,
    public: &PublicUrlArgs,
    demo: bool,
) -> Result<Option<edl_server::startup::WalletIssuer>> {
    let dir = edl_app::pki_dir::PkiDir::new(&pki.pki_dir);
    let passphrase = if dir.iaca().is_ok() && !demo {
        trust::pki_passphrase(passphrase)?
    } else if demo {
        if dir.iaca().is_ok() && passphrase.passphrase_file.is_some() {
            trust::pki_passphrase(passphrase)?
        } else {
            edl_app::demo::ensure_demo_pki(&pki.pki_dir, time::OffsetDateTime::now_utc())
                .context("cannot create the demo PKI")?
        }
    } else {
        tracing::warn!("no PKI at the --pki directory: claiming is unavailable");
        return Ok(None);
    };
    Ok(Some(edl_server::startup::WalletIssuer::new(
        dir,
        passphrase,
        public.public_url.clone(),
    )))
}

async fn serve(args: ServeArgs) -> Result<()> {
    let mut raw = match &args.config {
        Some(path) => RawSettings::from_file(path)?,
        None => RawSettings::default(),
    }
    .with_env(|key| std::env::var(key).ok())?;
    if let Some(listen) = args.listen {
        raw.listen = Some(listen);
    }
    if let Some(url) = args.db.database_url {
        raw.database_url = Some(url);
    }
    if let Some(rate) = args.api_rate {
        raw.api_rate = Some(rate);
    }
    if let Some(burst) = args.api_burst {
        raw.api_burst = Some(burst);
    }
    if let Some(entries) = args.verify_signature_cache {
        raw.verify_signature_cache = Some(entries);
    }
    let settings = raw.resolve()?;
    edl_server::telemetry::init(settings.log_format);

    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = AnyStore::open(&settings.database_url)
        .await
        .with_context(|| format!("cannot open the registry at {}", settings.database_url))?;
    tracing::info!(database = %settings.database_url, "registry open, migrations applied");
    if args.demo {
        let outcome = edl_app::demo::seed_demo(&store, clock.as_ref(), settings.demo_licences)
            .await
            .context("cannot create the demo data")?;
        tracing::info!(?outcome, "demo data");
        let staff = edl_server::demo::seed_console_demo(&store, clock.now())
            .await
            .context("cannot create the demo staff")?;
        tracing::info!(?staff, "demo staff");
    }
    let issuer = wallet_issuer(&args.pki, &args.passphrase, &args.public, args.demo)?;
    let state = AppState::new(
        store,
        clock,
        ServiceInfo {
            database_url: settings.database_url.clone(),
            demo: args.demo,
        },
        issuer,
    )
    .with_api_limits(settings.api_limits);
    let app = Application::build(settings.listen, state)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let addr = app.local_addr()?;
    tracing::info!(%addr, "listening");
    outln!(
        "edl serve: http://{addr}/  (database: {})",
        settings.database_url
    );
    if args.demo {
        outln!(
            "  demo data: synthetic licences, demo issuing authorities and the 2021 rollout phases."
        );
        outln!(
            "  console: http://{addr}/console  (demo logins: {} / {}, op-120100 / {}, rental / demo-verifier; see README.md)",
            edl_server::demo::PLATFORM.0,
            edl_server::demo::PLATFORM.1,
            edl_server::demo::OPERATOR_PASSWORD,
        );
        for (number, state) in
            edl_app::demo::demo_examples(SystemClock.today(), settings.demo_licences)
        {
            outln!(
                "  example ({state:?}): edl licence show --file-number {}",
                number.as_str()
            );
        }
    }
    outln!("  Ctrl-C stops the service.");
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(args: MigrateArgs) -> Result<()> {
    let url = database_url(&args.db)?;
    let store = AnyStore::open(&url)
        .await
        .with_context(|| format!("cannot open the registry at {url}"))?;
    let versions = store.applied_migrations().await?;
    outln!(
        "{url}: schema up to date ({} migration{} applied: {})",
        versions.len(),
        if versions.len() == 1 { "" } else { "s" },
        versions
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

async fn import(args: ImportArgs) -> Result<()> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    let url = database_url(&args.db)?;
    let store = AnyStore::open(&url)
        .await
        .with_context(|| format!("cannot open the registry at {url}"))?;
    let rejects_path = args.rejects.clone().unwrap_or_else(|| {
        let mut name = args.file.as_os_str().to_owned();
        name.push(".rejects.csv");
        name.into()
    });
    let rejects_file = File::create(&rejects_path)
        .with_context(|| format!("cannot create the reject report {}", rejects_path.display()))?;
    let mut rejects = RejectWriter::new(BufWriter::new(rejects_file))?;
    let options = ImportOptions {
        encoding: match args.encoding {
            EncodingArg::Auto => EncodingChoice::Auto,
            EncodingArg::Utf8 => EncodingChoice::Utf8,
            EncodingArg::Gbk => EncodingChoice::Gbk,
        },
        // SQLite writes fastest in large transactions (fewer WAL pages per row) and serialises writers;
        // PostgreSQL gains from a second server process. See BENCHMARKS.md.
        batch_size: args.batch_size.unwrap_or(match url {
            DatabaseUrl::Sqlite(_) => 50_000,
            DatabaseUrl::Postgres(_) => 10_000,
        }),
        writers: args.writers.unwrap_or(match url {
            DatabaseUrl::Sqlite(_) => 1,
            DatabaseUrl::Postgres(_) => 2,
        }),
        only_authority: None,
    };
    if options.batch_size == 0 || options.writers == 0 {
        bail!("--batch-size and --writers must be at least 1");
    }
    let bar = ProgressBar::with_draw_target(
        Some(size),
        if args.no_progress {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% ETA {eta}  {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let clock = SystemClock;
    let summary = import_file(&store, &clock, &args.file, &options, &mut rejects, |p| {
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        bar.set_position(p.bytes_read);
        bar.set_message(format!(
            "{} records, {:.0} records/s, {} new, {} unchanged, {} rejected",
            p.rows,
            p.rows as f64 / secs,
            p.inserted,
            p.unchanged,
            p.rejected
        ));
    })
    .await;
    bar.finish_and_clear();
    rejects.finish().context("cannot write the reject report")?;
    let summary = summary?;
    let secs = started.elapsed().as_secs_f64();
    let p = &summary.progress;
    outln!(
        "imported {} ({}): {} records in {:.1} s ({:.0} records/s): {} new, {} already present, {} rejected",
        args.file.display(),
        match summary.encoding {
            Encoding::Utf8 => "UTF-8",
            Encoding::Gbk => "GBK",
        },
        p.rows,
        secs,
        p.rows as f64 / secs.max(1e-3),
        p.inserted,
        p.unchanged,
        p.rejected
    );
    for authority in &summary.new_authorities {
        outln!(
            "  new issuing authority registered: {} ({})",
            authority.name,
            authority.region
        );
    }
    if p.rejected > 0 {
        outln!(
            "  rejected rows are listed with line numbers and reasons in {}",
            rejects_path.display()
        );
    }
    Ok(())
}

fn gen_licences(args: GenArgs) -> Result<()> {
    let as_of = parse_date(&args.as_of, "--as-of")?;
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(io::stdout().lock()),
    };
    let encoding = match args.encoding {
        OutputEncodingArg::Utf8 => Encoding::Utf8,
        OutputEncodingArg::Gbk => Encoding::Gbk,
    };
    let mut writer = RowWriter::new(BufWriter::with_capacity(1 << 20, out), encoding)?;
    let generator = edl_synth::Generator::new(args.seed, as_of);
    for licence in generator.take(args.count as usize) {
        writer.write(&licence)?;
    }
    writer.finish()?;
    Ok(())
}

fn print_licence(licence: &Licence, version: i64, today: Date) {
    let v = licence.validity();
    outln!("档案编号 file number   {}", licence.file_number().as_str());
    outln!("证号 citizen ID        {}", licence.citizen_id().as_str());
    outln!("姓名 name              {}", licence.name());
    outln!("性别 sex               {}", licence.sex());
    outln!("国籍 nationality       {}", licence.nationality());
    outln!("出生日期 birth date    {}", licence.birth_date());
    outln!("住址 address           {}", licence.address());
    outln!("初次领证 first issue   {}", licence.first_issue());
    outln!(
        "准驾车型 classes       {} (permits {})",
        licence.classes(),
        licence.classes().implied()
    );
    outln!("有效期限 validity      {} 至 {}", v.start(), v.end());
    outln!(
        "发证机关 authority     {} ({})",
        licence.authority().name,
        licence.authority().region
    );
    outln!(
        "状态 status            {} → {:?}",
        licence.status(),
        licence.display_state(today)
    );
    outln!(
        "累积记分 points        {} (cycle from {})",
        licence.points_as_of(today),
        licence.points().cycle_start()
    );
    match licence.claim_eligibility(today) {
        Ok(()) => outln!("申领 claim             allowed (if the region is open)"),
        Err(refusal) => outln!("申领 claim             refused: {refusal}"),
    }
    outln!(
        "换证次 edition         {}   (record version {version})",
        licence.edition()
    );
}

async fn licence(command: LicenceCommand) -> Result<()> {
    let clock = SystemClock;
    match command {
        LicenceCommand::Show {
            file_number,
            citizen_id,
            db,
        } => {
            let store = open(&db).await?;
            let found = match (file_number, citizen_id) {
                (Some(n), _) => {
                    let n = FileNumber::parse(&n).context("invalid --file-number")?;
                    store.licence(&n).await?.into_iter().collect::<Vec<_>>()
                }
                (None, Some(id)) => {
                    let id = CitizenId::parse(&id).context("invalid --citizen-id")?;
                    store.licences_by_citizen_id(&id).await?
                }
                (None, None) => bail!("give --file-number or --citizen-id"),
            };
            if found.is_empty() {
                bail!("no licence found");
            }
            for (i, stored) in found.iter().enumerate() {
                if i > 0 {
                    outln!();
                }
                print_licence(&stored.licence, stored.version, clock.today());
            }
        }
        LicenceCommand::SetStatus {
            licence,
            status,
            change,
            db,
        } => {
            let status = StatusSet::parse(&status).context("invalid --status")?;
            change_licence(&db, &licence, Change::SetStatus(status), &change).await?;
        }
        LicenceCommand::AddPoints {
            licence,
            points,
            on,
            change,
            db,
        } => {
            let value = PointValue::try_from(points).context("invalid --points")?;
            let on = match on {
                Some(text) => parse_date(&text, "--on")?,
                None => clock.today(),
            };
            change_licence(&db, &licence, Change::AddPoints { value, on }, &change).await?;
        }
        LicenceCommand::Renew {
            licence,
            until,
            classes,
            full_score_during_term,
            change,
            db,
        } => {
            let until = match until {
                Some(text) => Some(ValidityEnd::parse(&text).context("invalid --until")?),
                None => None,
            };
            let classes = match classes {
                Some(text) => Some(ClassSet::parse(&text).context("invalid --classes")?),
                None => None,
            };
            let renew = Change::Renew {
                until,
                classes,
                full_score_during_term,
            };
            change_licence(&db, &licence, renew, &change).await?;
        }
        LicenceCommand::History { licence, db } => {
            let store = open(&db).await?;
            let n = FileNumber::parse(&licence.file_number).context("invalid --file-number")?;
            if store.licence(&n).await?.is_none() {
                bail!("no licence with this 档案编号");
            }
            let history = store.history(&n).await?;
            if history.is_empty() {
                outln!("no changes recorded since import");
            }
            for entry in history {
                outln!(
                    "{}  {:?}  by {}  reason: {}\n    before: {}\n    after:  {}",
                    entry.at,
                    entry.kind,
                    entry.actor,
                    entry.reason,
                    entry.before,
                    entry.after
                );
            }
        }
    }
    Ok(())
}

async fn change_licence(
    db: &DatabaseArgs,
    licence: &LicenceRef,
    change: Change,
    who: &ChangeArgs,
) -> Result<()> {
    let clock = SystemClock;
    let store = open(db).await?;
    let n = FileNumber::parse(&licence.file_number).context("invalid --file-number")?;
    let actor = Actor::parse(&who.by)?;
    let reason = Reason::parse(&who.reason)?;
    let after = apply_change(&store, &clock, &n, &change, &actor, &reason).await?;
    outln!("recorded: {}", edl_app::changes::summary(&after));
    outln!(
        "display: {:?}; claim: {}",
        after.display_state(clock.today()),
        match after.claim_eligibility(clock.today()) {
            Ok(()) => "allowed".to_owned(),
            Err(refusal) => format!("refused ({refusal})"),
        }
    );
    Ok(())
}

async fn authority(command: AuthorityCommand) -> Result<()> {
    match command {
        AuthorityCommand::List { db } => {
            let store = open(&db).await?;
            let mut list = store.list_authorities().await?;
            list.sort_by_key(|a| a.authority.region);
            for record in list {
                outln!(
                    "{:>5}  {}  {}  {}",
                    record.id.0,
                    record.authority.region,
                    record.authority.region.full_name(),
                    record.authority.name
                );
            }
        }
        AuthorityCommand::Add { name, region, db } => {
            let authority = IssuingAuthority {
                name: AuthorityName::parse(&name).context("invalid --name")?,
                region: RegionCode::parse(&region).context("invalid --region")?,
            };
            let store = open(&db).await?;
            let id = store.ensure_authority(&authority).await?;
            outln!("authority {} registered as {}", authority.name, id.0);
        }
    }
    Ok(())
}

async fn staff(command: StaffCommand) -> Result<()> {
    match command {
        StaffCommand::Add {
            username,
            role,
            authority,
            password_file,
            db,
        } => {
            let password = match password_file {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                None => std::env::var("EDL_STAFF_PASSWORD")
                    .context("give the password in --password-file or EDL_STAFF_PASSWORD")?,
            };
            let role = match role {
                StaffRole::Platform => edl_store::ConsoleRole::Platform,
                StaffRole::Operator => edl_store::ConsoleRole::Operator,
                StaffRole::Auditor => edl_store::ConsoleRole::Auditor,
            };
            let store = open(&db).await?;
            let user = edl_server::staff::add_staff(
                &store,
                &username,
                password,
                role,
                authority.as_deref(),
                time::OffsetDateTime::now_utc(),
            )
            .await?;
            outln!(
                "staff account {} ({}) made; it logs in at /console",
                user.user.username,
                role.as_str()
            );
        }
        StaffCommand::List { db } => {
            let store = open(&db).await?;
            let authorities = store.list_authorities().await?;
            for user in store.console_users().await? {
                let scope = match (user.user.authority_id, user.user.organisation_id) {
                    (Some(id), _) => authorities
                        .iter()
                        .find(|a| a.id == id)
                        .map(|a| a.authority.name.as_str().to_owned())
                        .unwrap_or_default(),
                    (None, Some(id)) => store
                        .organisation(id)
                        .await?
                        .map(|o| o.organisation.name)
                        .unwrap_or_default(),
                    (None, None) => "national".to_owned(),
                };
                outln!(
                    "{}  {}  {}{}",
                    user.user.username,
                    user.user.role.as_str(),
                    scope,
                    if user.disabled_at.is_some() {
                        "  (disabled)"
                    } else {
                        ""
                    }
                );
            }
        }
        StaffCommand::Disable { username, db } => {
            let store = open(&db).await?;
            set_staff_disabled(&store, &username, Some(SystemClock.now())).await?;
            outln!("staff account {username} disabled; its sessions have ended");
        }
        StaffCommand::Enable { username, db } => {
            let store = open(&db).await?;
            set_staff_disabled(&store, &username, None).await?;
            outln!("staff account {username} enabled");
        }
    }
    Ok(())
}

async fn set_staff_disabled(
    store: &AnyStore,
    username: &str,
    disabled_at: Option<time::OffsetDateTime>,
) -> Result<()> {
    match store.set_console_user_disabled(username, disabled_at).await {
        Ok(_) => Ok(()),
        Err(edl_store::StoreError::NotFound { .. }) => {
            bail!("no staff account is named {username:?} (see `edl staff list`)")
        }
        Err(e) => Err(e.into()),
    }
}

async fn organisations(command: OrgCommand) -> Result<()> {
    let now = SystemClock.now();
    match command {
        OrgCommand::Add {
            name,
            kind,
            purposes,
            db,
        } => {
            for p in &purposes {
                edl_mdoc::Purpose::parse(p).with_context(|| format!("--purpose {p}"))?;
            }
            let store = open(&db).await?;
            let org = store
                .create_organisation(&edl_store::NewOrganisation {
                    name,
                    kind,
                    purposes,
                    created_at: now,
                })
                .await?;
            outln!(
                "organisation {} registered as {} for {}",
                org.organisation.name,
                org.id,
                org.organisation.purposes.join(", ")
            );
        }
        OrgCommand::List { db } => {
            let store = open(&db).await?;
            for org in store.organisations().await? {
                outln!(
                    "{:>5}  {}  ({}; {})",
                    org.id,
                    org.organisation.name,
                    org.organisation.kind,
                    org.organisation.purposes.join(", ")
                );
                for key in store.api_keys(org.id).await? {
                    outln!(
                        "       key {:>5}  {}…  {}{}",
                        key.id,
                        key.key.prefix,
                        key.key.label,
                        key.revoked_at
                            .map(|t| format!("  revoked {t}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        OrgCommand::AddKey {
            organisation,
            label,
            db,
        } => {
            let store = open(&db).await?;
            let key = edl_server::api_key::generate();
            let stored = store
                .create_api_key(&edl_store::NewApiKey {
                    organisation_id: organisation,
                    key_hash: key.hash,
                    prefix: key.prefix.clone(),
                    label,
                    created_at: now,
                })
                .await?;
            eprintln!(
                "API key {} of organisation {organisation}; shown this once, only its hash is stored:",
                stored.id
            );
            outln!("{}", key.key);
        }
        OrgCommand::RevokeKey {
            organisation,
            key,
            db,
        } => {
            let store = open(&db).await?;
            if store.revoke_api_key(key, organisation, now).await? {
                outln!("API key {key} revoked");
            } else {
                bail!("organisation {organisation} has no unrevoked API key {key}");
            }
        }
    }
    Ok(())
}

async fn rollout(command: RolloutCommand) -> Result<()> {
    match command {
        RolloutCommand::Enable {
            region,
            from,
            phase,
            db,
        } => {
            let entry = RolloutEntry {
                region: RegionCode::parse(&region).context("invalid region code")?,
                enabled_from: parse_date(&from, "--from")?,
                phase,
            };
            let store = open(&db).await?;
            store.set_rollout(&entry).await?;
            outln!(
                "{} {} open for claiming from {} ({})",
                entry.region,
                entry.region.full_name(),
                entry.enabled_from,
                entry.phase
            );
        }
        RolloutCommand::List { db } => {
            let store = open(&db).await?;
            let schedule = store.rollout().await?;
            let mut entries = schedule.entries().to_vec();
            entries.sort_by_key(|e| (e.enabled_from, e.region));
            for e in entries {
                outln!(
                    "{}  {}  {}  {}",
                    e.enabled_from,
                    e.region,
                    e.region.full_name(),
                    e.phase
                );
            }
        }
    }
    Ok(())
}

async fn stats(command: StatsCommand) -> Result<()> {
    match command {
        StatsCommand::Regions { db } => {
            let clock = SystemClock;
            let store = open(&db).await?;
            let schedule = store.rollout().await?;
            let mut counts = store.region_counts().await?;
            counts.sort_by_key(|c| c.region);
            let total: u64 = counts.iter().map(|c| c.licences).sum();
            outln!(
                "{:<8} {:>9} {:>9} {:>7} {:>7} {:>7}  {:<22} name",
                "region",
                "licences",
                "black",
                "red",
                "invalid",
                "hidden",
                "claiming"
            );
            for c in &counts {
                let claiming = match schedule.enabled_from(c.region) {
                    Some(d) if d <= clock.today() => format!("open since {d}"),
                    Some(d) => format!("from {d}"),
                    None => "not scheduled".to_owned(),
                };
                outln!(
                    "{:<8} {:>9} {:>9} {:>7} {:>7} {:>7}  {:<22} {}",
                    c.region,
                    c.licences,
                    c.black,
                    c.red,
                    c.invalid,
                    c.not_displayed,
                    claiming,
                    c.region.full_name(),
                );
            }
            outln!("total {total} licences in {} regions", counts.len());
        }
    }
    Ok(())
}
