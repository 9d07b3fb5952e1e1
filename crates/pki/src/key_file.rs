//! Keys encrypted at rest: PKCS#8 `EncryptedPrivateKeyInfo` (PBES2: scrypt + AES-256-CBC) in a PEM
//! file, the [`Passphrase`] that opens it and the [`FileSigner`] it becomes. The only module of this
//! crate that touches the file system or the environment.
//!
//! The format is the standard one OpenSSL writes with `openssl pkcs8 -topk8 -scrypt` and reads with
//! `openssl pkey`, so an operator can inspect or move a key without this program (see
//! `docs/decisions/pki.md`). Files are created with mode 0600 and never overwritten.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use pkcs8::der::pem::{self, LineEnding};
use pkcs8::pkcs5::{self, pbes2, scrypt};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use zeroize::Zeroizing;

use crate::key::{PublicKey, SignatureAlgorithm};
use crate::signer::{InMemorySigner, KeyError, SignError, Signer};

/// The PEM label of an encrypted PKCS#8 key (RFC 7468 §11).
const ENCRYPTED_LABEL: &str = "ENCRYPTED PRIVATE KEY";

/// The fewest characters a passphrase may have.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// A key file passphrase. Zeroized on drop; `Debug` shows nothing; no `Clone`, no `Serialize`.
///
/// It comes from the environment or a file, never from the command line (where `ps` and shell
/// history would see it). The caller decides which and names the variable or file.
pub struct Passphrase(Zeroizing<String>);

/// Why a passphrase could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    /// The environment variable is not set.
    #[error("the environment variable {variable} is not set")]
    NotSet {
        /// The variable's name.
        variable: String,
    },
    /// The variable or file is not valid UTF-8.
    #[error("the passphrase is not valid UTF-8")]
    NotUnicode,
    /// The passphrase file could not be read.
    #[error("cannot read the passphrase file {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// The passphrase is shorter than [`MIN_PASSPHRASE_CHARS`].
    #[error("the passphrase has fewer than {min} characters")]
    TooShort {
        /// The minimum.
        min: usize,
    },
}

impl Passphrase {
    /// Takes a passphrase the caller already holds (it is zeroized when dropped, also on error).
    pub fn new(secret: String) -> Result<Passphrase, PassphraseError> {
        let secret = Zeroizing::new(secret);
        if secret.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(PassphraseError::TooShort {
                min: MIN_PASSPHRASE_CHARS,
            });
        }
        Ok(Passphrase(secret))
    }

    /// Reads the passphrase from the environment variable `variable`.
    ///
    /// The process environment keeps its own copy; edition 2024 makes removing it `unsafe`, which
    /// this crate forbids, so a caller that cares should run the command with the variable set for
    /// that command only.
    pub fn from_env(variable: &str) -> Result<Passphrase, PassphraseError> {
        let value = std::env::var_os(variable).ok_or_else(|| PassphraseError::NotSet {
            variable: variable.to_owned(),
        })?;
        let value = value
            .into_string()
            .map_err(|_| PassphraseError::NotUnicode)?;
        Passphrase::new(value)
    }

    /// Reads the passphrase from a file: its whole content less one trailing line break.
    pub fn from_file(path: &Path) -> Result<Passphrase, PassphraseError> {
        let bytes =
            Zeroizing::new(
                fs::read(path).map_err(|source| PassphraseError::Unreadable {
                    path: path.to_owned(),
                    source,
                })?,
            );
        let text = std::str::from_utf8(&bytes).map_err(|_| PassphraseError::NotUnicode)?;
        let text = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        Passphrase::new(text.to_owned())
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// The scrypt cost of a new key file: N = 2^log_n, with r = 8 and p = 1 (memory 128 · r · N bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScryptCost {
    log_n: u8,
}

