//! The in-place readers ([`edl_cbor::Item`]) against the readers they replaced, which decoded
//! through `ciborium::Value`: kept here verbatim as the reference, and compared on the test
//! vectors, on systematic re-encodings of their parts and on random mutations. Every input must
//! give the same result: the same parts, or the same error with the same words.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ciborium::Value;
use proptest::prelude::*;
use time::OffsetDateTime;

use crate::claims;
use crate::credential::{
    Claims, CredentialError, CredentialRef, KID_LEN, MAX_CREDENTIAL_BYTES, PROTECTED,
    ParsedCredential,
};
use crate::presentation::{MAX_CHALLENGE, MAX_TEXT_CHARS, Presentation, TextError, read_payload};

/// The payload reader before `Item`.
fn legacy_payload(payload: &[u8]) -> Result<Presentation, TextError> {
    let value =
        edl_cbor::decode(payload, MAX_TEXT_CHARS).map_err(|e| TextError::Cbor(e.to_string()))?;
    let Value::Array(parts) = value else {
        return Err(TextError::Structure("not an array"));
    };
    let [credential, generated, challenge, signature]: [Value; 4] = parts
        .try_into()
        .map_err(|_| TextError::Structure("not an array of four"))?;
    let Value::Bytes(credential) = credential else {
        return Err(TextError::Structure("the credential is not a byte string"));
    };
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
    let Value::Bytes(challenge) = challenge else {
        return Err(TextError::Structure("the challenge is not a byte string"));
    };
    if challenge.len() > MAX_CHALLENGE {
        return Err(TextError::Structure(
            "the challenge is longer than 32 bytes",
        ));
    }
    let Value::Bytes(device_signature) = signature else {
        return Err(TextError::Structure(
            "the device signature is not a byte string",
        ));
    };
    if device_signature.len() != 64 {
        return Err(TextError::Structure("the device signature is not 64 bytes"));
    }
    Ok(Presentation {
        credential,
        generated_at,
        challenge,
        device_signature,
    })
}

/// The COSE_Sign1 reader before `Item`.
fn legacy_credential(bytes: &[u8]) -> Result<ParsedCredential, CredentialError> {
    let value = edl_cbor::decode(bytes, MAX_CREDENTIAL_BYTES)
        .map_err(|e| CredentialError::Cbor(e.to_string()))?;
    let Value::Array(parts) = value else {
        return Err(CredentialError::Structure("not an array"));
    };
    let [protected, unprotected, payload, signature]: [Value; 4] = parts
        .try_into()
        .map_err(|_| CredentialError::Structure("not an array of four"))?;
    if protected.as_bytes().map(Vec::as_slice) != Some(&PROTECTED[..]) {
        return Err(CredentialError::Structure(
            "the protected header is not exactly {1: -7} (ES256)",
        ));
    }
    let kid: [u8; KID_LEN] = match unprotected {
        Value::Map(entries) if entries.len() == 1 => match &entries[0] {
            (k, Value::Bytes(kid)) if k.as_integer() == Some(4.into()) => kid
                .as_slice()
                .try_into()
                .map_err(|_| CredentialError::Structure("the kid is not 8 bytes"))?,
            _ => {
                return Err(CredentialError::Structure(
                    "the unprotected header is not {4: kid}",
                ));
            }
        },
        _ => {
            return Err(CredentialError::Structure(
                "the unprotected header is not {4: kid}",
            ));
        }
    };
    let Value::Bytes(payload) = payload else {
        return Err(CredentialError::Structure(
            "the payload is not a byte string",
        ));
    };
    let Value::Bytes(signature) = signature else {
        return Err(CredentialError::Structure(
            "the signature is not a byte string",
        ));
    };
    if signature.len() != 64 {
        return Err(CredentialError::Structure("the signature is not 64 bytes"));
    }
    Ok(ParsedCredential {
        kid,
        payload,
        signature,
    })
}

fn claim_error(what: impl Into<String>) -> CredentialError {
    CredentialError::Claims(what.into())
}

