//! The merchant identity: every field of `PUT /v1/shops/{id}/identity`, validated together.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::Date;

use super::{
    Address, BirthDate, BirthDateInput, Country, Email, FullName, Iban, NationalId, Phone,
    PiiError, PostalCode, mask_tail,
};

/// The raw request body. Every field is optional here so that a missing field is reported with
/// the others; string values are held in `SecretString`s from the moment they are parsed.
/// Unknown fields are rejected (no mass assignment).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityInput {
    /// Full name.
    pub full_name: Option<SecretString>,
    /// National ID, validated by `country`.
    pub national_id: Option<SecretString>,
    /// IBAN / Sheba.
    pub iban: Option<SecretString>,
    /// `"YYYY-MM-DD"` or `{"calendar":"persian","date":"YYYY-MM-DD"}`.
    pub birth_date: Option<BirthDateInput>,
    /// E.164 or national format for `country`.
    pub phone: Option<SecretString>,
    /// E-mail address.
    pub email: Option<SecretString>,
    /// Postal address.
    pub address: Option<SecretString>,
    /// Postal code, validated by `country` (optional for AE).
    pub postal_code: Option<SecretString>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

/// One rejected field (`harim_violation::Violation`, the type every layer reports with):
/// `field` as in the request (`"national_id"`), a stable `code` (`"missing"`,
/// `"invalid_checksum"`, `"too_young"`, ...), and a `message` that never contains the value.
pub use harim_violation::Violation;

fn violation(field: &'static str, e: PiiError) -> Violation {
    Violation::new(field, e.code, e.message)
}

fn missing(field: &'static str) -> Violation {
    Violation::new(field, "missing", "this field is required")
}

/// A fully validated merchant identity. `Debug` is masked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantIdentity {
    /// Full name.
    pub full_name: FullName,
    /// National ID.
    pub national_id: NationalId,
    /// IBAN.
    pub iban: Iban,
    /// Birth date.
    pub birth_date: BirthDate,
    /// Phone, E.164.
    pub phone: Phone,
    /// E-mail.
    pub email: Email,
    /// Address.
    pub address: Address,
    /// Postal code (`None` only where the country has none, i.e. AE).
    pub postal_code: Option<PostalCode>,
    /// Country.
    pub country: Country,
}

/// What the API returns for an identity: every field masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaskedIdentity {
    /// e.g. `"A*** R***"`.
    pub full_name: String,
    /// e.g. `"******0899"`.
    pub national_id: String,
    /// e.g. `"IR********************0001"`.
    pub iban: String,
    /// e.g. `"1991-**-**"`.
    pub birth_date: String,
    /// e.g. `"+98******4567"`.
    pub phone: String,
    /// e.g. `"m***@example.com"`.
    pub email: String,
    /// `"********"`.
    pub address: String,
    /// e.g. `"******4567"`.
    pub postal_code: Option<String>,
    /// In full, e.g. `"IR"`.
    pub country: String,
}

/// The field names, in the order [`MerchantIdentity::fields`] yields them.
pub const IDENTITY_FIELDS: [&str; 9] = [
    "full_name",
    "national_id",
    "iban",
    "birth_date",
    "phone",
    "email",
    "address",
    "postal_code",
    "country",
];

fn required<'a>(
    errors: &mut Vec<Violation>,
    field: &'static str,
    v: &'a Option<SecretString>,
) -> Option<&'a str> {
    match v {
        Some(s) if !s.expose_secret().trim().is_empty() => Some(s.expose_secret()),
        _ => {
            errors.push(missing(field));
            None
        }
    }
}

fn check<T>(errors: &mut Vec<Violation>, field: &'static str, r: Result<T, PiiError>) -> Option<T> {
    r.map_err(|e| errors.push(violation(field, e))).ok()
}

