//! The holder's part: the QR text `EDL1:` ‖ Base45(payload), where the payload binds a compact
//! credential to a generation time (生成时间) and an optional verifier challenge with a device
//! signature. This is all a wallet (the command-line one or the browser) has to do every few
//! seconds; `docs/qr-format.md` specifies it byte for byte.

use edl_cbor::{Item, Writer};
use edl_pki::{SignError, Signer};
use time::OffsetDateTime;

use crate::base45;
use crate::claims::purpose_code;
use crate::credential::{CompactCredential, CredentialError, MAX_CREDENTIAL_BYTES};

/// The prefix that names the format and its version.
pub const PREFIX: &str = "EDL1:";
/// The domain separator the device signs under.
pub const CONTEXT: &str = "EDL1";
/// The longest challenge a verifier may show (bytes).
pub const MAX_CHALLENGE: usize = 32;
/// The longest text read: what a version-40 QR code holds in alphanumeric mode.
pub const MAX_TEXT_CHARS: usize = 4296;

/// A decoded QR payload (not yet verified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presentation {
    /// The compact credential (COSE_Sign1 bytes).
    pub credential: Vec<u8>,
    /// 生成时间: when the holder's device signed, whole seconds.
    pub generated_at: OffsetDateTime,
    /// The verifier's challenge, empty when none was shown.
    pub challenge: Vec<u8>,
    /// The device signature, `r ‖ s`.
    pub device_signature: Vec<u8>,
}

/// A decoded QR payload borrowed from the payload bytes: what the verifier reads (a
/// [`Presentation`] owns the same parts).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PresentationRef<'a> {
    pub(crate) credential: &'a [u8],
    pub(crate) generated_at: OffsetDateTime,
    pub(crate) challenge: &'a [u8],
    pub(crate) device_signature: &'a [u8],
}

impl PresentationRef<'_> {
    fn to_owned(self) -> Presentation {
        Presentation {
            credential: self.credential.to_vec(),
            generated_at: self.generated_at,
            challenge: self.challenge.to_vec(),
            device_signature: self.device_signature.to_vec(),
        }
    }
}

/// The bytes the device signs: `["EDL1", credential, generated, purpose, challenge]`.
pub fn holder_signed_bytes(
    credential: &[u8],
    generated: u64,
    purpose_code: u8,
    challenge: &[u8],
) -> Vec<u8> {
    let mut w = Writer::with_capacity(credential.len() + challenge.len() + 24);
    w.array(5)
        .text(CONTEXT)
        .bytes(credential)
        .uint(generated)
        .uint(u64::from(purpose_code))
        .bytes(challenge);
    w.into_bytes()
}

/// Why the holder could not make a code.
#[derive(Debug, thiserror::Error)]
pub enum PresentError {
    /// The challenge is longer than [`MAX_CHALLENGE`].
    #[error("the challenge is {0} bytes, more than the {MAX_CHALLENGE} allowed")]
    ChallengeTooLong(usize),
    /// The generation time is before 1970.
    #[error("the generation time is before 1970")]
    BadTime,
    /// The stored credential is damaged.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The device key could not sign.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// The device signature is not 64 bytes.
    #[error("the device signature is {0} bytes, not the 64 of ES256")]
    SignatureLength(usize),
}

/// Makes the QR text for `credential` at `generated_at`, signed by the device key.
pub fn present(
    credential: &CompactCredential,
    generated_at: OffsetDateTime,
    challenge: &[u8],
    device: &dyn Signer,
) -> Result<String, PresentError> {
    if challenge.len() > MAX_CHALLENGE {
        return Err(PresentError::ChallengeTooLong(challenge.len()));
    }
    let generated =
        u64::try_from(generated_at.unix_timestamp()).map_err(|_| PresentError::BadTime)?;
    let purpose = credential.purpose();
    let to_sign = holder_signed_bytes(
        credential.as_bytes(),
        generated,
        purpose_code(purpose),
        challenge,
    );
    let signature = device.sign(&to_sign)?;
    if signature.len() != 64 {
        return Err(PresentError::SignatureLength(signature.len()));
    }
    let mut payload = Writer::with_capacity(credential.as_bytes().len() + challenge.len() + 80);
    payload
        .array(4)
        .bytes(credential.as_bytes())
        .uint(generated)
        .bytes(challenge)
        .bytes(&signature);
    Ok(format!("{PREFIX}{}", base45::encode(payload.as_bytes())))
}

