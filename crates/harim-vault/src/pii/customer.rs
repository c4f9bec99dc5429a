//! A shop's customer, as the commerce core sends it: validated together, every bad field named
//! (`addresses[1].postal_code`), nothing echoed.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{
    Address, Country, Email, FullName, Phone, PiiError, PostalCode, Violation,
    phone::mask_phone,
    text::{mask_email, mask_name},
};

/// Most addresses one customer keeps.
pub const MAX_ADDRESSES: usize = 10;
/// Locales a customer may prefer: the languages harim's policies are written in.
pub const LOCALES: [&str; 4] = ["fa", "ar", "sq", "en"];

/// The raw body of `POST` and `PUT .../customers`. Unknown fields are refused.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub name: Option<SecretString>,
    pub email: Option<SecretString>,
    /// E.164 (`+98...`), or national format for the first address's country.
    pub phone: Option<SecretString>,
    pub addresses: Option<Vec<AddressInput>>,
    pub locale: Option<String>,
    /// The commerce core's own id of the customer (opaque to harim).
    pub external_ref: Option<String>,
}

/// One postal address as sent.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    pub line: Option<SecretString>,
    pub city: Option<SecretString>,
    /// Validated by `country` (optional for AE).
    pub postal_code: Option<SecretString>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

/// A validated postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalAddress {
    pub line: Address,
    pub city: Address,
    pub postal_code: Option<PostalCode>,
    pub country: Country,
}

/// A validated customer. `Debug` is masked field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub name: FullName,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub addresses: Vec<PostalAddress>,
    pub locale: Option<String>,
    pub external_ref: Option<String>,
}

/// The sealed-field names of a customer, as `reveal` accepts them.
pub const CUSTOMER_FIELDS: [&str; 4] = ["name", "email", "phone", "addresses"];

fn violation(field: impl Into<String>, e: PiiError) -> Violation {
    Violation::new(field, e.code, e.message)
}

fn missing(field: impl Into<String>) -> Violation {
    Violation::new(field, "missing", "this field is required")
}

fn present(v: &Option<SecretString>) -> Option<&str> {
    v.as_ref()
        .map(|s| s.expose_secret())
        .filter(|s| !s.trim().is_empty())
}

/// A phone as a customer gives it: international form for any country, national form read in
/// `country` (a customer may live in one country and keep another's number, unlike a merchant,
/// whose phone must be of the identity's country).
pub fn parse_phone(input: &str, country: Option<Country>) -> Result<Phone, PiiError> {
    let t = input.trim_start();
    if t.starts_with('+') || t.starts_with("00") || t.starts_with("۰۰") {
        Phone::parse(input, None)
    } else {
        Phone::parse(input, country)
    }
}

fn parse_address(e: &mut Vec<Violation>, i: usize, a: &AddressInput) -> Option<PostalAddress> {
    let at = |f: &str| format!("addresses[{i}].{f}");
    let country = match a.country.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() => Country::parse(c)
            .map_err(|err| e.push(violation(at("country"), err)))
            .ok(),
        _ => {
            e.push(missing(at("country")));
            None
        }
    };
    let mut text = |f: &str, v: &Option<SecretString>| match present(v) {
        Some(s) => Address::parse(s)
            .map_err(|err| e.push(violation(at(f), err)))
            .ok(),
        None => {
            e.push(missing(at(f)));
            None
        }
    };
    let line = text("line", &a.line);
    let city = text("city", &a.city);
    let postal_code = match present(&a.postal_code) {
        Some(s) => match PostalCode::parse(s, country) {
            Ok(p) => Some(Some(p)),
            Err(err) => {
                e.push(violation(at("postal_code"), err));
                None
            }
        },
        None if PostalCode::required_for(country) => {
            e.push(missing(at("postal_code")));
            None
        }
        None => Some(None),
    };
    Some(PostalAddress {
        line: line?,
        city: city?,
        postal_code: postal_code?,
        country: country?,
    })
}

/// `1..=128` characters of letters, digits and `_ . : -`: an id, never free text.
fn parse_external_ref(s: &str) -> Result<String, PiiError> {
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
    if ok {
        Ok(s.to_string())
    } else {
        Err(PiiError::new(
            "invalid_format",
            "an external reference has 1 to 128 letters, digits, '_', '.', ':' or '-'",
        ))
    }
}