impl MerchantIdentity {
    /// Validates every field; on failure returns one [`Violation`] per bad or missing field.
    /// `country` selects the national-ID, postal-code and national-phone rules; if it is itself
    /// invalid, the other fields are checked with the fallback rules (and international phone
    /// format) so that their own errors are still reported. `today` is the reference for the
    /// birth date (not in the future, at least 18 years).
    pub fn parse(input: IdentityInput, today: Date) -> Result<Self, Vec<Violation>> {
        let mut e = Vec::new();
        let country = match input.country.as_deref().map(str::trim) {
            Some(c) if !c.is_empty() => check(&mut e, "country", Country::parse(c)),
            _ => {
                e.push(missing("country"));
                None
            }
        };
        let full_name = required(&mut e, "full_name", &input.full_name)
            .and_then(|s| check(&mut e, "full_name", FullName::parse(s)));
        let national_id =
            required(&mut e, "national_id", &input.national_id).and_then(|s| match country {
                Some(c) => check(&mut e, "national_id", NationalId::parse(s, c)),
                None => {
                    // No valid country: report the ID's own problems under the generic rule.
                    check(&mut e, "national_id", super::national_id::check_generic(s));
                    None
                }
            });
        let iban = required(&mut e, "iban", &input.iban)
            .and_then(|s| check(&mut e, "iban", Iban::parse(s)));
        let birth_date = match &input.birth_date {
            Some(b) => check(&mut e, "birth_date", BirthDate::parse(b, today)),
            None => {
                e.push(missing("birth_date"));
                None
            }
        };
        let phone = required(&mut e, "phone", &input.phone)
            .and_then(|s| check(&mut e, "phone", Phone::parse(s, country)));
        let email = required(&mut e, "email", &input.email)
            .and_then(|s| check(&mut e, "email", Email::parse(s)));
        let address = required(&mut e, "address", &input.address)
            .and_then(|s| check(&mut e, "address", Address::parse(s)));
        let postal_code = match input.postal_code.as_ref().map(|s| s.expose_secret()) {
            Some(s) if !s.trim().is_empty() => {
                check(&mut e, "postal_code", PostalCode::parse(s, country)).map(Some)
            }
            _ if PostalCode::required_for(country) => {
                e.push(missing("postal_code"));
                None
            }
            _ => Some(None),
        };
        match (
            full_name,
            national_id,
            iban,
            birth_date,
            phone,
            email,
            address,
            postal_code,
            country,
        ) {
            (
                Some(full_name),
                Some(national_id),
                Some(iban),
                Some(birth_date),
                Some(phone),
                Some(email),
                Some(address),
                Some(postal_code),
                Some(country),
            ) if e.is_empty() => Ok(Self {
                full_name,
                national_id,
                iban,
                birth_date,
                phone,
                email,
                address,
                postal_code,
                country,
            }),
            _ => Err(e),
        }
    }

    /// `(field name, normalised plaintext)` for each present field, in [`IDENTITY_FIELDS`]
    /// order: what the API encrypts, one ciphertext per field. The bytes borrow from `self`
    /// (zeroized when it drops).
    pub fn fields(&self) -> impl Iterator<Item = (&'static str, &[u8])> {
        [
            ("full_name", Some(self.full_name.expose_secret().as_bytes())),
            (
                "national_id",
                Some(self.national_id.expose_secret().as_bytes()),
            ),
            ("iban", Some(self.iban.expose_secret().as_bytes())),
            (
                "birth_date",
                Some(self.birth_date.expose_secret().as_bytes()),
            ),
            ("phone", Some(self.phone.expose_secret().as_bytes())),
            ("email", Some(self.email.expose_secret().as_bytes())),
            ("address", Some(self.address.expose_secret().as_bytes())),
            (
                "postal_code",
                self.postal_code
                    .as_ref()
                    .map(|p| p.expose_secret().as_bytes()),
            ),
            ("country", Some(self.country.as_str().as_bytes())),
        ]
        .into_iter()
        .filter_map(|(name, v)| v.map(|v| (name, v)))
    }

    /// Every field masked, for API responses.
    pub fn masked(&self) -> MaskedIdentity {
        MaskedIdentity {
            full_name: self.full_name.mask(),
            national_id: self.national_id.mask(),
            iban: self.iban.mask(),
            birth_date: self.birth_date.mask(),
            phone: self.phone.mask(),
            email: self.email.mask(),
            address: self.address.mask(),
            postal_code: self.postal_code.as_ref().map(PostalCode::mask),
            country: self.country.to_string(),
        }
    }
}

/// Masks a stored (decrypted, already normalised) field value with the same rule as the typed
/// field, without re-validating it, so `GET identity` works even if validation rules changed
/// since the value was stored. Unknown field names are fully masked.
pub fn mask_stored_field(field: &str, value: &str) -> String {
    match field {
        "full_name" => super::text::mask_name(value),
        "national_id" | "postal_code" => mask_tail(value),
        "iban" => super::iban::mask_iban(value),
        "birth_date" => super::birth_date::mask_birth_date(value),
        "phone" => super::phone::mask_phone(value),
        "email" => super::text::mask_email(value),
        "country" => value.to_owned(),
        _ => "********".to_owned(),
    }
}
