//! Command-line arguments as clap sees them (the "low" layer); commands parse them into domain types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The national electronic driving licence platform (电子驾驶证).
#[derive(Debug, Parser)]
#[command(name = "edl", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Where the registry is.
#[derive(Debug, Args, Clone)]
pub(crate) struct DatabaseArgs {
    /// `sqlite://PATH` (default `sqlite://edl-data/edl.sqlite3`) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "EDL_DATABASE_URL")]
    pub(crate) database_url: Option<String>,
}

/// Who makes a registry change and why; both are written to the append-only history.
#[derive(Debug, Args, Clone)]
pub(crate) struct ChangeArgs {
    /// The operator making the change (an operator identifier, e.g. `tj-0042`).
    #[arg(long = "by")]
    pub(crate) by: String,
    /// Why the change is made.
    #[arg(long)]
    pub(crate) reason: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the platform service (HTTP).
    Serve(ServeArgs),
    /// Apply database migrations and print the schema version.
    Migrate(MigrateArgs),
    /// Import a registry CSV export (UTF-8 or GBK); see docs/import-format.md.
    Import(ImportArgs),
    /// Write synthetic licences as CSV, deterministic for a seed.
    GenLicences(GenArgs),
    /// Look up and change licences.
    #[command(subcommand)]
    Licence(LicenceCommand),
    /// List and register issuing authorities.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// Switch regions on for claiming, in phases.
    #[command(subcommand)]
    Rollout(RolloutCommand),
    /// Staff accounts of the console (the first platform operator of a deployment; the others
    /// are made in the console).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Counts over the registry.
    #[command(subcommand)]
    Stats(StatsCommand),
    /// The PKI: national IACA, document signers per issuing authority, the trust list.
    #[command(subcommand)]
    Pki(PkiCommand),
    /// Status lists (IETF Token Status List, CWT) per issuing authority.
    #[command(subcommand)]
    StatusList(StatusListCommand),
    /// A command-line holder: a device key in a file, claimed credentials, presentations.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Verify an e-licence QR code (text or image) or an ISO 18013-5 DeviceResponse from any
    /// implementation; exit 0 only if every check passes.
    Verify(VerifyArgs),
    /// An offline verifier's trust and status lists.
    #[command(subcommand)]
    Verifier(VerifierCommand),
    /// Verifier organisations, the purposes they may verify for, and their API keys.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Load generators for the figures in BENCHMARKS.md.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Files for other ISO 18013-5 implementations to test against.
    #[command(subcommand)]
    Interop(InteropCommand),
}

/// Where a key passphrase comes from: a file, or the environment; never the command line.
#[derive(Debug, Args, Clone)]
pub(crate) struct PkiPassphraseArgs {
    /// Read the PKI passphrase from this file (default: the environment variable EDL_PKI_PASSPHRASE).
    #[arg(long = "passphrase-file")]
    pub(crate) passphrase_file: Option<PathBuf>,
}

/// The PKI directory.
#[derive(Debug, Args, Clone)]
pub(crate) struct PkiDirArgs {
    /// The PKI directory (keys encrypted at rest).
    #[arg(long = "pki", env = "EDL_PKI_DIR", default_value = "edl-data/pki")]
    pub(crate) pki_dir: PathBuf,
}

