//! The presentation structures of ISO 18013-5 §8.3.2.1.2.2: DeviceResponse, Document,
//! IssuerSigned (with its IssuerSignedItemBytes) and DeviceSigned, read strictly and written back
//! byte for byte.
//!
//! Everything that is hashed or signed keeps the bytes it arrived in: an item's digest is taken
//! over exactly the `#6.24(bstr)` received, the MSO over its received payload, the device
//! namespaces over their received bytes. Because [`edl_cbor::decode`] accepts only the
//! shortest form of every head, writing a structure back gives the input again.

use ciborium::Value;
use coset::{AsCborValue, CoseMac0, CoseSign1};

use edl_cbor::{self as cbor, CborError, Map};

/// The DeviceResponse version written.
pub const DEVICE_RESPONSE_VERSION: &str = "1.0";
/// The largest DeviceResponse read (a portrait is tens of KiB; Annex D's response is 3.5 KiB).
pub const MAX_DEVICE_RESPONSE_BYTES: usize = 1 << 20;

/// Why bytes are not a DeviceResponse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not acceptable CBOR.
    #[error("not well-formed CBOR: {0}")]
    Cbor(#[from] CborError),
    /// A required field is missing.
    #[error("{structure} has no `{field}`")]
    Missing {
        /// The structure.
        structure: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A field has the wrong type.
    #[error("{structure}.{field} has the wrong type")]
    WrongType {
        /// The structure.
        structure: &'static str,
        /// The field.
        field: &'static str,
    },
    /// A `#6.24(bstr .cbor …)` wrapper is missing or wrong.
    #[error("{what} is not tag 24 over a byte string")]
    NotTagged {
        /// What should have been wrapped.
        what: &'static str,
    },
    /// A field the structure does not define (ISO 18013-5 structures are closed).
    #[error("{structure} has a field it does not define: {field:?}")]
    UnknownField {
        /// The structure.
        structure: &'static str,
        /// The field's name.
        field: String,
    },
    /// A COSE structure does not decode.
    #[error("{what} is not a valid COSE structure")]
    Cose {
        /// Which one.
        what: &'static str,
    },
}

/// A decoded IssuerSignedItem.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSignedItem {
    /// `digestID`: where its digest sits in the MSO.
    pub digest_id: u64,
    /// `random`: the salt.
    pub random: Vec<u8>,
    /// `elementIdentifier`.
    pub element_identifier: String,
    /// `elementValue`.
    pub element_value: Value,
}

/// An IssuerSignedItemBytes: the item and the exact bytes its digest covers.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSignedItemBytes {
    /// The encoded IssuerSignedItem (inside the tag-24 byte string).
    inner: Vec<u8>,
    item: IssuerSignedItem,
}

impl IssuerSignedItemBytes {
    /// Encodes an item (keys in the standard's order; the value is serialised in place, not
    /// copied into a temporary map: a portrait is kilobytes).
    pub fn new(item: IssuerSignedItem) -> IssuerSignedItemBytes {
        let mut inner = Vec::with_capacity(64 + item.random.len());
        inner.push(0xa4);
        for part in [
            Value::from("digestID"),
            Value::from(item.digest_id),
            Value::from("random"),
            Value::Bytes(item.random.clone()),
            Value::from("elementIdentifier"),
            Value::Text(item.element_identifier.clone()),
            Value::from("elementValue"),
        ] {
            inner.extend(cbor::encode(&part));
        }
        // Writing into a Vec cannot fail.
        let _ = ciborium::into_writer(&item.element_value, &mut inner);
        IssuerSignedItemBytes { inner, item }
    }

    /// The item.
    pub fn item(&self) -> &IssuerSignedItem {
        &self.item
    }

    /// The whole `#6.24(bstr)` encoding, the input of the digest.
    pub fn tagged_bytes(&self) -> Vec<u8> {
        cbor::encode(&self.to_cbor())
    }

    /// The encoded IssuerSignedItem inside the tag-24 byte string; the digest covers
    /// `edl_cbor::tag24_head(len)` followed by these bytes.
    pub fn inner_bytes(&self) -> &[u8] {
        &self.inner
    }

    fn to_cbor(&self) -> Value {
        cbor::tag24(self.inner.clone())
    }

