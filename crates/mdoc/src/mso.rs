//! The Mobile Security Object (ISO 18013-5 §9.1.2.4): the digests of every data element, the
//! device key, the validity window and the status reference, signed by the document signer.

use ciborium::Value;
use edl_pki::PublicKey;
use time::OffsetDateTime;

use crate::device_key::{self, DeviceKeyError};
use crate::fields::{FieldsError, KnownFields};
use edl_cbor::{self as cbor, Item, Writer};

/// The MSO version written.
pub const MSO_VERSION: &str = "1.0";

/// A digest algorithm an MSO may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestAlgorithm {
    /// SHA-256 (the only one this platform issues with).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// The name as the MSO writes it.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// Reads a name; `None` for anything else.
    pub fn from_name(name: &str) -> Option<DigestAlgorithm> {
        match name {
            "SHA-256" => Some(DigestAlgorithm::Sha256),
            "SHA-384" => Some(DigestAlgorithm::Sha384),
            "SHA-512" => Some(DigestAlgorithm::Sha512),
            _ => None,
        }
    }

    fn algorithm(self) -> &'static aws_lc_rs::digest::Algorithm {
        use aws_lc_rs::digest;
        match self {
            DigestAlgorithm::Sha256 => &digest::SHA256,
            DigestAlgorithm::Sha384 => &digest::SHA384,
            DigestAlgorithm::Sha512 => &digest::SHA512,
        }
    }

    /// The digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        aws_lc_rs::digest::digest(self.algorithm(), bytes)
            .as_ref()
            .to_vec()
    }

    fn context(self, parts: &[&[u8]]) -> aws_lc_rs::digest::Digest {
        let mut context = aws_lc_rs::digest::Context::new(self.algorithm());
        for part in parts {
            context.update(part);
        }
        context.finish()
    }

    /// The digest of the concatenation of `parts`, without concatenating them.
    pub fn digest_parts(self, parts: &[&[u8]]) -> Vec<u8> {
        self.context(parts).as_ref().to_vec()
    }

    /// Whether the digest of the concatenation of `parts` equals `expected` (no copy, no
    /// allocation).
    pub fn matches(self, parts: &[&[u8]], expected: &[u8]) -> bool {
        self.context(parts).as_ref() == expected
    }
}

/// `validityInfo`: when the MSO was signed and when it may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidityInfo {
    /// When the MSO was signed.
    pub signed: OffsetDateTime,
    /// Not valid before.
    pub valid_from: OffsetDateTime,
    /// Not valid after.
    pub valid_until: OffsetDateTime,
    /// When the issuer expects to re-issue, if it says.
    pub expected_update: Option<OffsetDateTime>,
}

/// Where the credential's status lives: index `idx` in the Token Status List at `uri`
/// (ISO 18013-5 second edition `status.status_list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReference {
    /// The credential's index in the list.
    pub idx: u64,
    /// Where the list is published.
    pub uri: String,
}

/// The digests of one namespace, in the order they appear.
pub type DigestIds = Vec<(u64, Vec<u8>)>;

/// A Mobile Security Object.
#[derive(Debug, Clone, PartialEq)]
pub struct MobileSecurityObject {
    /// `version` ("1.0").
    pub version: String,
    /// `digestAlgorithm` as written (the verifier reports unsupported ones).
    pub digest_algorithm: String,
    /// `valueDigests`: namespace → digest ID → digest, in the order they appear.
    pub value_digests: Vec<(String, DigestIds)>,
    /// `deviceKeyInfo.deviceKey`, checked when read: `Err` keeps why it is not usable, so the
    /// verifier can report it as a failed check rather than an undecodable MSO.
    pub device_key: Result<PublicKey, DeviceKeyError>,
    /// `deviceKeyInfo.deviceKey` as received (re-encoded unchanged).
    device_key_value: Value,
    /// The rest of `deviceKeyInfo` (keyAuthorizations, keyInfo), kept as received.
    device_key_info_rest: Vec<(Value, Value)>,
    /// `docType`.
    pub doc_type: String,
    /// `validityInfo`.
    pub validity: ValidityInfo,
    /// `status.status_list`, when present.
    pub status: Option<StatusReference>,
    /// `status` as received (other mechanisms and RFU keys are kept for re-encoding).
    status_value: Option<Value>,
}

/// Why bytes are not an MSO.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsoError {
    /// The bytes are not acceptable CBOR.
    #[error("the MSO is not well-formed CBOR: {0}")]
    Cbor(#[from] cbor::CborError),
    /// The payload is not `#6.24(bstr)`.
    #[error("the MSO is not wrapped as MobileSecurityObjectBytes (tag 24 over a byte string)")]
    NotTagged,
    /// A required field is missing.
    #[error("the MSO has no `{field}`")]
    Missing {
        /// Which field.
        field: &'static str,
    },
    /// A field the MSO does not define.
    #[error("the MSO has a field it does not define: {field:?}")]
    UnknownField {
        /// The field's name.
        field: String,
    },
    /// A field has the wrong type or form.
    #[error("the MSO's `{field}` has the wrong type or form")]
    WrongType {
        /// Which field.
        field: &'static str,
    },
}