fn legacy_time(value: &Value, what: &str) -> Result<OffsetDateTime, CredentialError> {
    value
        .as_integer()
        .and_then(|i| i64::try_from(i).ok())
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .ok_or_else(|| claim_error(format!("{what} is not a time in seconds")))
}

/// The claims reader before `Item`.
fn legacy_claims(bytes: &[u8]) -> Result<Claims, CredentialError> {
    let value =
        edl_cbor::decode(bytes, MAX_CREDENTIAL_BYTES).map_err(|e| claim_error(e.to_string()))?;
    let Value::Map(entries) = value else {
        return Err(claim_error("not a map"));
    };
    let mut purpose = None;
    let mut device_key = None;
    let mut valid_from = None;
    let mut valid_until = None;
    let mut status_index = None;
    let mut elements = None;
    for (k, v) in &entries {
        let k = k
            .as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| claim_error("a claim key is not an unsigned integer"))?;
        match k {
            1 => {
                let code = v.as_integer().and_then(|i| u64::try_from(i).ok());
                purpose = Some(
                    code.and_then(claims::purpose_of_code)
                        .ok_or_else(|| claim_error("unknown purpose"))?,
                );
            }
            2 => {
                let bytes: [u8; 33] = v
                    .as_bytes()
                    .and_then(|b| b.as_slice().try_into().ok())
                    .filter(|b: &[u8; 33]| matches!(b[0], 2 | 3))
                    .ok_or_else(|| claim_error("the device key is not a compressed P-256 point"))?;
                device_key = Some(bytes);
            }
            3 => valid_from = Some(legacy_time(v, "valid_from")?),
            4 => valid_until = Some(legacy_time(v, "valid_until")?),
            5 => {
                status_index = Some(
                    v.as_integer()
                        .and_then(|i| u64::try_from(i).ok())
                        .ok_or_else(|| {
                            claim_error("the status index is not an unsigned integer")
                        })?,
                );
            }
            6 => elements = Some(legacy_elements(v)?),
            other => return Err(claim_error(format!("unknown claim {other}"))),
        }
    }
    let purpose = purpose.ok_or_else(|| claim_error("no purpose"))?;
    let elements = elements.ok_or_else(|| claim_error("no elements"))?;
    for (field, _) in &elements {
        if !field.carried_for(purpose) {
            return Err(claim_error(format!(
                "element {} is not carried for the purpose {}",
                field.identifier,
                purpose.as_str()
            )));
        }
    }
    let claims = Claims {
        purpose,
        device_key: device_key.ok_or_else(|| claim_error("no device key"))?,
        valid_from: valid_from.ok_or_else(|| claim_error("no valid_from"))?,
        valid_until: valid_until.ok_or_else(|| claim_error("no valid_until"))?,
        status_index,
        elements,
    };
    if claims.valid_until < claims.valid_from {
        return Err(claim_error("valid_until is before valid_from"));
    }
    Ok(claims)
}

fn legacy_elements(
    value: &Value,
) -> Result<Vec<(&'static claims::Field, claims::FieldValue)>, CredentialError> {
    let Value::Map(entries) = value else {
        return Err(claim_error("the elements are not a map"));
    };
    entries
        .iter()
        .map(|(k, v)| {
            let key = k
                .as_integer()
                .and_then(|i| u64::try_from(i).ok())
                .ok_or_else(|| claim_error("an element key is not an unsigned integer"))?;
            let field =
                claims::by_key(key).ok_or_else(|| claim_error(format!("unknown element {key}")))?;
            let value = claims::FieldValue::read(field.kind, v).ok_or_else(|| {
                claim_error(format!(
                    "element {} has the wrong type or range",
                    field.identifier
                ))
            })?;
            Ok((field, value))
        })
        .collect()
}

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

const VECTORS: [&str; 7] = [
    include_str!("../vectors/car-rental-challenge.json"),
    include_str!("../vectors/other-device.json"),
    include_str!("../vectors/revoked-signer.json"),
    include_str!("../vectors/roadside-valid.json"),
    include_str!("../vectors/stale.json"),
    include_str!("../vectors/suspended-red.json"),
    include_str!("../vectors/unknown-signer.json"),
];

