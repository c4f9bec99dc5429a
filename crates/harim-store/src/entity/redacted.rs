//! Column values whose `Debug` never shows them. sea-orm derives `Debug` on every `ActiveModel`,
//! so a password hash or a wrapped key held in a plain `String`/`Vec<u8>` column would print in
//! any `{:?}` of it; these newtypes are stored exactly as before (same SQL types, no migration).

use sea_orm::DeriveValueType;

/// A secret text column (a password hash).
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct RedactedString(pub String);

/// A secret binary column (a wrapped key).
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct RedactedBytes(pub Vec<u8>);

impl std::fmt::Debug for RedactedString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::fmt::Debug for RedactedBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<redacted {} bytes>", self.0.len())
    }
}