/// A scrypt cost outside the range this crate writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("scrypt log2(N) must be between {min} and {max}")]
pub struct ScryptCostError {
    /// The smallest allowed log2(N).
    pub min: u8,
    /// The largest allowed log2(N).
    pub max: u8,
}

impl ScryptCost {
    /// N = 2^17 (128 MiB, about a second): the scrypt crate's recommendation and our default for
    /// the national root and document-signer keys, which are opened rarely.
    pub const RECOMMENDED: ScryptCost = ScryptCost { log_n: 17 };
    /// The smallest cost written: N = 2^14 (16 MiB), scrypt's "interactive" setting.
    pub const MIN_LOG_N: u8 = 14;
    /// The largest cost written or read: N = 2^20 (1 GiB with r = 8).
    pub const MAX_LOG_N: u8 = 20;

    /// A cost of N = 2^log_n.
    pub fn new(log_n: u8) -> Result<ScryptCost, ScryptCostError> {
        if (Self::MIN_LOG_N..=Self::MAX_LOG_N).contains(&log_n) {
            Ok(ScryptCost { log_n })
        } else {
            Err(ScryptCostError {
                min: Self::MIN_LOG_N,
                max: Self::MAX_LOG_N,
            })
        }
    }

    /// log2(N).
    pub fn log_n(self) -> u8 {
        self.log_n
    }
}

impl Default for ScryptCost {
    fn default() -> ScryptCost {
        ScryptCost::RECOMMENDED
    }
}

/// Why a key file could not be written or opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file system refused (the caller's or the environment's problem).
    #[error("key file {path}: cannot {operation}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// The operating system's reason.
        #[source]
        source: io::Error,
    },
    /// A file is already there; keys are never overwritten.
    #[error("key file {path} already exists; a key is never overwritten")]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The content is not PEM.
    #[error("the key file is not PEM")]
    NotPem,
    /// The file holds an unencrypted private key; this platform refuses keys in the clear.
    #[error(
        "the key file holds an unencrypted private key; encrypt it (openssl pkcs8 -topk8 -scrypt)"
    )]
    Unencrypted,
    /// The PEM label is not `ENCRYPTED PRIVATE KEY`.
    #[error("the key file's PEM label is {label:?}, expected \"ENCRYPTED PRIVATE KEY\"")]
    UnexpectedLabel {
        /// The label found.
        label: String,
    },
    /// The PEM body is not a DER `EncryptedPrivateKeyInfo`.
    #[error("the key file is not a PKCS#8 EncryptedPrivateKeyInfo")]
    Malformed,
    /// The file is encrypted with something other than PBES2 (scrypt or PBKDF2-HMAC-SHA2) and AES-CBC.
    #[error("the key file uses an unsupported encryption scheme")]
    UnsupportedEncryption,
    /// The file asks for a key derivation costlier than this program allows.
    #[error("the key file's key derivation is costlier than allowed")]
    KdfTooExpensive,
    /// The passphrase does not open the file.
    #[error("wrong passphrase for the key file")]
    WrongPassphrase,
    /// The file opened but does not hold an ECDSA P-256 key.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Encryption failed: a bug or a broken crypto backend.
    #[error("key encryption failed: {reason}")]
    Encryption {
        /// Which step failed.
        reason: &'static str,
    },
}

/// The largest PBKDF2 iteration count read (for keys made by other tools).
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// The most memory scrypt may use when reading a key: 1 GiB.
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// The largest scrypt parallelisation read.
const MAX_SCRYPT_P: u16 = 16;

