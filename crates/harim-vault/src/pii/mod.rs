//! Validated personal data ("parse, don't validate").
//!
//! Every type here can only be built by its `parse` function, holds its normalised plaintext in
//! a zeroizing [`secrecy::SecretString`], and prints **masked** through `Debug`, `Display` and
//! `Serialize`. The plaintext is reached only through `expose_secret()`: the one place that needs
//! it is the encryption call in the API crate.
//!
//! Errors ([`PiiError`], [`Violation`]) carry a stable `code` and a static message; they never
//! echo the input.
//!
//! Input normalisation shared by the parsers:
//! - Persian (U+06F0..U+06F9) and Arabic-Indic (U+0660..U+0669) digits become ASCII digits;
//! - inputs longer than [`MAX_INPUT_CHARS`] characters are rejected before any other work.

mod birth_date;
mod country;
mod customer;
mod iban;
mod identity;
mod national_id;
mod phone;
mod text;

pub use birth_date::{BirthDate, BirthDateInput, persian_to_gregorian};
pub use country::Country;
pub use customer::{
    AddressInput, CUSTOMER_FIELDS, Customer, CustomerInput, LOCALES, MAX_ADDRESSES, MaskedAddress,
    PostalAddress, StoredAddress, email_index_input, mask_contact, parse_phone,
};
pub use iban::Iban;
pub use identity::{
    IDENTITY_FIELDS, IdentityInput, MaskedIdentity, MerchantIdentity, Violation, mask_stored_field,
};
pub use national_id::{NationalId, index_input as national_id_index_input};
pub use phone::Phone;
pub use text::{Address, Email, FullName, PostalCode};

use zeroize::Zeroizing;

/// Longest input any parser looks at (characters); longer input is rejected as `too_long`.
pub const MAX_INPUT_CHARS: usize = 1000;

/// Why a value was rejected. `code` is stable (for clients), `message` is a fixed English
/// sentence; neither contains the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PiiError {
    /// Stable machine code, e.g. `invalid_checksum`.
    pub code: &'static str,
    /// Human-readable reason; never contains the value.
    pub message: &'static str,
}

impl PiiError {
    pub(crate) const fn new(code: &'static str, message: &'static str) -> Self {
        Self { code, message }
    }
}

impl std::fmt::Display for PiiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for PiiError {}

pub(crate) const TOO_LONG: PiiError = PiiError::new("too_long", "the value is too long");
pub(crate) const EMPTY: PiiError = PiiError::new("empty", "the value is empty");
pub(crate) const FORBIDDEN_CHARACTERS: PiiError = PiiError::new(
    "invalid_characters",
    "the value contains control, bidi-override or invisible characters",
);

/// Replaces Persian and Arabic-Indic digits by ASCII digits; rejects over-long input.
pub(crate) fn normalize_digits(input: &str) -> Result<Zeroizing<String>, PiiError> {
    if input.len() > MAX_INPUT_CHARS * 4 || input.chars().count() > MAX_INPUT_CHARS {
        return Err(TOO_LONG);
    }
    // A NUL or a bidi override inside an identifier is refused, never silently dropped (the
    // product's one rule for text, `harim_text`).
    if !harim_text::is_clean(input) {
        return Err(FORBIDDEN_CHARACTERS);
    }
    let mut out = Zeroizing::new(String::with_capacity(input.len()));
    for c in input.chars() {
        let mapped = match c {
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            other => other,
        };
        out.push(mapped);
    }
    Ok(out)
}

/// [`normalize_digits`], then drops spaces (any Unicode whitespace) and, if `dashes`, `-`.
pub(crate) fn compact(input: &str, dashes: bool) -> Result<Zeroizing<String>, PiiError> {
    let norm = normalize_digits(input)?;
    let mut out = Zeroizing::new(String::with_capacity(norm.len()));
    for c in norm.chars() {
        if c.is_whitespace() || (dashes && c == '-') {
            continue;
        }
        out.push(c);
    }
    Ok(out)
}

/// `******` followed by the last `keep` characters, where `keep` is at most 4 and at most 40%
/// of the value (so short values such as a 4-digit postal code keep only one character).
/// The number of stars is fixed, so the mask does not reveal the length.
pub(crate) fn mask_tail(value: &str) -> String {
    let n = value.chars().count();
    let keep = (n * 2 / 5).min(4);
    let tail: String = value.chars().skip(n - keep).collect();
    format!("******{tail}")
}

/// Implements masked `Debug`, `Display` and `Serialize`, constant-time `PartialEq`, and
/// `expose_secret` for a type with a `value: SecretString` field and a `mask()` method.
macro_rules! masked_secret_type {
    ($name:ident) => {
        impl $name {
            /// The normalised plaintext. Call only where the plaintext is needed (encryption,
            /// an audited reveal); never log it.
            pub fn expose_secret(&self) -> &str {
                secrecy::ExposeSecret::expose_secret(&self.value)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.mask())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.mask())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.mask())
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                use subtle::ConstantTimeEq;
                self.expose_secret()
                    .as_bytes()
                    .ct_eq(other.expose_secret().as_bytes())
                    .into()
            }
        }

        impl Eq for $name {}
    };
}
pub(crate) use masked_secret_type;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn persian_and_arabic_digits_become_ascii() {
        assert_eq!(&*normalize_digits("۰۴۹۹٣٧0899").unwrap(), "0499370899");
    }

    #[test]
    fn mask_keeps_at_most_four_and_hides_length() {
        assert_eq!(mask_tail("0499370899"), "******0899");
        assert_eq!(mask_tail("1001"), "******1");
        assert_eq!(mask_tail("ab"), "******");
    }
}
