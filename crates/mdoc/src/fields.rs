//! The map of a closed ISO 18013-5 structure, read once into its known fields (the structures
//! define all their fields; one that is not defined is refused by name).

use edl_cbor::Item;

/// The most fields a structure here defines.
const MAX_FIELDS: usize = 8;

/// Why a map is not the structure's.
#[derive(Debug)]
pub(crate) enum FieldsError {
    /// Not a map at all.
    NotMap,
    /// A field the structure does not define: its name, shortened to 40 characters.
    Unknown(String),
}

/// The fields of one map, by their place in the structure's list of known fields.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownFields<'a> {
    known: &'static [&'static str],
    values: [Option<Item<'a>>; MAX_FIELDS],
}

impl<'a> KnownFields<'a> {
    /// `item` as a map whose keys are all in `known` (the first other key, in the order
    /// received, is the error). Keys are distinct: the check refused duplicates.
    pub(crate) fn open(
        item: Item<'a>,
        known: &'static [&'static str],
    ) -> Result<KnownFields<'a>, FieldsError> {
        let entries = item.as_map().ok_or(FieldsError::NotMap)?;
        let mut values = [None; MAX_FIELDS];
        for (key, value) in entries {
            match known.iter().position(|field| key.is_text(field)) {
                Some(i) if i < MAX_FIELDS => values[i] = Some(value),
                _ => return Err(FieldsError::Unknown(unknown_name(key))),
            }
        }
        Ok(KnownFields { known, values })
    }

    /// The value of `field` (one of the known fields), if present.
    pub(crate) fn get(&self, field: &str) -> Option<Item<'a>> {
        let i = self.known.iter().position(|f| *f == field)?;
        self.values.get(i).copied().flatten()
    }
}

/// How an unknown key is named in an error: its text shortened to 40 characters.
pub(crate) fn unknown_name(key: Item<'_>) -> String {
    match key.as_text() {
        Some(t) => t.chars().take(40).collect(),
        None => "(a key that is not text)".to_owned(),
    }
}