/// Cost of the key-file encryption (scrypt log2 N).
#[derive(Debug, Args, Clone)]
pub(crate) struct KdfArgs {
    /// scrypt cost, log2 N (14 to 20); 17 takes about a second and 128 MiB.
    #[arg(long = "kdf-cost", default_value_t = 17)]
    pub(crate) kdf_cost: u8,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PkiCommand {
    /// Create the national IACA (9 years) and the trust-list signer in a new PKI directory.
    Init {
        #[command(flatten)]
        dir: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Issue the first document signer of an issuing authority.
    AddAuthority {
        /// The authority's GB/T 2260 region code, e.g. 120100.
        #[arg(long)]
        region: String,
        /// The authority's name, e.g. 天津市公安局交通警察总队.
        #[arg(long)]
        name: String,
        /// Days of validity (at most 457).
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[command(flatten)]
        dir: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Add a new document signer for an authority; older ones keep verifying until they expire.
    Rotate {
        /// The authority's region code.
        #[arg(long)]
        region: String,
        /// Days of validity (at most 457).
        #[arg(long, default_value_t = 365)]
        days: i64,
        #[command(flatten)]
        dir: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Write the signed trust list (VICAL-style CBOR) and the IACA as PEM.
    ExportTrustList {
        /// Output file for the signed trust list.
        #[arg(long, short, default_value = "trust-list.cbor")]
        output: PathBuf,
        /// Also write the IACA certificate (PEM) here, for verifiers that take a PEM bundle.
        #[arg(long)]
        pem: Option<PathBuf>,
        #[command(flatten)]
        dir: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
    },
    /// Revoke a document signer (a compromised key): it signs nothing more, and the next trust
    /// list tells verifiers to refuse what it signed.
    RevokeSigner {
        /// The authority's region code.
        #[arg(long)]
        region: String,
        /// The signer's number (see `edl pki list`).
        #[arg(long)]
        number: u32,
        #[command(flatten)]
        dir: PkiDirArgs,
    },
    /// List the document signers per region with their validity.
    List {
        #[command(flatten)]
        dir: PkiDirArgs,
    },
}

/// The public base URL status lists are published under.
#[derive(Debug, Args, Clone)]
pub(crate) struct PublicUrlArgs {
    /// Base URL of the platform as verifiers reach it (status lists live under /status/).
    #[arg(
        long = "public-url",
        env = "EDL_PUBLIC_URL",
        default_value = "https://edl.example.cn"
    )]
    pub(crate) public_url: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StatusListCommand {
    /// Build and sign the status list of one issuer's region from the registry.
    Build {
        /// The issuer's region code.
        #[arg(long)]
        region: String,
        /// Output file (the CWT).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        pki: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
        #[command(flatten)]
        public: PublicUrlArgs,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Publish every region's list into a directory, re-signing those whose registry history
    /// changed since their last publication (or that are near expiry).
    Publish {
        /// The directory served as /status/ (files REGION.cwt).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        pki: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
        #[command(flatten)]
        public: PublicUrlArgs,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// The wallet directory and its key passphrase.
#[derive(Debug, Args, Clone)]
pub(crate) struct WalletArgs {
    /// The wallet directory (device key, encrypted; claimed credential).
    #[arg(
        long = "wallet",
        env = "EDL_WALLET_DIR",
        default_value = "edl-data/wallet"
    )]
    pub(crate) wallet_dir: PathBuf,
}

/// The wallet key's passphrase.
#[derive(Debug, Args, Clone)]
pub(crate) struct WalletPassphraseArgs {
    /// Read the wallet passphrase from this file (default: the environment variable EDL_WALLET_PASSPHRASE).
    #[arg(long = "wallet-passphrase-file")]
    pub(crate) passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WalletCommand {
    /// Create a wallet: a new P-256 device key, encrypted at rest.
    Init {
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        passphrase: WalletPassphraseArgs,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Claim a licence into the wallet (through the local platform: registry and PKI).
    Claim {
        /// The licence's 档案编号.
        #[arg(long = "file-number")]
        file_number: String,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        pki: PkiDirArgs,
        #[command(flatten)]
        passphrase: PkiPassphraseArgs,
        #[command(flatten)]
        public: PublicUrlArgs,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Show the live QR code (亮码) for a purpose, signed now with the device key.
    Qr {
        /// roadside, business_window, car_rental, transport_company or insurer.
        #[arg(long, default_value = "roadside")]
        purpose: String,
        /// Write a PNG image.
        #[arg(long, conflicts_with_all = ["svg", "text"])]
        png: Option<PathBuf>,
        /// Write an SVG image.
        #[arg(long, conflicts_with_all = ["png", "text"])]
        svg: Option<PathBuf>,
        /// Print the code's text (EDL1:…) only.
        #[arg(long, conflicts_with_all = ["png", "svg"])]
        text: bool,
        /// With --text: print this many codes, generated one second apart going back from the
        /// generation time (at most 240, so every one is fresh for a minute; for load tests).
        #[arg(long, default_value_t = 1, requires = "text", value_parser = clap::value_parser!(u16).range(1..=240))]
        count: u16,
        /// The challenge the verifier shows, if it shows one.
        #[arg(long)]
        challenge: Option<String>,
        /// The generation time (RFC 3339; default: now). For tests and test vectors.
        #[arg(long)]
        at: Option<String>,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        passphrase: WalletPassphraseArgs,
    },
    /// Draw the whole card in the terminal: fields, status, points, the QR code, 生成时间.
    Show {
        /// roadside, business_window, car_rental, transport_company or insurer.
        #[arg(long, default_value = "roadside")]
        purpose: String,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        passphrase: WalletPassphraseArgs,
    },
    /// Present the claimed licence for a purpose: a device-signed DeviceResponse.
    Present {
        /// roadside, business_window, car_rental, transport_company or insurer.
        #[arg(long, default_value = "roadside")]
        purpose: String,
        /// The verifier's SessionTranscriptBytes (CBOR).
        #[arg(long = "session-transcript")]
        session_transcript: PathBuf,
        /// Where to write the DeviceResponse (CBOR).
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        wallet: WalletArgs,
        #[command(flatten)]
        passphrase: WalletPassphraseArgs,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["device_response", "qr_text", "image"])))]
pub(crate) struct VerifyArgs {
    /// An ISO 18013-5 DeviceResponse (CBOR file).
    #[arg(long = "device-response", requires = "session_transcript")]
    pub(crate) device_response: Option<PathBuf>,
    /// The text of an e-licence QR code (`EDL1:…`).
    #[arg(long = "qr-text")]
    pub(crate) qr_text: Option<String>,
    /// A photo or screenshot (PNG or JPEG) holding one e-licence QR code.
    #[arg(long)]
    pub(crate) image: Option<PathBuf>,
    /// The session transcript the verifier holds (DeviceResponse only): SessionTranscriptBytes
    /// (tag 24) or the bare array.
    #[arg(long = "session-transcript")]
    pub(crate) session_transcript: Option<PathBuf>,
    /// Trusted IACA certificates (PEM, one or more). For a QR code, with --trust-list.
    #[arg(long)]
    pub(crate) trust: Option<PathBuf>,
    /// The signed trust list (CBOR) that publishes the document signers (QR codes).
    #[arg(long = "trust-list", conflicts_with = "signers")]
    pub(crate) trust_list: Option<PathBuf>,
    /// QR codes: document-signer certificates (PEM) to know without a trust list, e.g. the
    /// document-signer.pem of `edl interop export`; repeatable.
    #[arg(long = "signer")]
    pub(crate) signers: Vec<PathBuf>,
    /// An offline verifier's directory kept by `edl verifier sync` (QR codes): its trust list and
    /// status lists are used, and their age is shown.
    #[arg(long = "verifier", conflicts_with_all = ["trust", "trust_list", "signers"])]
    pub(crate) verifier_dir: Option<PathBuf>,
    /// Validation time (RFC 3339; default: now).
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// The reader's ephemeral private key (hex P-256 scalar), to check a deviceMac.
    #[arg(long = "reader-key")]
    pub(crate) reader_key: Option<String>,
    /// A status list (CWT) to look the credential up in; repeatable.
    #[arg(long = "status-list")]
    pub(crate) status_lists: Vec<PathBuf>,
    /// QR codes: the oldest code accepted, in seconds (default 300).
    #[arg(long = "max-age", default_value_t = 300)]
    pub(crate) max_age: u32,
    /// QR codes: the challenge this verifier showed the holder; the code must carry it.
    #[arg(long)]
    pub(crate) challenge: Option<String>,
    /// QR codes: the purpose this verifier verifies for (repeatable); others are refused.
    #[arg(long)]
    pub(crate) purpose: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

/// An offline verifier's local trust and status lists.
#[derive(Debug, Subcommand)]
pub(crate) enum VerifierCommand {
    /// Fetch the trust list and the status lists from the platform (or a CDN in front of it) or
    /// from a published directory (trust-list.cbor, status/REGION.cwt), verify them and keep
    /// what is newer.
    Sync {
        /// The platform's base URL (http:// or https://, e.g. https://edl.example.cn) or a
        /// published directory.
        #[arg(long, value_name = "URL|DIR")]
        from: String,
        /// The verifier's directory.
        #[arg(long = "verifier", default_value = "edl-verifier")]
        verifier_dir: PathBuf,
        /// The national IACA (PEM) to trust; needed the first time.
        #[arg(long)]
        trust: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum InteropCommand {
    /// Write a freshly issued example from a demo PKI: iaca.pem, document-signer.pem,
    /// device-response.cbor, session-transcript.cbor, status-list.cwt, expected.json.
    Export {
        /// The output directory.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a verifier's SessionTranscriptBytes for an OpenID4VP presentation (a fresh nonce
    /// per presentation stops replays), for `edl wallet present` and `edl verify`.
    Transcript {
        /// The verifier's nonce.
        #[arg(long)]
        nonce: String,
        /// The verifier's client identifier.
        #[arg(long = "client-id", default_value = "x509_san_dns:verifier.example.cn")]
        client_id: String,
        /// Where the response goes.
        #[arg(
            long = "response-uri",
            default_value = "https://verifier.example.cn/response"
        )]
        response_uri: String,
        /// Output file.
        #[arg(long, short)]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Create demo data (authorities, rollout phases, synthetic licences) if the registry is empty.
    #[arg(long)]
    pub(crate) demo: bool,
    /// A TOML configuration file (keys: listen, database_url, log_format, demo_licences, api_rate,
    /// api_burst, verify_signature_cache).
    #[arg(long, env = "EDL_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long)]
    pub(crate) listen: Option<String>,
    /// Verification API requests per second per API key, sustained (default 100; EDL_API_RATE).
    #[arg(long)]
    pub(crate) api_rate: Option<f64>,
    /// Verification API requests an API key may make at once (default 200; EDL_API_BURST).
    #[arg(long)]
    pub(crate) api_burst: Option<u32>,
    /// Credentials whose issuer signature the online verifier remembers (default 100000; 0: none).
    #[arg(long)]
    pub(crate) verify_signature_cache: Option<usize>,
    #[command(flatten)]
    pub(crate) db: DatabaseArgs,
    /// The PKI the wallet issues credentials with (with --demo: a demo PKI is made there if missing).
    #[command(flatten)]
    pub(crate) pki: PkiDirArgs,
    #[command(flatten)]
    pub(crate) passphrase: PkiPassphraseArgs,
    #[command(flatten)]
    pub(crate) public: PublicUrlArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MigrateArgs {
    #[command(flatten)]
    pub(crate) db: DatabaseArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum EncodingArg {
    /// Detect: a UTF-8 BOM or valid UTF-8 means UTF-8, anything else GBK.
    Auto,
    /// UTF-8.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK (read as GB 18030, its superset).
    Gbk,
}

#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The CSV file.
    pub(crate) file: PathBuf,
    /// Text encoding of the file.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) encoding: EncodingArg,
    /// Where to write the reject report (default: FILE.rejects.csv next to the input).
    #[arg(long)]
    pub(crate) rejects: Option<PathBuf>,
    /// Rows per transaction (default: 50000 on SQLite, 10000 on PostgreSQL).
    #[arg(long)]
    pub(crate) batch_size: Option<usize>,
    /// Batches written concurrently (default: 1 on SQLite, which serialises writers; 2 on PostgreSQL).
    #[arg(long)]
    pub(crate) writers: Option<usize>,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub(crate) no_progress: bool,
    #[command(flatten)]
    pub(crate) db: DatabaseArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum OutputEncodingArg {
    /// UTF-8.
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// GBK.
    Gbk,
}

#[derive(Debug, Args)]
pub(crate) struct GenArgs {
    /// How many licences.
    #[arg(long)]
    pub(crate) count: u64,
    /// The seed; the same seed and date give the same licences.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// The date the data set describes (validity, statuses and points are realistic as of it).
    #[arg(long, default_value = "2026-01-01")]
    pub(crate) as_of: String,
    /// Output file (default: standard output).
    #[arg(long, short)]
    pub(crate) output: Option<PathBuf>,
    /// Text encoding of the output.
    #[arg(long, value_enum, default_value = "utf-8")]
    pub(crate) encoding: OutputEncodingArg,
}

/// How to find a licence.
#[derive(Debug, Args, Clone)]
pub(crate) struct LicenceRef {
    /// The licence's 档案编号 (12 digits).
    #[arg(long = "file-number")]
    pub(crate) file_number: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LicenceCommand {
    /// Show licences by 档案编号 or by 证号.
    Show {
        /// The 档案编号.
        #[arg(
            long = "file-number",
            conflicts_with = "citizen_id",
            required_unless_present = "citizen_id"
        )]
        file_number: Option<String>,
        /// The 证号 (citizen ID number).
        #[arg(long = "citizen-id")]
        citizen_id: Option<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Replace the status letters (GA/T 16.25), e.g. `D` for 暂扣, `A` to restore 正常, `HI`.
    SetStatus {
        #[command(flatten)]
        licence: LicenceRef,
        /// The new letters.
        #[arg(long)]
        status: String,
        #[command(flatten)]
        change: ChangeArgs,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Record an offence's points (1, 3, 6, 9 or 12); reaching 12 sets 超分 (B).
    AddPoints {
        #[command(flatten)]
        licence: LicenceRef,
        /// Points for the offence.
        #[arg(long)]
        points: u8,
        /// Date of the offence (default: today).
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        change: ChangeArgs,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// 换证: a new validity period (from today) and optionally new classes.
    Renew {
        #[command(flatten)]
        licence: LicenceRef,
        /// End of the new period: YYYY-MM-DD or 长期 (default: the next term of 6 → 10 → 长期).
        #[arg(long)]
        until: Option<String>,
        /// New classes, e.g. `C1E` (default: unchanged).
        #[arg(long)]
        classes: Option<String>,
        /// A 12-point cycle occurred during the ending term (the next term keeps the same length).
        #[arg(long)]
        full_score_during_term: bool,
        #[command(flatten)]
        change: ChangeArgs,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// The append-only change history of a licence.
    History {
        #[command(flatten)]
        licence: LicenceRef,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthorityCommand {
    /// List the issuing authorities.
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Register an issuing authority.
    Add {
        /// Its name, e.g. 天津市公安局交通警察总队.
        #[arg(long)]
        name: String,
        /// Its GB/T 2260 region code, e.g. 120100.
        #[arg(long)]
        region: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// A console role that `edl staff add` makes.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StaffRole {
    /// The platform operator: organisations, API keys, staff, rollout, the national dashboard.
    Platform,
    /// An issuing authority's operator: changes its licences.
    Operator,
    /// An issuing authority's auditor: reads its licences and their history.
    Auditor,
}

#[derive(Debug, Subcommand)]
pub(crate) enum StaffCommand {
    /// Add a staff account. The password is read from --password-file or EDL_STAFF_PASSWORD,
    /// never from the command line.
    Add {
        /// The login name.
        #[arg(long)]
        username: String,
        /// The role.
        #[arg(long, value_enum)]
        role: StaffRole,
        /// The issuing authority's name (operators and auditors).
        #[arg(long)]
        authority: Option<String>,
        /// A file whose first line is the password.
        #[arg(long = "password-file")]
        password_file: Option<PathBuf>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List the staff accounts (username, role, scope).
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Disable a staff account (someone who left, a lost password): its sessions end at once and it
    /// can no longer log in. The account stays, because the history and the audit name it.
    Disable {
        /// The login name.
        username: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Enable a disabled staff account again.
    Enable {
        /// The login name.
        username: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RolloutCommand {
    /// Switch a region (province or prefecture) on for claiming from a date.
    Enable {
        /// GB/T 2260 code, e.g. 120100 (天津市市辖区) or 510000 (四川省).
        region: String,
        /// First day claiming is allowed (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// The phase's name, e.g. "pilot" or "phase 2 (28 cities)".
        #[arg(long, default_value = "manual")]
        phase: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List the rollout schedule.
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum StatsCommand {
    /// Licences per region, with how their e-licences display and since when claiming is open.
    Regions {
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}

/// `edl org …`.
#[derive(Debug, Subcommand)]
pub(crate) enum OrgCommand {
    /// Register a verifier organisation (a rental company, an insurer, a police unit …).
    Add {
        /// Its name, shown to holders as who checked their licence.
        #[arg(long)]
        name: String,
        /// What kind of organisation it is (free text, e.g. car_rental, insurer, police).
        #[arg(long, default_value = "other")]
        kind: String,
        /// A purpose it may verify for (roadside, business_window, car_rental,
        /// transport_company, insurer); repeat for several.
        #[arg(long = "purpose", required = true)]
        purposes: Vec<String>,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// List the organisations with their purposes and API keys (prefixes only).
    List {
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Make an API key for an organisation: printed once, only its SHA-256 is stored.
    AddKey {
        /// The organisation's id (from `edl org list`).
        #[arg(long)]
        organisation: i64,
        /// The organisation's own name for the key.
        #[arg(long, default_value = "default")]
        label: String,
        #[command(flatten)]
        db: DatabaseArgs,
    },
    /// Revoke an API key: refused by a running service within seconds.
    RevokeKey {
        /// The organisation's id.
        #[arg(long)]
        organisation: i64,
        /// The key's id (from `edl org list`).
        #[arg(long)]
        key: i64,
        #[command(flatten)]
        db: DatabaseArgs,
    },
}

/// `edl bench …`.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Claims per second through the wallet's claim API of a running `edl serve` (loopback).
    Claims(crate::bench::ClaimBenchArgs),
}