/// The most an MSO may weigh (Annex D's is under 1 KiB; many namespaces stay under 16 KiB).
pub const MAX_MSO_BYTES: usize = 64 * 1024;

impl MobileSecurityObject {
    /// An MSO for the platform's credentials: SHA-256, version 1.0.
    pub fn new(
        doc_type: &str,
        value_digests: Vec<(String, DigestIds)>,
        device_key: &PublicKey,
        validity: ValidityInfo,
        status: Option<StatusReference>,
    ) -> MobileSecurityObject {
        MobileSecurityObject {
            version: MSO_VERSION.to_owned(),
            digest_algorithm: DigestAlgorithm::Sha256.name().to_owned(),
            value_digests,
            device_key: Ok(device_key.clone()),
            device_key_value: device_key::to_cose_key(device_key),
            device_key_info_rest: Vec::new(),
            doc_type: doc_type.to_owned(),
            validity,
            status_value: status.as_ref().map(status_to_cbor),
            status,
        }
    }

    /// The digest algorithm, if supported.
    pub fn digest_algorithm(&self) -> Option<DigestAlgorithm> {
        DigestAlgorithm::from_name(&self.digest_algorithm)
    }

    /// The digest for `(namespace, digest_id)`.
    pub fn digest(&self, namespace: &str, digest_id: u64) -> Option<&[u8]> {
        self.value_digests
            .iter()
            .find(|(ns, _)| ns == namespace)
            .and_then(|(_, ids)| ids.iter().find(|(id, _)| *id == digest_id))
            .map(|(_, d)| d.as_slice())
    }

    /// The MSO as a CBOR map, keys in the order of the standard's CDDL.
    pub fn to_cbor(&self) -> Value {
        let digests = self
            .value_digests
            .iter()
            .map(|(ns, ids)| {
                let ids = ids
                    .iter()
                    .map(|(id, d)| (Value::from(*id), Value::Bytes(d.clone())))
                    .collect();
                (Value::Text(ns.clone()), Value::Map(ids))
            })
            .collect();
        let mut key_info = vec![(Value::from("deviceKey"), self.device_key_value.clone())];
        key_info.extend(self.device_key_info_rest.iter().cloned());
        let mut validity = vec![
            (Value::from("signed"), cbor::tdate(self.validity.signed)),
            (
                Value::from("validFrom"),
                cbor::tdate(self.validity.valid_from),
            ),
            (
                Value::from("validUntil"),
                cbor::tdate(self.validity.valid_until),
            ),
        ];
        if let Some(t) = self.validity.expected_update {
            validity.push((Value::from("expectedUpdate"), cbor::tdate(t)));
        }
        let mut map = vec![
            (Value::from("version"), Value::Text(self.version.clone())),
            (
                Value::from("digestAlgorithm"),
                Value::Text(self.digest_algorithm.clone()),
            ),
            (Value::from("valueDigests"), Value::Map(digests)),
            (Value::from("deviceKeyInfo"), Value::Map(key_info)),
            (Value::from("docType"), Value::Text(self.doc_type.clone())),
            (Value::from("validityInfo"), Value::Map(validity)),
        ];
        if let Some(status) = &self.status_value {
            map.push((Value::from("status"), status.clone()));
        }
        Value::Map(map)
    }

    /// `MobileSecurityObjectBytes`: the encoded `#6.24(bstr .cbor MSO)`, the COSE_Sign1 payload.
    /// Written directly, as the encoder writes [`MobileSecurityObject::to_cbor`].
    pub fn to_tagged_bytes(&self) -> Vec<u8> {
        let digests: usize = self.value_digests.iter().map(|(_, ids)| ids.len()).sum();
        let mut w = Writer::with_capacity(320 + 40 * digests);
        w.map(6 + usize::from(self.status_value.is_some()))
            .text("version")
            .text(&self.version)
            .text("digestAlgorithm")
            .text(&self.digest_algorithm)
            .text("valueDigests")
            .map(self.value_digests.len());
        for (ns, ids) in &self.value_digests {
            w.text(ns).map(ids.len());
            for (id, digest) in ids {
                w.uint(*id).bytes(digest);
            }
        }
        w.text("deviceKeyInfo")
            .map(1 + self.device_key_info_rest.len())
            .text("deviceKey")
            .value(&self.device_key_value);
        for (k, v) in &self.device_key_info_rest {
            w.value(k).value(v);
        }
        let v = &self.validity;
        w.text("docType")
            .text(&self.doc_type)
            .text("validityInfo")
            .map(3 + usize::from(v.expected_update.is_some()))
            .text("signed")
            .tdate(v.signed)
            .text("validFrom")
            .tdate(v.valid_from)
            .text("validUntil")
            .tdate(v.valid_until);
        if let Some(t) = v.expected_update {
            w.text("expectedUpdate").tdate(t);
        }
        if let Some(status) = &self.status_value {
            w.text("status").value(status);
        }
        let mut tagged = Writer::with_capacity(w.len() + 11);
        tagged.tag24(w.as_bytes());
        tagged.into_bytes()
    }

