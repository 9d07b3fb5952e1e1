//! The presentation structures of ISO 18013-5 §8.3.2.1.2.2: DeviceResponse, Document,
//! IssuerSigned (with its IssuerSignedItemBytes) and DeviceSigned, read strictly and written back
//! byte for byte.
//!
//! Everything that is hashed or signed keeps the bytes it arrived in: an item's digest is taken
//! over exactly the `#6.24(bstr)` received, the MSO over its received payload, the device
//! namespaces over their received bytes. Because [`edl_cbor::decode`] accepts only the
//! shortest form of every head, writing a structure back gives the input again.

use std::sync::OnceLock;

use ciborium::Value;
use coset::{AsCborValue, CoseMac0, CoseSign1, Header, HeaderBuilder, ProtectedHeader, iana};

use edl_cbor::{self as cbor, CborError, Item, Writer};

use crate::fields::{FieldsError, KnownFields};

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
#[derive(Debug, Clone)]
pub struct IssuerSignedItemBytes {
    /// The whole `#6.24(bstr)` encoding: what the digest covers.
    tagged: Vec<u8>,
    /// Where the encoded IssuerSignedItem starts in `tagged`.
    inner_start: usize,
    /// The decoded item; issuance writes only the bytes, and the item is read from them when
    /// first asked for.
    item: OnceLock<IssuerSignedItem>,
}

impl PartialEq for IssuerSignedItemBytes {
    fn eq(&self, other: &IssuerSignedItemBytes) -> bool {
        // The item is a function of the bytes.
        self.tagged == other.tagged
    }
}

impl IssuerSignedItemBytes {
    /// Encodes an item (keys in the standard's order).
    pub fn new(item: IssuerSignedItem) -> IssuerSignedItemBytes {
        let mut value = Writer::default();
        value.value(&item.element_value);
        let mut bytes = IssuerSignedItemBytes::write(
            item.digest_id,
            &item.random,
            &item.element_identifier,
            value.as_bytes(),
        );
        bytes.item = OnceLock::from(item);
        bytes
    }

    /// Writes an item whose element value is already encoded, in one allocation of the exact
    /// size; the item itself is decoded only if asked for.
    pub(crate) fn write(
        digest_id: u64,
        random: &[u8],
        element_identifier: &str,
        element_value: &[u8],
    ) -> IssuerSignedItemBytes {
        fn text_len(text: &str) -> usize {
            cbor::head_len(text.len() as u64) + text.len()
        }
        let inner_len = 1
            + text_len("digestID")
            + cbor::head_len(digest_id)
            + text_len("random")
            + cbor::head_len(random.len() as u64)
            + random.len()
            + text_len("elementIdentifier")
            + text_len(element_identifier)
            + text_len("elementValue")
            + element_value.len();
        let mut w = Writer::with_capacity(2 + cbor::head_len(inner_len as u64) + inner_len);
        w.tag(24).head(2, inner_len as u64);
        let inner_start = w.len();
        w.map(4)
            .text("digestID")
            .uint(digest_id)
            .text("random")
            .bytes(random)
            .text("elementIdentifier")
            .text(element_identifier)
            .text("elementValue")
            .raw(element_value);
        IssuerSignedItemBytes {
            tagged: w.into_bytes(),
            inner_start,
            item: OnceLock::new(),
        }
    }

    /// The item.
    pub fn item(&self) -> &IssuerSignedItem {
        self.item.get_or_init(|| {
            Item::decode(&self.tagged, MAX_DEVICE_RESPONSE_BYTES)
                .map_err(DecodeError::from)
                .and_then(ItemRef::parse)
                .and_then(|item| item.item())
                .expect("the bytes of an IssuerSignedItemBytes were written as, or checked to be, an IssuerSignedItem")
        })
    }

    /// The whole `#6.24(bstr)` encoding, the input of the digest.
    pub fn tagged_bytes(&self) -> Vec<u8> {
        self.tagged.clone()
    }