/// Encrypts a key into the PEM text of a key file.
pub fn encrypt_key(
    key: &InMemorySigner,
    passphrase: &Passphrase,
    cost: ScryptCost,
) -> Result<String, KeyFileError> {
    let der = key.to_pkcs8_der()?;
    let info = PrivateKeyInfo::try_from(der.as_slice()).map_err(|_| KeyFileError::Encryption {
        reason: "re-read the exported key",
    })?;
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    aws_lc_rs::rand::fill(&mut salt)
        .and_then(|()| aws_lc_rs::rand::fill(&mut iv))
        .map_err(|_| KeyFileError::Encryption {
            reason: "draw salt and IV",
        })?;
    let params =
        scrypt::Params::new(cost.log_n, 8, 1, 32).map_err(|_| KeyFileError::Encryption {
            reason: "scrypt parameters",
        })?;
    let params = pbes2::Parameters::scrypt_aes256cbc(params, &salt, &iv).map_err(|_| {
        KeyFileError::Encryption {
            reason: "PBES2 parameters",
        }
    })?;
    let encrypted = info
        .encrypt_with_params(params, passphrase.as_bytes())
        .map_err(|_| KeyFileError::Encryption { reason: "encrypt" })?;
    let pem = encrypted
        .to_pem(ENCRYPTED_LABEL, LineEnding::LF)
        .map_err(|_| KeyFileError::Encryption {
            reason: "PEM encode",
        })?;
    Ok(pem.as_str().to_owned())
}

/// Decrypts the PEM text of a key file.
pub fn decrypt_key(
    pem_text: &str,
    passphrase: &Passphrase,
) -> Result<InMemorySigner, KeyFileError> {
    let (label, der) = pem::decode_vec(pem_text.as_bytes()).map_err(|_| KeyFileError::NotPem)?;
    match label {
        ENCRYPTED_LABEL => {}
        "PRIVATE KEY" | "EC PRIVATE KEY" => return Err(KeyFileError::Unencrypted),
        other => {
            return Err(KeyFileError::UnexpectedLabel {
                label: other.to_owned(),
            });
        }
    }
    let info =
        EncryptedPrivateKeyInfo::try_from(der.as_slice()).map_err(|_| KeyFileError::Malformed)?;
    check_cost(&info.encryption_algorithm)?;
    let plain = info.decrypt(passphrase.as_bytes()).map_err(|e| match e {
        pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::UnsupportedAlgorithm { .. })
        | pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::AlgorithmParametersInvalid { .. })
        | pkcs8::Error::EncryptedPrivateKey(pkcs5::Error::NoPbes1CryptSupport) => {
            KeyFileError::UnsupportedEncryption
        }
        // A wrong passphrase gives bad padding, or (1 time in 256) garbage that is not DER.
        _ => KeyFileError::WrongPassphrase,
    })?;
    // `plain` is a SecretDocument: zeroized on drop.
    Ok(InMemorySigner::from_pkcs8_der(plain.as_bytes())?)
}

/// Refuses schemes we do not read and key derivations that would take too long or too much memory.
fn check_cost(scheme: &pkcs5::EncryptionScheme<'_>) -> Result<(), KeyFileError> {
    let pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Err(KeyFileError::UnsupportedEncryption);
    };
    match params.encryption {
        pbes2::EncryptionScheme::Aes128Cbc { .. } | pbes2::EncryptionScheme::Aes256Cbc { .. } => {}
        _ => return Err(KeyFileError::UnsupportedEncryption),
    }
    match &params.kdf {
        pbes2::Kdf::Pbkdf2(p) => {
            if p.iteration_count > MAX_PBKDF2_ITERATIONS {
                return Err(KeyFileError::KdfTooExpensive);
            }
        }
        pbes2::Kdf::Scrypt(s) => {
            let memory = 128u64
                .saturating_mul(u64::from(s.block_size))
                .saturating_mul(s.cost_parameter);
            if memory > MAX_SCRYPT_MEMORY || s.parallelization > MAX_SCRYPT_P {
                return Err(KeyFileError::KdfTooExpensive);
            }
        }
        _ => return Err(KeyFileError::UnsupportedEncryption),
    }
    Ok(())
}

/// A [`Signer`] whose key lives in an encrypted key file; once opened, the key is held in memory.
///
/// `Debug` shows the public key only; no `Clone`, no `Serialize`.
pub struct FileSigner {
    inner: InMemorySigner,
}

