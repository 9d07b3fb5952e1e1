//! The holder's device key as a COSE_Key (RFC 9053 EC2), the form the MSO binds.

use ciborium::Value;
use edl_cbor::Item;
use edl_pki::{Curve, PublicKey};

/// Why a COSE_Key is not a device key this platform accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DeviceKeyError {
    /// Not a map, or a required parameter is missing or of the wrong type.
    #[error("the COSE_Key is malformed: {what}")]
    Malformed {
        /// What was wrong.
        what: &'static str,
    },
    /// Not an EC2 key (kty 2).
    #[error("key type {kty} is not EC2")]
    WrongKeyType {
        /// The key type found.
        kty: i64,
    },
    /// A curve other than P-256, P-384 or P-521.
    #[error("curve {crv} is not supported")]
    UnsupportedCurve {
        /// The COSE curve identifier found.
        crv: i64,
    },
    /// The coordinates are not a point on the curve.
    #[error("the coordinates are not a point on the curve")]
    NotOnCurve,
}

/// COSE curve identifiers.
const CRV_P256: i64 = 1;
const CRV_P384: i64 = 2;
const CRV_P521: i64 = 3;

/// The COSE_Key of an EC2 public key: `{1: 2, -1: crv, -2: x, -3: y}`.
pub fn to_cose_key(key: &PublicKey) -> Value {
    let crv = match key.curve() {
        Curve::P256 => CRV_P256,
        Curve::P384 => CRV_P384,
        Curve::P521 => CRV_P521,
    };
    Value::Map(vec![
        (Value::from(1), Value::from(2)),
        (Value::from(-1), Value::from(crv)),
        (Value::from(-2), Value::Bytes(key.x().to_vec())),
        (Value::from(-3), Value::Bytes(key.y().to_vec())),
    ])
}

/// Reads an EC2 COSE_Key (uncompressed coordinates) into a checked public key.
pub fn from_cose_key(value: &Value) -> Result<PublicKey, DeviceKeyError> {
    let Value::Map(entries) = value else {
        return Err(DeviceKeyError::Malformed { what: "not a map" });
    };
    let get = |label: i64| {
        entries
            .iter()
            .find(|(k, _)| k.as_integer().and_then(|i| i64::try_from(i).ok()) == Some(label))
            .map(|(_, v)| v)
    };
    let int = |label: i64, what: &'static str| {
        get(label)
            .and_then(Value::as_integer)
            .and_then(|i| i64::try_from(i).ok())
            .ok_or(DeviceKeyError::Malformed { what })
    };
    let kty = int(1, "kty missing")?;
    if kty != 2 {
        return Err(DeviceKeyError::WrongKeyType { kty });
    }
    let crv = int(-1, "crv missing")?;
    let curve = curve(crv)?;
    let x = get(-2)
        .and_then(Value::as_bytes)
        .ok_or(DeviceKeyError::Malformed { what: "x missing" })?;
    let y = get(-3)
        .and_then(Value::as_bytes)
        .ok_or(DeviceKeyError::Malformed {
            what: "y missing or compressed",
        })?;
    point(curve, x, y)
}

/// The curve of a COSE curve identifier.
fn curve(crv: i64) -> Result<Curve, DeviceKeyError> {
    match crv {
        CRV_P256 => Ok(Curve::P256),
        CRV_P384 => Ok(Curve::P384),
        CRV_P521 => Ok(Curve::P521),
        other => Err(DeviceKeyError::UnsupportedCurve { crv: other }),
    }
}

/// The public key at uncompressed coordinates `x`, `y`.
fn point(curve: Curve, x: &[u8], y: &[u8]) -> Result<PublicKey, DeviceKeyError> {
    let half = (curve.point_len() - 1) / 2;
    if x.len() != half || y.len() != half {
        return Err(DeviceKeyError::NotOnCurve);
    }
    let mut point = Vec::with_capacity(curve.point_len());
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    PublicKey::from_sec1(curve, &point).map_err(|_| DeviceKeyError::NotOnCurve)
}

/// Reads an EC2 COSE_Key in place, as [`from_cose_key`] reads its value.
pub(crate) fn from_cose_key_item(item: Item<'_>) -> Result<PublicKey, DeviceKeyError> {
    let Some(entries) = item.as_map() else {
        return Err(DeviceKeyError::Malformed { what: "not a map" });
    };
    let get = |label: i64| {
        entries
            .clone()
            .find(|(k, _)| k.as_i64() == Some(label))
            .map(|(_, v)| v)
    };
    let int = |label: i64, what: &'static str| {
        get(label)
            .and_then(|v| v.as_i64())
            .ok_or(DeviceKeyError::Malformed { what })
    };
    let kty = int(1, "kty missing")?;
    if kty != 2 {
        return Err(DeviceKeyError::WrongKeyType { kty });
    }
    let crv = int(-1, "crv missing")?;
    let curve = curve(crv)?;
    let x = get(-2)
        .and_then(|v| v.as_bytes())
        .ok_or(DeviceKeyError::Malformed { what: "x missing" })?;
    let y = get(-3)
        .and_then(|v| v.as_bytes())
        .ok_or(DeviceKeyError::Malformed {
            what: "y missing or compressed",
        })?;
    point(curve, x, y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use edl_pki::{InMemorySigner, Signer};

    #[test]
    fn a_key_survives_the_cose_form() {
        let key = InMemorySigner::generate().unwrap().public_key();
        assert_eq!(from_cose_key(&to_cose_key(&key)).unwrap(), key);
    }

    #[test]
    fn keys_read_in_place_read_as_values_do() {
        let key = InMemorySigner::generate().unwrap().public_key();
        let Value::Map(entries) = to_cose_key(&key) else {
            unreachable!()
        };
        let mut variants = vec![Value::Map(entries.clone()), Value::from(3)];
        for i in 0..entries.len() {
            for replacement in [Value::from(8), Value::from(-1), Value::Bytes(vec![4; 32])] {
                let mut e = entries.clone();
                e[i].1 = replacement;
                variants.push(Value::Map(e.clone()));
            }
            let mut e = entries.clone();
            e.remove(i);
            variants.push(Value::Map(e));
        }
        for value in variants {
            let bytes = edl_cbor::encode(&value);
            let item = Item::decode(&bytes, 1024).unwrap();
            assert_eq!(from_cose_key_item(item), from_cose_key(&value), "{value:?}");
        }
    }

    #[test]
    fn wrong_keys_are_named() {
        let key = InMemorySigner::generate().unwrap().public_key();
        let Value::Map(mut entries) = to_cose_key(&key) else {
            unreachable!()
        };
        entries[1].1 = Value::from(8);
        assert_eq!(
            from_cose_key(&Value::Map(entries.clone())),
            Err(DeviceKeyError::UnsupportedCurve { crv: 8 })
        );
        entries[1].1 = Value::from(1);
        entries[0].1 = Value::from(1);
        assert_eq!(
            from_cose_key(&Value::Map(entries.clone())),
            Err(DeviceKeyError::WrongKeyType { kty: 1 })
        );
        entries[0].1 = Value::from(2);
        let Value::Bytes(x) = &mut entries[2].1 else {
            unreachable!()
        };
        x[5] ^= 1;
        assert_eq!(
            from_cose_key(&Value::Map(entries)),
            Err(DeviceKeyError::NotOnCurve)
        );
    }
}