    /// Reads `MobileSecurityObjectBytes` (the issuerAuth payload).
    pub fn from_tagged_bytes(bytes: &[u8]) -> Result<MobileSecurityObject, MsoError> {
        MsoRef::from_tagged_bytes(bytes)?.into_owned()
    }

    /// Reads an MSO map from a decoded value (its encoding is read as the payload's is).
    pub fn from_cbor(value: &Value) -> Result<MobileSecurityObject, MsoError> {
        let bytes = cbor::encode(value);
        MsoRef::parse(Item::decode(&bytes, usize::MAX)?)?.into_owned()
    }
}

/// A status reference read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StatusRef<'a> {
    /// The credential's index in the list.
    pub(crate) idx: u64,
    /// Where the list is published.
    pub(crate) uri: &'a str,
}

/// The digests of one namespace read in place, in the order they appear.
pub(crate) type DigestIdRefs<'a> = Vec<(u64, &'a [u8])>;

/// An MSO read in place: what the verifier works on.
#[derive(Debug)]
pub(crate) struct MsoRef<'a> {
    version: &'a str,
    /// `digestAlgorithm` as written.
    pub(crate) digest_algorithm: &'a str,
    value_digests: Vec<(&'a str, DigestIdRefs<'a>)>,
    /// `deviceKeyInfo.deviceKey`, checked.
    pub(crate) device_key: Result<PublicKey, DeviceKeyError>,
    device_key_value: Item<'a>,
    device_key_info: Item<'a>,
    /// `docType`.
    pub(crate) doc_type: &'a str,
    /// `validityInfo`.
    pub(crate) validity: ValidityInfo,
    /// `status.status_list`, when present.
    pub(crate) status: Option<StatusRef<'a>>,
    status_value: Option<Item<'a>>,
}

impl<'a> MsoRef<'a> {
    /// Reads `MobileSecurityObjectBytes` in place.
    pub(crate) fn from_tagged_bytes(bytes: &'a [u8]) -> Result<MsoRef<'a>, MsoError> {
        let outer = Item::decode(bytes, MAX_MSO_BYTES)?;
        let inner = outer
            .tagged(24)
            .and_then(|i| i.as_bytes())
            .ok_or(MsoError::NotTagged)?;
        MsoRef::parse(Item::decode(inner, MAX_MSO_BYTES)?)
    }

    /// The digest for `(namespace, digest_id)`.
    pub(crate) fn digest(&self, namespace: &str, digest_id: u64) -> Option<&'a [u8]> {
        self.value_digests
            .iter()
            .find(|(ns, _)| *ns == namespace)
            .and_then(|(_, ids)| ids.iter().find(|(id, _)| *id == digest_id))
            .map(|(_, d)| *d)
    }

    /// The digest algorithm, if supported.
    pub(crate) fn digest_algorithm(&self) -> Option<DigestAlgorithm> {
        DigestAlgorithm::from_name(self.digest_algorithm)
    }