    /// The whole `#6.24(bstr)` encoding, borrowed.
    pub(crate) fn tagged(&self) -> &[u8] {
        &self.tagged
    }

    /// The encoded IssuerSignedItem inside the tag-24 byte string; the digest covers
    /// `edl_cbor::tag24_head(len)` followed by these bytes.
    pub fn inner_bytes(&self) -> &[u8] {
        self.tagged.get(self.inner_start..).unwrap_or_default()
    }

    fn to_cbor(&self) -> Value {
        cbor::tag24(self.inner_bytes().to_vec())
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
        let item = Item::decode(bytes, MAX_DEVICE_RESPONSE_BYTES)?;
        IssuerSignedRef::parse(item)?.into_owned()
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

    /// Reads IssuerSigned from a decoded value (its encoding is read as [`IssuerSigned::from_bytes`]
    /// reads bytes).
    pub fn from_cbor(value: &Value) -> Result<IssuerSigned, DecodeError> {
        IssuerSigned::from_bytes(&cbor::encode(value))
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
        DeviceResponseRef::parse(bytes)?.into_owned()
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
}

// Reading in place. The structures below borrow from the received bytes: the verifier reads a
// DeviceResponse through them without copying it into the owned structures above (which are
// built from them, so both accept exactly the same inputs).

/// The fields of a closed structure, each error naming the structure and the field.
struct Fields<'a> {
    fields: KnownFields<'a>,
    structure: &'static str,
}

impl<'a> Fields<'a> {
    /// `item` as the map of `structure`, refusing any field not in `known`.
    fn open(
        item: Item<'a>,
        structure: &'static str,
        known: &'static [&'static str],
    ) -> Result<Fields<'a>, DecodeError> {
        match KnownFields::open(item, known) {
            Ok(fields) => Ok(Fields { fields, structure }),
            Err(FieldsError::NotMap) => Err(DecodeError::WrongType {
                structure,
                field: "(map)",
            }),
            Err(FieldsError::Unknown(field)) => Err(DecodeError::UnknownField { structure, field }),
        }
    }

    fn get(&self, field: &str) -> Option<Item<'a>> {
        self.fields.get(field)
    }

    fn wrong(&self, field: &'static str) -> DecodeError {
        DecodeError::WrongType {
            structure: self.structure,
            field,
        }
    }

    fn required(&self, field: &'static str) -> Result<Item<'a>, DecodeError> {
        self.get(field).ok_or(DecodeError::Missing {
            structure: self.structure,
            field,
        })
    }

    fn text(&self, field: &'static str) -> Result<&'a str, DecodeError> {
        self.required(field)?.as_text().ok_or(self.wrong(field))
    }

    fn uint(&self, field: &'static str) -> Result<u64, DecodeError> {
        self.required(field)?.as_u64().ok_or(self.wrong(field))
    }
}

/// The byte string under a tag 24.
fn untag24<'a>(item: Item<'a>, what: &'static str) -> Result<&'a [u8], DecodeError> {
    item.tagged(24)
        .and_then(|inner| inner.as_bytes())
        .ok_or(DecodeError::NotTagged { what })
}

/// An IssuerSignedItemBytes read in place.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemRef<'a> {
    /// The whole `#6.24(bstr)` as received: what the digest covers.
    pub(crate) tagged: &'a [u8],
    /// The encoded IssuerSignedItem inside it.
    inner: &'a [u8],
    /// `digestID`.
    pub(crate) digest_id: u64,
    /// `random`.
    random: &'a [u8],
    /// `elementIdentifier`.
    pub(crate) element_identifier: &'a str,
    /// `elementValue`, not decoded.
    pub(crate) element_value: Item<'a>,
}