impl FileSigner {
    /// Generates a new key and writes it to `path` (which must not exist yet), mode 0600.
    pub fn create(
        path: &Path,
        passphrase: &Passphrase,
        cost: ScryptCost,
    ) -> Result<FileSigner, KeyFileError> {
        let inner = InMemorySigner::generate()?;
        write_key_file(path, &inner, passphrase, cost)?;
        Ok(FileSigner { inner })
    }

    /// Opens an existing key file.
    pub fn open(path: &Path, passphrase: &Passphrase) -> Result<FileSigner, KeyFileError> {
        let text = fs::read_to_string(path).map_err(|source| KeyFileError::Io {
            path: path.to_owned(),
            operation: "read",
            source,
        })?;
        Ok(FileSigner {
            inner: decrypt_key(&text, passphrase)?,
        })
    }
}

/// Writes `key` encrypted to a new file at `path`, mode 0600; an existing file is never replaced.
pub fn write_key_file(
    path: &Path,
    key: &InMemorySigner,
    passphrase: &Passphrase,
    cost: ScryptCost,
) -> Result<(), KeyFileError> {
    let text = encrypt_key(key, passphrase, cost)?;
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            KeyFileError::AlreadyExists {
                path: path.to_owned(),
            }
        } else {
            KeyFileError::Io {
                path: path.to_owned(),
                operation: "create",
                source,
            }
        }
    })?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        // Do not leave a half-written key behind.
        drop(file);
        let _ = fs::remove_file(path);
        return Err(KeyFileError::Io {
            path: path.to_owned(),
            operation: "write",
            source,
        });
    }
    Ok(())
}

impl Signer for FileSigner {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.inner.algorithm()
    }

    fn public_key(&self) -> PublicKey {
        self.inner.public_key()
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        self.inner.sign(message)
    }
}