    /// Reads an MSO map.
    fn parse(item: Item<'a>) -> Result<MsoRef<'a>, MsoError> {
        let map = match KnownFields::open(
            item,
            &[
                "version",
                "digestAlgorithm",
                "valueDigests",
                "deviceKeyInfo",
                "docType",
                "validityInfo",
                "status",
            ],
        ) {
            Ok(map) => map,
            Err(FieldsError::NotMap) => {
                return Err(MsoError::WrongType {
                    field: "MobileSecurityObject",
                });
            }
            Err(FieldsError::Unknown(field)) => return Err(MsoError::UnknownField { field }),
        };
        let text = |field: &'static str| match map.get(field) {
            Some(v) => v.as_text().ok_or(MsoError::WrongType { field }),
            None => Err(MsoError::Missing { field }),
        };
        let version = text("version")?;
        let digest_algorithm = text("digestAlgorithm")?;
        let doc_type = text("docType")?;

        let digests = map.get("valueDigests").ok_or(MsoError::Missing {
            field: "valueDigests",
        })?;
        let wrong_digests = MsoError::WrongType {
            field: "valueDigests",
        };
        let digests = digests.as_map().ok_or(wrong_digests.clone())?;
        let mut value_digests = Vec::with_capacity(digests.len());
        for (ns, ids) in digests {
            let (Some(ns), Some(ids)) = (ns.as_text(), ids.as_map()) else {
                return Err(wrong_digests);
            };
            let mut read = Vec::with_capacity(ids.len());
            for (id, digest) in ids {
                let id = id.as_u64().filter(|i| *i < 1 << 31);
                let (Some(id), Some(digest)) = (id, digest.as_bytes()) else {
                    return Err(wrong_digests);
                };
                read.push((id, digest));
            }
            value_digests.push((ns, read));
        }

        let key_info = map.get("deviceKeyInfo").ok_or(MsoError::Missing {
            field: "deviceKeyInfo",
        })?;
        if key_info.as_map().is_none() {
            return Err(MsoError::WrongType {
                field: "deviceKeyInfo",
            });
        }
        let device_key_value = key_info
            .get("deviceKey")
            .ok_or(MsoError::Missing { field: "deviceKey" })?;
        let device_key = device_key::from_cose_key_item(device_key_value);

        let validity = map.get("validityInfo").ok_or(MsoError::Missing {
            field: "validityInfo",
        })?;
        let validity = match KnownFields::open(
            validity,
            &["signed", "validFrom", "validUntil", "expectedUpdate"],
        ) {
            Ok(v) => v,
            Err(FieldsError::NotMap) => {
                return Err(MsoError::WrongType {
                    field: "validityInfo",
                });
            }
            Err(FieldsError::Unknown(field)) => return Err(MsoError::UnknownField { field }),
        };
        let date = |field: &'static str| {
            let v = validity.get(field).ok_or(MsoError::Missing { field })?;
            v.as_tdate().ok_or(MsoError::WrongType { field })
        };
        let validity = ValidityInfo {
            signed: date("signed")?,
            valid_from: date("validFrom")?,
            valid_until: date("validUntil")?,
            expected_update: match validity.get("expectedUpdate") {
                None => None,
                Some(_) => Some(date("expectedUpdate")?),
            },
        };

        let status_value = map.get("status");
        let status = match status_value {
            None => None,
            Some(v) => status_from_item(v)?,
        };

        Ok(MsoRef {
            version,
            digest_algorithm,
            value_digests,
            device_key,
            device_key_value,
            device_key_info: key_info,
            doc_type,
            validity,
            status,
            status_value,
        })
    }

    /// The owned MSO, with the parts it keeps as received decoded to values.
    fn into_owned(self) -> Result<MobileSecurityObject, MsoError> {
        let mut device_key_info_rest = Vec::new();
        for (k, v) in self.device_key_info.as_map().into_iter().flatten() {
            if !k.is_text("deviceKey") {
                device_key_info_rest.push((k.to_value()?, v.to_value()?));
            }
        }
        Ok(MobileSecurityObject {
            version: self.version.to_owned(),
            digest_algorithm: self.digest_algorithm.to_owned(),
            value_digests: self
                .value_digests
                .into_iter()
                .map(|(ns, ids)| {
                    let ids = ids.into_iter().map(|(id, d)| (id, d.to_vec())).collect();
                    (ns.to_owned(), ids)
                })
                .collect(),
            device_key: self.device_key,
            device_key_value: self.device_key_value.to_value()?,
            device_key_info_rest,
            doc_type: self.doc_type.to_owned(),
            validity: self.validity,
            status: self.status.map(|s| StatusReference {
                idx: s.idx,
                uri: s.uri.to_owned(),
            }),
            status_value: self.status_value.map(|v| v.to_value()).transpose()?,
        })
    }
}

fn status_to_cbor(status: &StatusReference) -> Value {
    Value::Map(vec![(
        Value::from("status_list"),
        Value::Map(vec![
            (Value::from("idx"), Value::from(status.idx)),
            (Value::from("uri"), Value::Text(status.uri.clone())),
        ]),
    )])
}

fn status_from_item(item: Item<'_>) -> Result<Option<StatusRef<'_>>, MsoError> {
    let wrong = MsoError::WrongType { field: "status" };
    if item.as_map().is_none() {
        return Err(wrong);
    }
    let Some(list) = item.get("status_list") else {
        return Ok(None);
    };
    if list.as_map().is_none() {
        return Err(wrong);
    }
    let idx = list
        .get("idx")
        .and_then(|i| i.as_u64())
        .ok_or(wrong.clone())?;
    let uri = list.get("uri").and_then(|u| u.as_text()).ok_or(wrong)?;
    Ok(Some(StatusRef { idx, uri }))
}