impl<'a> ItemRef<'a> {
    fn parse(item: Item<'a>) -> Result<ItemRef<'a>, DecodeError> {
        let inner = untag24(item, "IssuerSignedItemBytes")?;
        let decoded = Item::decode(inner, MAX_DEVICE_RESPONSE_BYTES)?;
        let fields = Fields::open(
            decoded,
            "IssuerSignedItem",
            &["digestID", "random", "elementIdentifier", "elementValue"],
        )?;
        let digest_id = fields.uint("digestID")?;
        let random = fields
            .required("random")?
            .as_bytes()
            .ok_or(fields.wrong("random"))?;
        let element_identifier = fields.text("elementIdentifier")?;
        let element_value = fields.required("elementValue")?;
        Ok(ItemRef {
            tagged: item.raw(),
            inner,
            digest_id,
            random,
            element_identifier,
            element_value,
        })
    }

    /// The decoded item.
    fn item(&self) -> Result<IssuerSignedItem, DecodeError> {
        Ok(IssuerSignedItem {
            digest_id: self.digest_id,
            random: self.random.to_vec(),
            element_identifier: self.element_identifier.to_owned(),
            element_value: self.element_value.to_value()?,
        })
    }

    fn into_owned(self) -> Result<IssuerSignedItemBytes, DecodeError> {
        Ok(IssuerSignedItemBytes {
            tagged: self.tagged.to_vec(),
            inner_start: self.tagged.len() - self.inner.len(),
            item: OnceLock::from(self.item()?),
        })
    }
}

/// The protected header of a COSE structure: coset's reading of the bytes, which it keeps (they
/// are what is signed). The one-entry headers this platform and Annex D use are recognised
/// without decoding.
fn protected_header(bytes: &[u8]) -> Option<ProtectedHeader> {
    let alg = match bytes {
        [0xa1, 0x01, 0x26] => iana::Algorithm::ES256,
        [0xa1, 0x01, 0x38, 0x22] => iana::Algorithm::ES384,
        [0xa1, 0x01, 0x38, 0x23] => iana::Algorithm::ES512,
        [0xa1, 0x01, 0x05] => iana::Algorithm::HMAC_256_256,
        _ => return ProtectedHeader::from_cbor_bstr(Value::Bytes(bytes.to_vec())).ok(),
    };
    Some(ProtectedHeader {
        original_data: Some(bytes.to_vec()),
        header: HeaderBuilder::new().algorithm(alg).build(),
    })
}

/// The protected header `{1: -7}` (alg ES256) as coset encodes it.
pub(crate) const ES256_PROTECTED: [u8; 3] = [0xa1, 0x01, 0x26];

/// The COSE `Sig_structure` of a COSE_Sign1 with an empty external AAD, as coset writes it from
/// the protected header's bytes: `["Signature1", protected, h'', payload]`.
pub(crate) fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_capacity(32 + protected.len() + payload.len());
    w.array(4)
        .text("Signature1")
        .bytes(protected)
        .bytes(&[])
        .bytes(payload);
    w.into_bytes()
}

/// A COSE_Sign1 read in place: the headers as coset reads them, payload and signature borrowed.
#[derive(Debug, Clone)]
pub(crate) struct Sign1Ref<'a> {
    /// The protected header (its bytes in `original_data`).
    pub(crate) protected: ProtectedHeader,
    /// The protected header's bytes, as signed.
    pub(crate) protected_bytes: &'a [u8],
    /// The unprotected header.
    pub(crate) unprotected: Header,
    /// The payload (`None`: detached).
    pub(crate) payload: Option<&'a [u8]>,
    /// The signature.
    pub(crate) signature: &'a [u8],
}