impl fmt::Debug for FileSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSigner")
            .field("public_key", &self.inner.public_key())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> ScryptCost {
        ScryptCost::new(ScryptCost::MIN_LOG_N).unwrap()
    }

    fn passphrase(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned()).unwrap()
    }

    #[test]
    fn a_key_file_round_trips_and_signs_with_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ds.key.pem");
        let pass = passphrase("correct horse battery staple");
        let created = FileSigner::create(&path, &pass, fast()).unwrap();
        let opened = FileSigner::open(&path, &pass).unwrap();
        assert_eq!(opened.public_key(), created.public_key());
        let signature = opened.sign(b"payload").unwrap();
        assert_eq!(created.public_key().verify(b"payload", &signature), Ok(()));

        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{text}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_recommended_cost_also_round_trips() {
        let key = InMemorySigner::generate().unwrap();
        let pass = passphrase("a passphrase for the root");
        let text = encrypt_key(&key, &pass, ScryptCost::default()).unwrap();
        assert_eq!(
            decrypt_key(&text, &pass).unwrap().public_key(),
            key.public_key()
        );
    }

    #[test]
    fn a_wrong_passphrase_is_reported_as_such() {
        let key = InMemorySigner::generate().unwrap();
        let text = encrypt_key(&key, &passphrase("the right passphrase"), fast()).unwrap();
        assert!(matches!(
            decrypt_key(&text, &passphrase("the wrong passphrase")),
            Err(KeyFileError::WrongPassphrase)
        ));
    }

    #[test]
    fn existing_files_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iaca.key.pem");
        let pass = passphrase("correct horse battery staple");
        let first = FileSigner::create(&path, &pass, fast()).unwrap();
        assert!(matches!(
            FileSigner::create(&path, &pass, fast()),
            Err(KeyFileError::AlreadyExists { .. })
        ));
        assert_eq!(
            FileSigner::open(&path, &pass).unwrap().public_key(),
            first.public_key()
        );
    }

    #[test]
    fn unencrypted_and_foreign_files_are_refused_with_their_reason() {
        let key = InMemorySigner::generate().unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let plain = pem::encode_string("PRIVATE KEY", LineEnding::LF, &der).unwrap();
        let pass = passphrase("correct horse battery staple");
        assert!(matches!(
            decrypt_key(&plain, &pass),
            Err(KeyFileError::Unencrypted)
        ));
        let cert = pem::encode_string("CERTIFICATE", LineEnding::LF, b"\x30\x00").unwrap();
        assert!(matches!(
            decrypt_key(&cert, &pass),
            Err(KeyFileError::UnexpectedLabel { label }) if label == "CERTIFICATE"
        ));
        assert!(matches!(
            decrypt_key("hello", &pass),
            Err(KeyFileError::NotPem)
        ));
        let junk =
            pem::encode_string(ENCRYPTED_LABEL, LineEnding::LF, b"\x30\x03\x02\x01\x00").unwrap();
        assert!(matches!(
            decrypt_key(&junk, &pass),
            Err(KeyFileError::Malformed)
        ));
        assert!(matches!(
            FileSigner::open(Path::new("/nonexistent/key.pem"), &pass),
            Err(KeyFileError::Io {
                operation: "read",
                ..
            })
        ));
    }

    #[test]
    fn pbkdf2_files_from_other_tools_open_and_absurd_costs_are_refused() {
        let key = InMemorySigner::generate().unwrap();
        let der = key.to_pkcs8_der().unwrap();
        let info = PrivateKeyInfo::try_from(der.as_slice()).unwrap();
        let pass = passphrase("correct horse battery staple");
        let salt = [7u8; 16];
        let iv = [9u8; 16];
        let write = |iterations: u32| {
            let params =
                pbes2::Parameters::pbkdf2_sha256_aes256cbc(iterations, &salt, &iv).unwrap();
            let doc = info.encrypt_with_params(params, pass.as_bytes()).unwrap();
            doc.to_pem(ENCRYPTED_LABEL, LineEnding::LF).unwrap()
        };
        let ok = write(10_000);
        assert_eq!(
            decrypt_key(&ok, &pass).unwrap().public_key(),
            key.public_key()
        );
        let costly = write(MAX_PBKDF2_ITERATIONS + 1);
        assert!(matches!(
            decrypt_key(&costly, &pass),
            Err(KeyFileError::KdfTooExpensive)
        ));
    }

    #[test]
    fn passphrases_are_checked_and_never_shown() {
        assert!(matches!(
            Passphrase::new("short".to_owned()),
            Err(PassphraseError::TooShort { min: 12 })
        ));
        let pass = passphrase("super secret passphrase");
        assert_eq!(format!("{pass:?}"), "Passphrase(<redacted>)");

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pass");
        fs::write(&file, "from a file, with a newline\n").unwrap();
        let read = Passphrase::from_file(&file).unwrap();
        assert_eq!(read.as_bytes(), b"from a file, with a newline");
        assert!(matches!(
            Passphrase::from_env("EDL_PKI_TEST_SURELY_UNSET_VARIABLE"),
            Err(PassphraseError::NotSet { .. })
        ));
        assert!(matches!(
            Passphrase::from_file(&dir.path().join("missing")),
            Err(PassphraseError::Unreadable { .. })
        ));

        let key = InMemorySigner::generate().unwrap();
        let signer = FileSigner { inner: key };
        let shown = format!("{signer:?}");
        assert!(
            shown.contains("<redacted>") && shown.contains("PublicKey"),
            "{shown}"
        );
    }

    #[test]
    fn scrypt_costs_out_of_range_are_refused() {
        assert!(ScryptCost::new(10).is_err());
        assert!(ScryptCost::new(21).is_err());
        assert_eq!(ScryptCost::new(15).unwrap().log_n(), 15);
    }
}