impl Customer {
    /// Validates every field; on failure one [`Violation`] per bad or missing field.
    pub fn parse(input: &CustomerInput) -> Result<Self, Vec<Violation>> {
        let mut e = Vec::new();
        let name = match present(&input.name) {
            Some(s) => FullName::parse(s)
                .map_err(|err| e.push(violation("name", err)))
                .ok(),
            None => {
                e.push(missing("name"));
                None
            }
        };
        let email = present(&input.email).and_then(|s| {
            Email::parse(s)
                .map_err(|err| e.push(violation("email", err)))
                .ok()
        });
        let raw_addresses = input.addresses.as_deref().unwrap_or_default();
        if raw_addresses.len() > MAX_ADDRESSES {
            e.push(Violation::new(
                "addresses",
                "too_many",
                "a customer keeps at most 10 addresses",
            ));
        }
        let addresses: Vec<Option<PostalAddress>> = raw_addresses
            .iter()
            .take(MAX_ADDRESSES)
            .enumerate()
            .map(|(i, a)| parse_address(&mut e, i, a))
            .collect();
        let home = addresses
            .first()
            .and_then(|a| a.as_ref())
            .map(|a| a.country);
        let phone = present(&input.phone).and_then(|s| {
            parse_phone(s, home)
                .map_err(|err| e.push(violation("phone", err)))
                .ok()
        });
        let locale = match input.locale.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(l) if LOCALES.contains(&l) => Some(l.to_string()),
            Some(_) => {
                e.push(Violation::new(
                    "locale",
                    "unsupported",
                    "the locale must be one of fa, ar, sq, en",
                ));
                None
            }
        };
        let external_ref = match input.external_ref.as_deref() {
            None | Some("") => None,
            Some(r) => parse_external_ref(r)
                .map_err(|err| e.push(violation("external_ref", err)))
                .ok(),
        };
        match name {
            Some(name) if e.is_empty() => Ok(Self {
                name,
                email,
                phone,
                addresses: addresses.into_iter().flatten().collect(),
                locale,
                external_ref,
            }),
            _ => Err(e),
        }
    }

    /// The addresses as the one JSON document sealed for them (`None` when there are none).
    pub fn addresses_json(&self) -> Option<Zeroizing<String>> {
        if self.addresses.is_empty() {
            return None;
        }
        let list: Vec<StoredAddress> = self
            .addresses
            .iter()
            .map(|a| StoredAddress {
                line: a.line.expose_secret().to_string(),
                city: a.city.expose_secret().to_string(),
                postal_code: a
                    .postal_code
                    .as_ref()
                    .map(|p| p.expose_secret().to_string()),
                country: a.country.to_string(),
            })
            .collect();
        serde_json::to_string(&list).ok().map(Zeroizing::new)
    }
}

/// An address as sealed (and revealed): normalised plaintext. Wiped when dropped.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredAddress {
    pub line: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub country: String,
}

impl Drop for StoredAddress {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.line.zeroize();
        self.city.zeroize();
        if let Some(p) = self.postal_code.as_mut() {
            p.zeroize();
        }
    }
}

impl std::fmt::Debug for StoredAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAddress")
            .field("country", &self.country)
            .finish_non_exhaustive()
    }
}

impl StoredAddress {
    /// Masked: line and postal code hidden, city initial, country in full.
    pub fn masked(&self) -> MaskedAddress {
        MaskedAddress {
            line: "********".into(),
            city: mask_name(&self.city),
            postal_code: self.postal_code.as_deref().map(super::mask_tail),
            country: self.country.clone(),
        }
    }
}

/// An address as every read shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaskedAddress {
    pub line: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub country: String,
}

/// A stored (decrypted, normalised) e-mail or phone masked by the rule of its field.
pub fn mask_contact(field: &str, value: &str) -> String {
    match field {
        "email" => mask_email(value),
        "phone" => mask_phone(value),
        "name" => mask_name(value),
        _ => "********".into(),
    }
}

/// What the blind index of a customer's e-mail is computed over: the parsed address,
/// lower-cased whole (the parser lower-cases only the domain; lookups should not depend on how
/// a person typed their local part).
pub fn email_index_input(e: &Email) -> Zeroizing<String> {
    Zeroizing::new(e.expose_secret().to_lowercase())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(v: serde_json::Value) -> CustomerInput {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_customer_parses_and_every_bad_field_is_named() {
        let c = Customer::parse(&input(serde_json::json!({
            "name": "Maryam Rezaei", "email": "Maryam@Example.IR", "phone": "09121234567",
            "addresses": [{"line": "No. 4, Golestan St.", "city": "Tehran",
                           "postal_code": "1417614418", "country": "IR"}],
            "locale": "fa", "external_ref": "cust-88"})))
        .unwrap();
        assert_eq!(c.phone.as_ref().unwrap().expose_secret(), "+989121234567");
        assert_eq!(
            &*email_index_input(c.email.as_ref().unwrap()),
            "maryam@example.ir"
        );
        assert!(!format!("{c:?}").contains("Maryam"));

        let errs = Customer::parse(&input(serde_json::json!({
            "email": "nope", "phone": "12",
            "addresses": [{"line": "x", "city": "Tirana", "postal_code": "12", "country": "AL"}],
            "locale": "de", "external_ref": "has space"})))
        .unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "email",
                "addresses[0].postal_code",
                "phone",
                "locale",
                "external_ref"
            ]
        );
        assert!(errs.iter().all(|v| !v.message.contains("nope")));
    }

    #[test]
    fn a_foreign_phone_in_international_form_is_kept() {
        let c = Customer::parse(&input(serde_json::json!({
            "name": "Arben Hoxha", "phone": "+355 69 123 4567",
            "addresses": [{"line": "Rruga 1", "city": "Dubai", "country": "AE"}]})))
        .unwrap();
        assert_eq!(c.phone.unwrap().expose_secret(), "+355691234567");
    }
}