impl<'a> Sign1Ref<'a> {
    /// Reads a COSE_Sign1, accepting what `coset::CoseSign1::from_cbor_value` accepts.
    fn parse(item: Item<'a>, what: &'static str) -> Result<Sign1Ref<'a>, DecodeError> {
        let cose = DecodeError::Cose { what };
        let mut parts = item.as_array().ok_or(cose.clone())?;
        if parts.len() != 4 {
            return Err(cose);
        }
        let (Some(protected), Some(unprotected), Some(payload), Some(signature)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(cose);
        };
        let signature = signature.as_bytes().ok_or(cose.clone())?;
        let payload = match payload.as_bytes() {
            Some(bytes) => Some(bytes),
            None if payload.is_null() => None,
            None => return Err(cose),
        };
        let unprotected = unprotected
            .to_value()
            .ok()
            .and_then(|v| Header::from_cbor_value(v).ok())
            .ok_or(cose.clone())?;
        let protected_bytes = protected.as_bytes().ok_or(cose.clone())?;
        let protected = protected_header(protected_bytes).ok_or(cose)?;
        Ok(Sign1Ref {
            protected,
            protected_bytes,
            unprotected,
            payload,
            signature,
        })
    }

    fn into_owned(self) -> CoseSign1 {
        CoseSign1 {
            protected: self.protected,
            unprotected: self.unprotected,
            payload: self.payload.map(<[u8]>::to_vec),
            signature: self.signature.to_vec(),
        }
    }
}

/// The items of one namespace, read in place.
pub(crate) type NamespaceItemRefs<'a> = (&'a str, Vec<ItemRef<'a>>);

/// IssuerSigned read in place.
#[derive(Debug, Clone)]
pub(crate) struct IssuerSignedRef<'a> {
    /// `nameSpaces`, in the order sent.
    pub(crate) namespaces: Vec<NamespaceItemRefs<'a>>,
    /// `issuerAuth`.
    pub(crate) issuer_auth: Sign1Ref<'a>,
}

impl<'a> IssuerSignedRef<'a> {
    fn parse(item: Item<'a>) -> Result<IssuerSignedRef<'a>, DecodeError> {
        let fields = Fields::open(item, "IssuerSigned", &["nameSpaces", "issuerAuth"])?;
        let mut namespaces = Vec::new();
        if let Some(ns) = fields.get("nameSpaces") {
            let ns = ns.as_map().ok_or(fields.wrong("nameSpaces"))?;
            namespaces.reserve_exact(ns.len());
            for (name, items) in ns {
                let (Some(name), Some(items)) = (name.as_text(), items.as_array()) else {
                    return Err(fields.wrong("nameSpaces"));
                };
                let mut read = Vec::with_capacity(items.len());
                for item in items {
                    read.push(ItemRef::parse(item)?);
                }
                namespaces.push((name, read));
            }
        }
        let auth = fields.required("issuerAuth")?;
        let issuer_auth = Sign1Ref::parse(auth, "issuerAuth")?;
        Ok(IssuerSignedRef {
            namespaces,
            issuer_auth,
        })
    }

    fn into_owned(self) -> Result<IssuerSigned, DecodeError> {
        let mut namespaces = Vec::with_capacity(self.namespaces.len());
        for (name, items) in self.namespaces {
            let items = items
                .into_iter()
                .map(ItemRef::into_owned)
                .collect::<Result<Vec<_>, _>>()?;
            namespaces.push((name.to_owned(), items));
        }
        Ok(IssuerSigned {
            namespaces,
            issuer_auth: self.issuer_auth.into_owned(),
        })
    }
}

/// DeviceAuth read in place (a MAC is rare and small: read by coset).
#[derive(Debug, Clone)]
pub(crate) enum DeviceAuthRef<'a> {
    /// `deviceSignature`.
    Signature(Sign1Ref<'a>),
    /// `deviceMac`.
    Mac(CoseMac0),
}

/// DeviceSigned read in place.
#[derive(Debug, Clone)]
pub(crate) struct DeviceSignedRef<'a> {
    /// `DeviceNameSpacesBytes` as received (`#6.24(bstr)`), as signed in DeviceAuthentication.
    pub(crate) namespaces_tagged: &'a [u8],
    /// The encoded DeviceNameSpaces inside it.
    namespaces_inner: &'a [u8],
    /// The DeviceNameSpaces.
    namespaces: Item<'a>,
    /// `deviceAuth`.
    pub(crate) device_auth: DeviceAuthRef<'a>,
}