/// (payload, credential, claims) of every vector.
fn vectors() -> Vec<[Vec<u8>; 3]> {
    VECTORS
        .iter()
        .map(|v| {
            let v: serde_json::Value = serde_json::from_str(v).unwrap();
            ["payload_hex", "credential_hex", "claims_hex"].map(|k| unhex(v[k].as_str().unwrap()))
        })
        .collect()
}

/// Both readers of each layer on `bytes`; panics on any difference.
fn same_everywhere(bytes: &[u8]) {
    let new = read_payload(bytes).map(|p| Presentation {
        credential: p.credential.to_vec(),
        generated_at: p.generated_at,
        challenge: p.challenge.to_vec(),
        device_signature: p.device_signature.to_vec(),
    });
    assert_eq!(new, legacy_payload(bytes), "payload {bytes:02x?}");
    let new = CredentialRef::parse(bytes).map(|c| (c.kid, c.payload, c.signature));
    let old = legacy_credential(bytes);
    let old = old
        .as_ref()
        .map(|c| (c.kid, c.payload.as_slice(), c.signature.as_slice()));
    assert_eq!(new, old.map_err(Clone::clone), "credential {bytes:02x?}");
    assert_eq!(
        Claims::parse(bytes),
        legacy_claims(bytes),
        "claims {bytes:02x?}"
    );
}

/// Every input derived from `bytes` by replacing one byte with one of a few telling values, and
/// every truncation.
fn byte_mutations(bytes: &[u8]) -> Vec<Vec<u8>> {
    const TELLING: [u8; 14] = [
        0x00, 0x01, 0x18, 0x20, 0x38, 0x40, 0x58, 0x60, 0x80, 0xa0, 0xc2, 0xc3, 0xf5, 0xf6,
    ];
    let mut out = Vec::new();
    for i in 0..bytes.len() {
        for b in TELLING
            .into_iter()
            .chain([bytes[i].wrapping_add(1), bytes[i].wrapping_sub(1)])
        {
            let mut m = bytes.to_vec();
            m[i] = b;
            out.push(m);
        }
        out.push(bytes[..i].to_vec());
    }
    out
}

#[test]
fn the_vectors_read_the_same() {
    for [payload, credential, claims] in vectors() {
        assert!(read_payload(&payload).is_ok());
        assert!(Claims::parse(&claims).is_ok());
        for bytes in [payload, credential, claims] {
            same_everywhere(&bytes);
        }
    }
}

#[test]
fn every_one_byte_change_and_truncation_reads_the_same() {
    for parts in vectors() {
        for bytes in &parts {
            for m in &byte_mutations(bytes) {
                same_everywhere(m);
            }
        }
    }
}

