//! GUIDs (Entra object ids, SKU ids, service plan ids): read in either case from
//! the inputs, kept as 16 bytes, written in lowercase as Microsoft Graph writes
//! them.

use serde::{Serialize, Serializer};

/// A GUID, as its 128 bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(u128);

/// Where the dashes of `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` stand.
const DASHES: [usize; 4] = [8, 13, 18, 23];
/// The length of a GUID's text.
pub const LEN: usize = 36;

impl Guid {
    /// The nil GUID (all zeros): never the id of anything in Entra.
    pub const NIL: Guid = Guid(0);

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hexadecimal digits of either
    /// case, as Microsoft's exports and Graph write GUIDs; `None` for anything
    /// else (braces included: no Microsoft 365 export writes them).
    pub fn parse(text: &str) -> Option<Guid> {
        let bytes = text.as_bytes();
        if bytes.len() != LEN {
            return None;
        }
        let mut value = 0u128;
        for (i, &b) in bytes.iter().enumerate() {
            if DASHES.contains(&i) {
                if b != b'-' {
                    return None;
                }
                continue;
            }
            let digit = char::from(b).to_digit(16)?;
            value = value << 4 | u128::from(digit);
        }
        Some(Guid(value))
    }

    pub fn is_nil(self) -> bool {
        self == Guid::NIL
    }

    /// The text, lowercase.
    pub fn text(self) -> [u8; LEN] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'-'; LEN];
        let mut shift = 128;
        for (i, slot) in out.iter_mut().enumerate() {
            if DASHES.contains(&i) {
                continue;
            }
            shift -= 4;
            *slot = HEX[(self.0 >> shift) as usize & 0xf];
        }
        out
    }
}

impl std::fmt::Display for Guid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.text();
        // Only ASCII hex digits and dashes were written.
        f.write_str(std::str::from_utf8(&text).map_err(|_| std::fmt::Error)?)
    }
}

impl std::fmt::Debug for Guid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl Serialize for Guid {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.text();
        let text = std::str::from_utf8(&text).map_err(serde::ser::Error::custom)?;
        s.serialize_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_either_case_and_writes_lowercase() {
        let upper = Guid::parse("CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46").unwrap();
        let lower = Guid::parse("cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46").unwrap();
        assert_eq!(upper, lower);
        assert_eq!(upper.to_string(), "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46");
        assert_eq!(
            serde_json::to_string(&upper).unwrap(),
            "\"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46\""
        );
        let max = Guid::parse("ffffffff-ffff-ffff-ffff-ffffffffffff").unwrap();
        assert_eq!(max.to_string(), "ffffffff-ffff-ffff-ffff-ffffffffffff");
        assert!(
            Guid::parse("00000000-0000-0000-0000-000000000000")
                .unwrap()
                .is_nil()
        );
    }

    #[test]
    fn anything_but_the_canonical_form_is_refused() {
        for bad in [
            "",
            "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d4",
            "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d467",
            "{cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46}",
            "cbdc14abd96c4c30b9f46ada7cdc1d46",
            "cbdc14ab-d96c-4c30-b9f4_6ada7cdc1d46",
            "gbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
            "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d4é",
            "+bdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
            "adele@contoso.com",
        ] {
            assert_eq!(Guid::parse(bad), None, "{bad}");
        }
    }
}