impl<'a> DeviceSignedRef<'a> {
    fn parse(item: Item<'a>) -> Result<DeviceSignedRef<'a>, DecodeError> {
        let fields = Fields::open(item, "DeviceSigned", &["nameSpaces", "deviceAuth"])?;
        let tagged = fields.required("nameSpaces")?;
        let inner = untag24(tagged, "DeviceNameSpacesBytes")?;
        let namespaces = Item::decode(inner, MAX_DEVICE_RESPONSE_BYTES)?;
        if namespaces.as_map().is_none() {
            return Err(fields.wrong("nameSpaces"));
        }
        let auth = fields.required("deviceAuth")?;
        if auth.as_map().is_none() {
            return Err(fields.wrong("deviceAuth"));
        }
        let device_auth = match (auth.get("deviceSignature"), auth.get("deviceMac")) {
            (Some(sig), None) => DeviceAuthRef::Signature(Sign1Ref::parse(sig, "deviceSignature")?),
            (None, Some(mac)) => DeviceAuthRef::Mac(
                mac.to_value()
                    .ok()
                    .and_then(|v| CoseMac0::from_cbor_value(v).ok())
                    .ok_or(DecodeError::Cose { what: "deviceMac" })?,
            ),
            _ => {
                return Err(fields.wrong("deviceAuth (exactly one of deviceSignature, deviceMac)"));
            }
        };
        Ok(DeviceSignedRef {
            namespaces_tagged: tagged.raw(),
            namespaces_inner: inner,
            namespaces,
            device_auth,
        })
    }

    fn into_owned(self) -> Result<DeviceSigned, DecodeError> {
        Ok(DeviceSigned {
            namespaces_inner: self.namespaces_inner.to_vec(),
            namespaces: self.namespaces.to_value()?,
            device_auth: match self.device_auth {
                DeviceAuthRef::Signature(s) => DeviceAuth::Signature(s.into_owned()),
                DeviceAuthRef::Mac(m) => DeviceAuth::Mac(m),
            },
        })
    }
}

/// A Document read in place.
#[derive(Debug, Clone)]
pub(crate) struct DocumentRef<'a> {
    /// `docType`.
    pub(crate) doc_type: &'a str,
    /// `issuerSigned`.
    pub(crate) issuer_signed: IssuerSignedRef<'a>,
    /// `deviceSigned`.
    pub(crate) device_signed: DeviceSignedRef<'a>,
    /// `errors`, not decoded.
    errors: Option<Item<'a>>,
}

impl<'a> DocumentRef<'a> {
    fn parse(item: Item<'a>) -> Result<DocumentRef<'a>, DecodeError> {
        let fields = Fields::open(
            item,
            "Document",
            &["docType", "issuerSigned", "deviceSigned", "errors"],
        )?;
        Ok(DocumentRef {
            doc_type: fields.text("docType")?,
            issuer_signed: IssuerSignedRef::parse(fields.required("issuerSigned")?)?,
            device_signed: DeviceSignedRef::parse(fields.required("deviceSigned")?)?,
            errors: fields.get("errors"),
        })
    }

    fn into_owned(self) -> Result<Document, DecodeError> {
        Ok(Document {
            doc_type: self.doc_type.to_owned(),
            issuer_signed: self.issuer_signed.into_owned()?,
            device_signed: self.device_signed.into_owned()?,
            errors: self.errors.map(|e| e.to_value()).transpose()?,
        })
    }
}

/// A DeviceResponse read in place: what the verifier works on.
#[derive(Debug, Clone)]
pub(crate) struct DeviceResponseRef<'a> {
    /// `version`.
    pub(crate) version: &'a str,
    /// `documents`.
    pub(crate) documents: Vec<DocumentRef<'a>>,
    /// `documentErrors`, not decoded.
    document_errors: Option<Item<'a>>,
    /// `status`.
    pub(crate) status: u64,
}