/// Re-encodings the byte mutations rarely reach: integers as bignums (which ciborium reads as
/// integers), negative and oversized integers, other types in every place, extra and missing
/// parts, a claim key written twice in two forms.
#[test]
fn every_re_encoded_part_reads_the_same() {
    let bignum = |n: u64| {
        let bytes = n.to_be_bytes();
        let start = bytes.iter().position(|&b| b != 0).unwrap_or(8);
        Value::Tag(2, Box::new(Value::Bytes(bytes[start..].to_vec())))
    };
    let others = |v: &Value| -> Vec<Value> {
        let mut out = vec![
            Value::Null,
            Value::Bool(true),
            Value::from(-1),
            Value::from(u64::MAX),
            Value::Integer((-1 - i128::from(u64::MAX)).try_into().unwrap()),
            Value::Text("x".into()),
            Value::Bytes(vec![]),
            Value::Bytes(vec![0; 65]),
            Value::Array(vec![]),
            Value::Map(vec![]),
            Value::Float(1.0),
            Value::Tag(1, Box::new(v.clone())),
            Value::Tag(2, Box::new(Value::Bytes(vec![0xff; 9]))),
            Value::Tag(3, Box::new(Value::Bytes(vec![0x01]))),
            Value::Tag(2, Box::new(Value::Bytes(vec![0; 17]))),
        ];
        if let Some(n) = v.as_integer().and_then(|i| u64::try_from(i).ok()) {
            out.push(bignum(n));
            out.push(Value::Tag(
                2,
                Box::new(Value::Bytes([[0u8; 8], n.to_be_bytes()].concat())),
            ));
            out.push(Value::Tag(
                3,
                Box::new(Value::Bytes(n.to_be_bytes().to_vec())),
            ));
        }
        if let Value::Bytes(b) = v {
            out.push(Value::Text(String::from_utf8_lossy(b).into_owned()));
            out.push(Value::Bytes(b[..b.len().saturating_sub(1)].to_vec()));
        }
        out
    };
    // Every variant of a value tree with one node replaced by one of `others`.
    fn variants(v: &Value, others: &dyn Fn(&Value) -> Vec<Value>) -> Vec<Value> {
        let mut out = others(v);
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    for r in variants(item, others) {
                        let mut items = items.clone();
                        items[i] = r;
                        out.push(Value::Array(items));
                    }
                    let mut fewer = items.clone();
                    fewer.remove(i);
                    out.push(Value::Array(fewer));
                }
                let mut more = items.clone();
                more.push(Value::Null);
                out.push(Value::Array(more));
            }
            Value::Map(entries) => {
                for (i, (k, val)) in entries.iter().enumerate() {
                    for r in variants(val, others) {
                        let mut entries = entries.clone();
                        entries[i].1 = r;
                        out.push(Value::Map(entries));
                    }
                    for r in others(k) {
                        let mut entries = entries.clone();
                        entries[i].0 = r;
                        out.push(Value::Map(entries));
                    }
                    let mut fewer = entries.clone();
                    fewer.remove(i);
                    out.push(Value::Map(fewer));
                    // The same key again, as a bignum (distinct bytes, the same integer).
                    if let Some(n) = k.as_integer().and_then(|i| u64::try_from(i).ok()) {
                        let mut twice = entries.clone();
                        twice.push((
                            Value::Tag(
                                2,
                                Box::new(Value::Bytes(vec![u8::try_from(n).unwrap_or(0)])),
                            ),
                            val.clone(),
                        ));
                        out.push(Value::Map(twice));
                    }
                }
                let mut more = entries.clone();
                more.push((Value::from(99), Value::Null));
                out.push(Value::Map(more));
            }
            _ => {}
        }
        out
    }
    let mut checked = 0;
    for parts in vectors() {
        for bytes in &parts {
            let value = edl_cbor::decode(bytes, 4096).unwrap();
            for v in variants(&value, &others) {
                same_everywhere(&edl_cbor::encode(&v));
                checked += 1;
            }
        }
        // The credential inside a payload, and the claims inside a credential, varied in place.
        let [payload, credential, claims] = &parts;
        let Value::Array(mut outer) = edl_cbor::decode(payload, 4096).unwrap() else {
            panic!("a payload is an array")
        };
        let Value::Array(mut cose) = edl_cbor::decode(credential, 4096).unwrap() else {
            panic!("a credential is an array")
        };
        let claims = edl_cbor::decode(claims, 4096).unwrap();
        for v in variants(&claims, &others) {
            cose[2] = Value::Bytes(edl_cbor::encode(&v));
            outer[0] = Value::Bytes(edl_cbor::encode(&Value::Array(cose.clone())));
            let payload = edl_cbor::encode(&Value::Array(outer.clone()));
            same_everywhere(&payload);
            let new = read_payload(&payload).unwrap();
            let old = legacy_payload(&payload).unwrap();
            same_everywhere(new.credential);
            let (Ok(new), Ok(old)) = (
                CredentialRef::parse(new.credential),
                legacy_credential(&old.credential),
            ) else {
                panic!("the credential is untouched")
            };
            assert_eq!(Claims::parse(new.payload), legacy_claims(&old.payload));
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked} variants");
}

proptest! {
    #[test]
    fn random_changes_read_the_same(
        which in 0usize..21,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let parts = vectors();
        let mut bytes = parts[which / 3][which % 3].clone();
        for (at, b) in edits {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        if cut % 4 == 0 {
            bytes.truncate(cut % (bytes.len() + 1));
        }
        same_everywhere(&bytes);
    }
}
