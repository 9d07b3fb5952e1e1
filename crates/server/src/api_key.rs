//! API keys of verifier organisations: `edl_` followed by 32 random bytes in base64url (43
//! characters), shown once when made; the platform stores only the key's SHA-256, and a short
//! prefix that tells keys apart in the console.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// What every key starts with.
pub const PREFIX: &str = "edl_";
/// A key's length: the prefix and 43 base64url characters.
pub const LENGTH: usize = 4 + 43;
/// How many characters of a key the console shows.
pub const SHOWN_PREFIX: usize = 12;

/// A key just made: the key itself (show it once), its hash (store it) and its prefix.
pub struct NewKey {
    /// The key, `edl_…`: give it to the organisation and forget it.
    pub key: String,
    /// Its SHA-256: what the store keeps.
    pub hash: [u8; 32],
    /// Its first characters, not a secret.
    pub prefix: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Makes a key from 32 random bytes of the operating system.
pub fn generate() -> NewKey {
    let key = format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(crate::auth::random_token())
    );
    NewKey {
        hash: hash(&key),
        prefix: key[..SHOWN_PREFIX].to_owned(),
        key,
    }
}

/// Whether `text` has the form of a key (checked before any lookup).
pub fn is_well_formed(text: &str) -> bool {
    text.len() == LENGTH
        && text.starts_with(PREFIX)
        && URL_SAFE_NO_PAD
            .decode(&text[PREFIX.len()..])
            .is_ok_and(|b| b.len() == 32)
}

/// The SHA-256 of the key's text: what the store keeps and looks keys up by.
pub fn hash(key: &str) -> [u8; 32] {
    crate::auth::token_hash(key.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_their_form_and_differ() {
        let a = generate();
        let b = generate();
        assert!(is_well_formed(&a.key), "{}", a.key);
        assert_ne!(a.key, b.key);
        assert_eq!(hash(&a.key), a.hash);
        assert!(a.key.starts_with(&a.prefix));
        assert!(!format!("{a:?}").contains(&a.key));
        assert!(!is_well_formed("edl_short"));
        assert!(!is_well_formed(&a.key.replacen("edl_", "xyz_", 1)));
        assert!(!is_well_formed(&format!("{}=", &a.key[..LENGTH - 1])));
    }
}