    fn from_cbor(value: &Value) -> Result<IssuerSignedItemBytes, DecodeError> {
        let inner = untag24(value, "IssuerSignedItemBytes")?;
        let mut decoded = cbor::decode(inner, MAX_DEVICE_RESPONSE_BYTES)?;
        let fields = Fields::open(
            &decoded,
            "IssuerSignedItem",
            &["digestID", "random", "elementIdentifier", "elementValue"],
        )?;
        let digest_id = fields.uint("digestID")?;
        let random = fields
            .required("random")?
            .as_bytes()
            .ok_or(fields.wrong("random"))?
            .clone();
        let element_identifier = fields.text("elementIdentifier")?;
        fields.required("elementValue")?;
        // Moved out of the decoded map rather than cloned: the portrait is kilobytes.
        let element_value = match &mut decoded {
            Value::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_text() == Some("elementValue"))
                .map(|(_, v)| std::mem::replace(v, Value::Null)),
            _ => None,
        }
        .ok_or(DecodeError::Missing {
            structure: "IssuerSignedItem",
            field: "elementValue",
        })?;
        Ok(IssuerSignedItemBytes {
            inner: inner.to_vec(),
            item: IssuerSignedItem {
                digest_id,
                random,
                element_identifier,
                element_value,
            },
        })
    }
}

/// The items of one namespace, in the order sent.
pub type NamespaceItems = (String, Vec<IssuerSignedItemBytes>);

/// `IssuerSigned`: the disclosed items and the issuer's signature over the MSO.
#[derive(Debug, Clone, PartialEq)]
pub struct IssuerSigned {
    /// `nameSpaces` (absent when empty).
    pub namespaces: Vec<NamespaceItems>,
    /// `issuerAuth`: COSE_Sign1 over MobileSecurityObjectBytes, the x5chain unprotected.
    pub issuer_auth: CoseSign1,
}

impl IssuerSigned {
    /// The encoded IssuerSigned, as a wallet stores it.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::encode(&self.to_cbor())
    }

    /// Reads an encoded IssuerSigned, strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<IssuerSigned, DecodeError> {
        IssuerSigned::from_cbor(&cbor::decode(bytes, MAX_DEVICE_RESPONSE_BYTES)?)
    }

    /// As CBOR.
    pub fn to_cbor(&self) -> Value {
        let mut map = Vec::with_capacity(2);
        if !self.namespaces.is_empty() {
            let namespaces = self
                .namespaces
                .iter()
                .map(|(ns, items)| {
                    let items = items.iter().map(IssuerSignedItemBytes::to_cbor).collect();
                    (Value::Text(ns.clone()), Value::Array(items))
                })
                .collect();
            map.push((Value::from("nameSpaces"), Value::Map(namespaces)));
        }
        let auth = self
            .issuer_auth
            .clone()
            .to_cbor_value()
            .unwrap_or(Value::Null);
        map.push((Value::from("issuerAuth"), auth));
        Value::Map(map)
    }

    /// Reads IssuerSigned.
    pub fn from_cbor(value: &Value) -> Result<IssuerSigned, DecodeError> {
        let fields = Fields::open(value, "IssuerSigned", &["nameSpaces", "issuerAuth"])?;
        let mut namespaces = Vec::new();
        if let Some(ns) = fields.get("nameSpaces") {
            let ns = Map::of(ns).ok_or(fields.wrong("nameSpaces"))?;
            for (name, items) in ns.entries() {
                let (Value::Text(name), Value::Array(items)) = (name, items) else {
                    return Err(fields.wrong("nameSpaces"));
                };
                let items = items
                    .iter()
                    .map(IssuerSignedItemBytes::from_cbor)
                    .collect::<Result<Vec<_>, _>>()?;
                namespaces.push((name.clone(), items));
            }
        }
        let auth = fields.required("issuerAuth")?;
        let issuer_auth = CoseSign1::from_cbor_value(auth.clone())
            .map_err(|_| DecodeError::Cose { what: "issuerAuth" })?;
        Ok(IssuerSigned {
            namespaces,
            issuer_auth,
        })
    }
}

/// `DeviceAuth`: the holder's proof over the session.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceAuth {
    /// `deviceSignature`: COSE_Sign1 with a detached payload.
    Signature(CoseSign1),
    /// `deviceMac`: COSE_Mac0 with a detached payload.
    Mac(CoseMac0),
}

/// `DeviceSigned`: device-signed elements and the device authentication.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSigned {
    /// The encoded DeviceNameSpaces (inside `#6.24(bstr)`).
    namespaces_inner: Vec<u8>,
    /// Their decoded form.
    pub namespaces: Value,
    /// `deviceAuth`.
    pub device_auth: DeviceAuth,
}