/// Why a text is not an EDL1 code; each variant says what it is instead, where that is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing was read.
    #[error("the code is empty")]
    Empty,
    /// Longer than any QR code holds.
    #[error("the code is {0} characters, more than any QR code holds")]
    TooLong(usize),
    /// An EU Digital COVID Certificate.
    #[error("this is an EU Digital COVID Certificate (HC1:), not a driving licence")]
    EuDcc,
    /// A web address.
    #[error("this is a web address, not a driving licence code")]
    Url,
    /// A payment code (WeChat Pay, Alipay, EMVCo).
    #[error("this is a payment code, not a driving licence code")]
    Payment,
    /// A later version of this format.
    #[error("this is a later version of the e-licence code ({0}); update the verifier")]
    LaterVersion(String),
    /// Anything else.
    #[error("this is not an e-licence code (it does not start with EDL1:)")]
    NotOurs,
    /// The Base45 text is damaged.
    #[error("the code is damaged: {0}")]
    Base45(#[from] base45::Base45Error),
    /// The payload is not strict CBOR.
    #[error("the code's payload is not well-formed CBOR: {0}")]
    Cbor(String),
    /// The payload's structure is wrong.
    #[error("the code's payload is malformed: {0}")]
    Structure(&'static str),
}

fn classify_foreign(text: &str) -> TextError {
    let upper = text.get(..8).unwrap_or(text).to_ascii_uppercase();
    if upper.starts_with("HC1:") {
        TextError::EuDcc
    } else if upper.starts_with("HTTP://")
        || upper.starts_with("HTTPS:/")
        || upper.starts_with("WWW.")
    {
        // WeChat Pay and Alipay payment codes are URLs too; those are named below.
        if text.contains("qr.alipay.com")
            || text.contains("wxp://")
            || text.contains("payapp.weixin")
        {
            TextError::Payment
        } else {
            TextError::Url
        }
    } else if upper.starts_with("WXP://") || upper.starts_with("000201") {
        // wxp:// is WeChat Pay; an EMVCo merchant-presented code starts with "000201".
        TextError::Payment
    } else if text.len() > 4
        && text.starts_with("EDL")
        && text[3..].chars().take_while(char::is_ascii_digit).count() > 0
        && let Some(colon) = text.find(':')
    {
        TextError::LaterVersion(text[..colon].to_owned())
    } else {
        TextError::NotOurs
    }
}

/// Reads a QR text: prefix, Base45, strict CBOR, structure. The signatures are the verifier's.
pub fn decode_text(text: &str) -> Result<Presentation, TextError> {
    let payload = text_payload(text)?;
    read_payload(&payload).map(PresentationRef::to_owned)
}

/// The payload behind the prefix of a QR text: the text's checks and Base45.
pub(crate) fn text_payload(text: &str) -> Result<Vec<u8>, TextError> {
    let text = text.trim_end_matches(['\r', '\n']);
    if text.is_empty() {
        return Err(TextError::Empty);
    }
    if text.len() > MAX_TEXT_CHARS {
        return Err(TextError::TooLong(text.chars().count()));
    }
    let Some(body) = text.strip_prefix(PREFIX) else {
        return Err(classify_foreign(text));
    };
    Ok(base45::decode(body)?)
}

/// Reads a payload in place: strict CBOR, then `[credential, generated, challenge, signature]`.
pub(crate) fn read_payload(payload: &[u8]) -> Result<PresentationRef<'_>, TextError> {
    let item = Item::decode(payload, MAX_TEXT_CHARS).map_err(|e| TextError::Cbor(e.to_string()))?;
    let mut parts = item
        .as_array()
        .ok_or(TextError::Structure("not an array"))?;
    let (Some(credential), Some(generated), Some(challenge), Some(signature), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(TextError::Structure("not an array of four"));
    };
    let credential = credential
        .as_bytes()
        .ok_or(TextError::Structure("the credential is not a byte string"))?;
    if credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(TextError::Structure("the credential is too large"));
    }
    let generated_at = generated
        .as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or(TextError::Structure(
            "the generation time is not a time in seconds",
        ))?;
    let challenge = challenge
        .as_bytes()
        .ok_or(TextError::Structure("the challenge is not a byte string"))?;
    if challenge.len() > MAX_CHALLENGE {
        return Err(TextError::Structure(
            "the challenge is longer than 32 bytes",
        ));
    }
    let device_signature = signature.as_bytes().ok_or(TextError::Structure(
        "the device signature is not a byte string",
    ))?;
    if device_signature.len() != 64 {
        return Err(TextError::Structure("the device signature is not 64 bytes"));
    }
    Ok(PresentationRef {
        credential,
        generated_at,
        challenge,
        device_signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_codes_are_named() {
        assert_eq!(decode_text(""), Err(TextError::Empty));
        assert_eq!(
            decode_text("HC1:NCFOXN%TS3DH3ZSUZK+.V0ET"),
            Err(TextError::EuDcc)
        );
        assert_eq!(decode_text("https://example.com/x"), Err(TextError::Url));
        assert_eq!(decode_text("wxp://f2f0abcdef"), Err(TextError::Payment));
        assert_eq!(
            decode_text("https://qr.alipay.com/fkx1234"),
            Err(TextError::Payment)
        );
        assert_eq!(
            decode_text("00020101021126360014br.gov.bcb"),
            Err(TextError::Payment)
        );
        assert_eq!(
            decode_text("EDL2:ABCDEF"),
            Err(TextError::LaterVersion("EDL2".to_owned()))
        );
        assert_eq!(decode_text("hello 你好"), Err(TextError::NotOurs));
        assert_eq!(
            decode_text(&"A".repeat(5000)),
            Err(TextError::TooLong(5000))
        );
        assert!(matches!(decode_text("EDL1:a"), Err(TextError::Base45(_))));
        // Base45 of 0xff (a CBOR "break" with nothing open).
        assert!(matches!(decode_text("EDL1:U5"), Err(TextError::Cbor(_))));
        // Base45 of 0x80: an empty array.
        assert_eq!(
            decode_text(&format!("EDL1:{}", base45::encode(&[0x80]))),
            Err(TextError::Structure("not an array of four"))
        );
    }
}