impl<'a> DeviceResponseRef<'a> {
    /// Reads a DeviceResponse strictly, in place.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<DeviceResponseRef<'a>, DecodeError> {
        let item = Item::decode(bytes, MAX_DEVICE_RESPONSE_BYTES)?;
        let fields = Fields::open(
            item,
            "DeviceResponse",
            &["version", "documents", "documentErrors", "status"],
        )?;
        let version = fields.text("version")?;
        let documents = match fields.get("documents") {
            None => Vec::new(),
            Some(docs) => {
                let docs = docs.as_array().ok_or(fields.wrong("documents"))?;
                let mut read = Vec::with_capacity(docs.len());
                for doc in docs {
                    read.push(DocumentRef::parse(doc)?);
                }
                read
            }
        };
        Ok(DeviceResponseRef {
            version,
            documents,
            document_errors: fields.get("documentErrors"),
            status: fields.uint("status")?,
        })
    }

    fn into_owned(self) -> Result<DeviceResponse, DecodeError> {
        Ok(DeviceResponse {
            version: self.version.to_owned(),
            documents: self
                .documents
                .into_iter()
                .map(DocumentRef::into_owned)
                .collect::<Result<Vec<_>, _>>()?,
            document_errors: self.document_errors.map(|e| e.to_value()).transpose()?,
            status: self.status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annex_d_response() -> Vec<u8> {
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../tests/data/iso18013-5-annex-d.json")).unwrap();
        let hex = vectors["hex"]["device_response"].as_str().unwrap();
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn a_damaged_response_never_panics_and_what_reads_writes_back(
            at in proptest::num::usize::ANY,
            byte in proptest::num::u8::ANY,
            cut in 0usize..3,
        ) {
            let mut bytes = annex_d_response();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes.truncate(bytes.len() - cut);
            if let Ok(response) = DeviceResponse::from_bytes(&bytes) {
                let again = response.to_bytes();
                let reread = DeviceResponse::from_bytes(&again).unwrap();
                proptest::prop_assert_eq!(reread.to_bytes(), again);
            }
        }
    }

    #[test]
    fn the_protected_headers_read_without_decoding_are_what_coset_reads() {
        for bytes in [
            &[0xa1, 0x01, 0x26][..],
            &[0xa1, 0x01, 0x38, 0x22],
            &[0xa1, 0x01, 0x38, 0x23],
            &[0xa1, 0x01, 0x05],
        ] {
            let coset = ProtectedHeader::from_cbor_bstr(Value::Bytes(bytes.to_vec())).unwrap();
            assert_eq!(protected_header(bytes), Some(coset), "{bytes:02x?}");
        }
        assert_eq!(
            protected_header(&[0xa1, 0x01, 0x27]),
            ProtectedHeader::from_cbor_bstr(Value::Bytes(vec![0xa1, 0x01, 0x27])).ok()
        );
        assert_eq!(protected_header(&[0xa1, 0x01]), None);
        let es256 = ProtectedHeader {
            original_data: None,
            header: HeaderBuilder::new()
                .algorithm(iana::Algorithm::ES256)
                .build(),
        };
        assert_eq!(
            es256.cbor_bstr().unwrap(),
            Value::Bytes(ES256_PROTECTED.to_vec())
        );
    }

    #[test]
    fn the_sig_structure_is_what_coset_writes() {
        for payload in [&[][..], &[1, 2, 3], &[7; 300], &[9; 70000]] {
            for protected in [&ES256_PROTECTED[..], &[0xa1, 0x01, 0x38, 0x22], &[]] {
                let sign1 = CoseSign1 {
                    protected: protected_header(protected).unwrap(),
                    payload: Some(payload.to_vec()),
                    ..CoseSign1::default()
                };
                assert_eq!(sig_structure(protected, payload), sign1.tbs_data(b""));
                let detached = CoseSign1 {
                    payload: None,
                    ..sign1
                };
                assert_eq!(
                    sig_structure(protected, payload),
                    detached.tbs_detached_data(payload, b"")
                );
            }
        }
    }
}