impl DeviceSigned {
    /// No device-signed elements (this platform's wallets sign none).
    pub fn new(device_auth: DeviceAuth) -> DeviceSigned {
        let namespaces = Value::Map(Vec::new());
        DeviceSigned {
            namespaces_inner: cbor::encode(&namespaces),
            namespaces,
            device_auth,
        }
    }

    /// `DeviceNameSpacesBytes` as encoded (`#6.24(bstr)`), as signed in DeviceAuthentication.
    pub fn namespaces_bytes(&self) -> Vec<u8> {
        cbor::encode(&cbor::tag24(self.namespaces_inner.clone()))
    }

    /// The empty DeviceNameSpacesBytes, for signing before the structure exists.
    pub fn empty_namespaces_bytes() -> Vec<u8> {
        cbor::encode(&cbor::tag24(cbor::encode(&Value::Map(Vec::new()))))
    }

    fn to_cbor(&self) -> Value {
        let auth = match &self.device_auth {
            DeviceAuth::Signature(s) => (
                Value::from("deviceSignature"),
                s.clone().to_cbor_value().unwrap_or(Value::Null),
            ),
            DeviceAuth::Mac(m) => (
                Value::from("deviceMac"),
                m.clone().to_cbor_value().unwrap_or(Value::Null),
            ),
        };
        Value::Map(vec![
            (
                Value::from("nameSpaces"),
                cbor::tag24(self.namespaces_inner.clone()),
            ),
            (Value::from("deviceAuth"), Value::Map(vec![auth])),
        ])
    }

    fn from_cbor(value: &Value) -> Result<DeviceSigned, DecodeError> {
        let fields = Fields::open(value, "DeviceSigned", &["nameSpaces", "deviceAuth"])?;
        let inner = untag24(fields.required("nameSpaces")?, "DeviceNameSpacesBytes")?;
        let namespaces = cbor::decode(inner, MAX_DEVICE_RESPONSE_BYTES)?;
        if !matches!(namespaces, Value::Map(_)) {
            return Err(fields.wrong("nameSpaces"));
        }
        let auth = Map::of(fields.required("deviceAuth")?).ok_or(fields.wrong("deviceAuth"))?;
        let device_auth = match (auth.get("deviceSignature"), auth.get("deviceMac")) {
            (Some(sig), None) => {
                DeviceAuth::Signature(CoseSign1::from_cbor_value(sig.clone()).map_err(|_| {
                    DecodeError::Cose {
                        what: "deviceSignature",
                    }
                })?)
            }
            (None, Some(mac)) => DeviceAuth::Mac(
                CoseMac0::from_cbor_value(mac.clone())
                    .map_err(|_| DecodeError::Cose { what: "deviceMac" })?,
            ),
            _ => {
                return Err(fields.wrong("deviceAuth (exactly one of deviceSignature, deviceMac)"));
            }
        };
        Ok(DeviceSigned {
            namespaces_inner: inner.to_vec(),
            namespaces,
            device_auth,
        })
    }
}

/// One document of a response.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `docType`.
    pub doc_type: String,
    /// `issuerSigned`.
    pub issuer_signed: IssuerSigned,
    /// `deviceSigned`.
    pub device_signed: DeviceSigned,
    /// `errors`, kept as received.
    pub errors: Option<Value>,
}

impl Document {
    /// The issuerAuth payload (MobileSecurityObjectBytes) as received.
    pub fn issuer_auth_payload(&self) -> Option<&[u8]> {
        self.issuer_signed.issuer_auth.payload.as_deref()
    }

    fn to_cbor(&self) -> Value {
        let mut map = vec![
            (Value::from("docType"), Value::Text(self.doc_type.clone())),
            (Value::from("issuerSigned"), self.issuer_signed.to_cbor()),
            (Value::from("deviceSigned"), self.device_signed.to_cbor()),
        ];
        if let Some(errors) = &self.errors {
            map.push((Value::from("errors"), errors.clone()));
        }
        Value::Map(map)
    }

