//! The command-line holder's wallet on disk: the device key (encrypted PKCS#8), its public half in
//! the clear (so claiming needs no passphrase), and the claimed credential.
//!
//! ```text
//! DIR/device.key       the device's P-256 private key, encrypted
//! DIR/device.cose      its public key as a COSE_Key (CBOR)
//! DIR/credential.cbor  the claimed IssuerSigned
//! DIR/qr.cbor          the compact credentials for the QR code: a CBOR array of byte strings,
//!                      one COSE_Sign1 per purpose
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use edl_mdoc::device_key::{from_cose_key, to_cose_key};
use edl_mdoc::{DeviceResponse, IssuerSigned, Purpose, SessionTranscript};
use edl_pki::{FileSigner, KeyFileError, Passphrase, PublicKey, ScryptCost, Signer};
use edl_qr::CompactCredential;

/// Why a wallet operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// A file could not be read or written.
    #[error("{path}: cannot {operation}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The wallet already has a key.
    #[error("{0} already holds a device key")]
    Exists(PathBuf),
    /// The wallet has no credential yet.
    #[error("the wallet holds no credential; run `edl wallet claim` first")]
    NoCredential,
    /// A stored file is damaged.
    #[error("{path} is damaged: {reason}")]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key file could not be opened or written.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// The device key could not sign.
    #[error(transparent)]
    Present(#[from] edl_mdoc::present::PresentError),
    /// The QR code could not be made.
    #[error(transparent)]
    Qr(#[from] edl_qr::presentation::PresentError),
    /// The wallet holds no compact credential for the purpose.
    #[error("the wallet holds no QR credential for the purpose {}; claim again", .0.as_str())]
    NoPurpose(Purpose),
}

/// A wallet directory.
#[derive(Debug, Clone)]
pub struct WalletDir {
    root: PathBuf,
}

fn io(path: &Path, operation: &'static str) -> impl FnOnce(std::io::Error) -> WalletError {
    let path = path.to_owned();
    move |source| WalletError::Io {
        path,
        operation,
        source,
    }
}

impl WalletDir {
    /// The wallet at `root`.
    pub fn new(root: impl Into<PathBuf>) -> WalletDir {
        WalletDir { root: root.into() }
    }

    fn key_path(&self) -> PathBuf {
        self.root.join("device.key")
    }

    fn public_path(&self) -> PathBuf {
        self.root.join("device.cose")
    }

    fn credential_path(&self) -> PathBuf {
        self.root.join("credential.cbor")
    }

    fn qr_path(&self) -> PathBuf {
        self.root.join("qr.cbor")
    }

    /// Stores the compact credentials of a claim (replacing older ones).
    pub fn store_compact(&self, credentials: &[CompactCredential]) -> Result<(), WalletError> {
        let path = self.qr_path();
        let tmp = path.with_extension("tmp");
        let value = ciborium::Value::Array(
            credentials
                .iter()
                .map(|c| ciborium::Value::Bytes(c.as_bytes().to_vec()))
                .collect(),
        );
        fs::write(&tmp, edl_cbor::encode(&value)).map_err(io(&tmp, "write"))?;
        fs::rename(&tmp, &path).map_err(io(&path, "rename"))
    }

    /// The compact credential for `purpose`.
    pub fn compact(&self, purpose: Purpose) -> Result<CompactCredential, WalletError> {
        let path = self.qr_path();
        if !path.exists() {
            return Err(WalletError::NoCredential);
        }
        let bytes = fs::read(&path).map_err(io(&path, "read"))?;
        let damaged = |reason: String| WalletError::Damaged {
            path: path.clone(),
            reason,
        };
        let value = edl_cbor::decode(&bytes, 64 * 1024).map_err(|e| damaged(e.to_string()))?;
        let ciborium::Value::Array(items) = value else {
            return Err(damaged("not an array".into()));
        };
        for item in items {
            let ciborium::Value::Bytes(bytes) = item else {
                return Err(damaged("an entry is not a byte string".into()));
            };
            let credential =
                CompactCredential::from_bytes(bytes).map_err(|e| damaged(e.to_string()))?;
            if credential.purpose() == purpose {
                return Ok(credential);
            }
        }
        Err(WalletError::NoPurpose(purpose))
    }

    /// The QR text for `purpose` at `now`, signed with the device key (and `challenge` when the
    /// verifier showed one).
    pub fn qr_text(
        &self,
        passphrase: &Passphrase,
        purpose: Purpose,
        now: time::OffsetDateTime,
        challenge: &[u8],
    ) -> Result<String, WalletError> {
        let credential = self.compact(purpose)?;
        let key = FileSigner::open(&self.key_path(), passphrase)?;
        Ok(edl_qr::present(&credential, now, challenge, &key)?)
    }

    /// The device key, opened (for making many codes with one opening).
    pub fn device_key(&self, passphrase: &Passphrase) -> Result<FileSigner, WalletError> {
        Ok(FileSigner::open(&self.key_path(), passphrase)?)
    }

    /// Creates the device key.
    pub fn init(
        &self,
        passphrase: &Passphrase,
        cost: ScryptCost,
    ) -> Result<PublicKey, WalletError> {
        if self.key_path().exists() {
            return Err(WalletError::Exists(self.root.clone()));
        }
        fs::create_dir_all(&self.root).map_err(io(&self.root, "create directory"))?;
        let key = FileSigner::create(&self.key_path(), passphrase, cost)?;
        let public = key.public_key();
        fs::write(self.public_path(), edl_cbor::encode(&to_cose_key(&public)))
            .map_err(io(&self.public_path(), "write"))?;
        Ok(public)
    }

    /// The device's public key.
    pub fn public_key(&self) -> Result<PublicKey, WalletError> {
        let path = self.public_path();
        let bytes = fs::read(&path).map_err(io(&path, "read"))?;
        let damaged = |reason: String| WalletError::Damaged {
            path: path.clone(),
            reason,
        };
        let value = edl_cbor::decode(&bytes, 1024).map_err(|e| damaged(e.to_string()))?;
        from_cose_key(&value).map_err(|e| damaged(e.to_string()))
    }

    /// Stores a claimed credential (replacing an older one).
    pub fn store_credential(&self, credential: &IssuerSigned) -> Result<(), WalletError> {
        let path = self.credential_path();
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, credential.to_bytes()).map_err(io(&tmp, "write"))?;
        fs::rename(&tmp, &path).map_err(io(&path, "rename"))
    }

    /// The claimed credential.
    pub fn credential(&self) -> Result<IssuerSigned, WalletError> {
        let path = self.credential_path();
        if !path.exists() {
            return Err(WalletError::NoCredential);
        }
        let bytes = fs::read(&path).map_err(io(&path, "read"))?;
        IssuerSigned::from_bytes(&bytes).map_err(|e| WalletError::Damaged {
            path,
            reason: e.to_string(),
        })
    }

    /// A DeviceResponse for `purpose`, signed over `transcript` with the device key.
    pub fn present(
        &self,
        passphrase: &Passphrase,
        purpose: Purpose,
        transcript: &SessionTranscript,
    ) -> Result<DeviceResponse, WalletError> {
        let credential = self.credential()?;
        let key = FileSigner::open(&self.key_path(), passphrase)?;
        Ok(edl_mdoc::present(&credential, purpose, transcript, &key)?)
    }
}