    fn from_cbor(value: &Value) -> Result<Document, DecodeError> {
        let fields = Fields::open(
            value,
            "Document",
            &["docType", "issuerSigned", "deviceSigned", "errors"],
        )?;
        Ok(Document {
            doc_type: fields.text("docType")?,
            issuer_signed: IssuerSigned::from_cbor(fields.required("issuerSigned")?)?,
            device_signed: DeviceSigned::from_cbor(fields.required("deviceSigned")?)?,
            errors: fields.get("errors").cloned(),
        })
    }
}

/// A DeviceResponse.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceResponse {
    /// `version`.
    pub version: String,
    /// `documents` (absent when empty).
    pub documents: Vec<Document>,
    /// `documentErrors`, kept as received.
    pub document_errors: Option<Value>,
    /// `status`: 0 OK, 10 general error, 11 CBOR decoding error, 12 CBOR validation error.
    pub status: u64,
}

impl DeviceResponse {
    /// A successful response with these documents.
    pub fn ok(documents: Vec<Document>) -> DeviceResponse {
        DeviceResponse {
            version: DEVICE_RESPONSE_VERSION.to_owned(),
            documents,
            document_errors: None,
            status: 0,
        }
    }

    /// Reads a DeviceResponse, strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<DeviceResponse, DecodeError> {
        let value = cbor::decode(bytes, MAX_DEVICE_RESPONSE_BYTES)?;
        DeviceResponse::from_cbor(&value)
    }

    /// As bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::encode(&self.to_cbor())
    }

    /// As CBOR.
    pub fn to_cbor(&self) -> Value {
        let mut map = vec![(Value::from("version"), Value::Text(self.version.clone()))];
        if !self.documents.is_empty() {
            let docs = self.documents.iter().map(Document::to_cbor).collect();
            map.push((Value::from("documents"), Value::Array(docs)));
        }
        if let Some(errors) = &self.document_errors {
            map.push((Value::from("documentErrors"), errors.clone()));
        }
        map.push((Value::from("status"), Value::from(self.status)));
        Value::Map(map)
    }

    fn from_cbor(value: &Value) -> Result<DeviceResponse, DecodeError> {
        let fields = Fields::open(
            value,
            "DeviceResponse",
            &["version", "documents", "documentErrors", "status"],
        )?;
        let version = fields.text("version")?;
        let documents = match fields.get("documents") {
            None => Vec::new(),
            Some(Value::Array(docs)) => docs
                .iter()
                .map(Document::from_cbor)
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(fields.wrong("documents")),
        };
        Ok(DeviceResponse {
            version,
            documents,
            document_errors: fields.get("documentErrors").cloned(),
            status: fields.uint("status")?,
        })
    }
}

/// The map of a closed structure (ISO 18013-5 structures define all their fields), read field by
/// field; every error names the structure and the field.
struct Fields<'a> {
    map: Map<'a>,
    structure: &'static str,
}

impl<'a> Fields<'a> {
    /// `value` as the map of `structure`, refusing any field not in `known`.
    fn open(
        value: &'a Value,
        structure: &'static str,
        known: &[&str],
    ) -> Result<Fields<'a>, DecodeError> {
        let map = Map::of(value).ok_or(DecodeError::WrongType {
            structure,
            field: "(map)",
        })?;
        if let Some(field) = map.unknown_key(known) {
            return Err(DecodeError::UnknownField { structure, field });
        }
        Ok(Fields { map, structure })
    }

    fn get(&self, field: &str) -> Option<&'a Value> {
        self.map.get(field)
    }

    fn wrong(&self, field: &'static str) -> DecodeError {
        DecodeError::WrongType {
            structure: self.structure,
            field,
        }
    }

    fn required(&self, field: &'static str) -> Result<&'a Value, DecodeError> {
        self.get(field).ok_or(DecodeError::Missing {
            structure: self.structure,
            field,
        })
    }

    fn text(&self, field: &'static str) -> Result<String, DecodeError> {
        self.required(field)?
            .as_text()
            .map(str::to_owned)
            .ok_or(self.wrong(field))
    }

    fn uint(&self, field: &'static str) -> Result<u64, DecodeError> {
        self.required(field)?
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or(self.wrong(field))
    }
}

/// The byte string under a tag 24.
pub(crate) fn untag24<'a>(value: &'a Value, what: &'static str) -> Result<&'a [u8], DecodeError> {
    match value {
        Value::Tag(24, inner) => match inner.as_ref() {
            Value::Bytes(b) => Ok(b),
            _ => Err(DecodeError::NotTagged { what }),
        },
        _ => Err(DecodeError::NotTagged { what }),
    }
}
