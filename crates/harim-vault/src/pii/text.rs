//! Free-text and simple-format PII: e-mail, full name, address, postal code.

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{Country, EMPTY, PiiError, TOO_LONG, compact, mask_tail, masked_secret_type};

/// The product's one rule for free text (`harim_text`): controls, bidi overrides and isolates,
/// invisible characters. ZWNJ/ZWJ (used in Persian and Arabic) are allowed.
fn forbidden_char(c: char) -> bool {
    harim_text::is_forbidden(c)
}

const CONTROL: PiiError = PiiError::new(
    "invalid_characters",
    "the value contains control characters",
);

fn clean_text(input: &str, max_chars: usize) -> Result<Zeroizing<String>, PiiError> {
    let t = input.trim();
    if t.is_empty() {
        return Err(EMPTY);
    }
    if t.len() > max_chars * 4 || t.chars().count() > max_chars {
        return Err(TOO_LONG);
    }
    if t.chars().any(forbidden_char) {
        return Err(CONTROL);
    }
    Ok(Zeroizing::new(t.to_owned()))
}

/// A person's full name: trimmed, 1 to 200 characters, no control or bidi-override characters.
#[derive(Clone)]
pub struct FullName {
    value: SecretString,
}
masked_secret_type!(FullName);

impl FullName {
    /// Parses a full name.
    pub fn parse(input: &str) -> Result<Self, PiiError> {
        let v = clean_text(input, 200)?;
        Ok(Self {
            value: SecretString::from(v.as_str()),
        })
    }

    /// The first character of each word followed by `***`: `"A*** B***"`.
    pub fn mask(&self) -> String {
        mask_name(self.expose_secret())
    }
}

/// A postal address: trimmed, 1 to 500 characters, no control characters (one line).
#[derive(Clone)]
pub struct Address {
    value: SecretString,
}
masked_secret_type!(Address);

impl Address {
    /// Parses an address.
    pub fn parse(input: &str) -> Result<Self, PiiError> {
        let v = clean_text(input, 500)?;
        Ok(Self {
            value: SecretString::from(v.as_str()),
        })
    }

    /// Fully hidden: an address has no short part that identifies it without revealing it.
    pub fn mask(&self) -> String {
        "********".to_owned()
    }
}

/// An e-mail address.
///
/// Rule (a strict subset of RFC 5321, what mail providers actually hand out): at most 254
/// characters, one `@`; local part 1–64 characters of `A-Z a-z 0-9 . ! # $ % & ' * + / = ? ^ _ `
/// `{ | } ~ -`, no leading, trailing or double dot; domain of at least two dot-separated labels
/// of 1–63 `a-z 0-9 -` characters (not starting or ending with `-`), the last one alphabetic
/// (or `xn--…`) and at least 2 long. The domain is lowercased, the local part kept as typed.
#[derive(Clone)]
pub struct Email {
    value: SecretString,
}
masked_secret_type!(Email);

const EMAIL: PiiError = PiiError::new("invalid_email", "the value is not a valid e-mail address");

impl Email {
    /// Parses an e-mail address.
    pub fn parse(input: &str) -> Result<Self, PiiError> {
        let t = input.trim();
        if t.is_empty() {
            return Err(EMPTY);
        }
        if t.len() > 254 {
            return Err(TOO_LONG);
        }
        let Some((local, domain)) = t.split_once('@') else {
            return Err(EMAIL);
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
        if !local_ok {
            return Err(EMAIL);
        }
        let domain = Zeroizing::new(domain.to_ascii_lowercase());
        let labels: Vec<&str> = domain.split('.').collect();
        let labels_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
        let tld_ok = labels.last().is_some_and(|tld| {
            tld.len() >= 2
                && (tld.bytes().all(|b| b.is_ascii_lowercase()) || tld.starts_with("xn--"))
        });
        if !labels_ok || !tld_ok {
            return Err(EMAIL);
        }
        Ok(Self {
            value: SecretString::from(format!("{local}@{}", domain.as_str())),
        })
    }

    /// First character of the local part, `***@`, and the domain: `m***@example.com`.
    pub fn mask(&self) -> String {
        mask_email(self.expose_secret())
    }
}

/// A postal code, validated by country.
///
/// | country | rule |
/// |---|---|
/// | IR | 10 digits; the first five contain no `0` and no `2` (Iran Post leaves those digits out of the area part); not all one digit. |
/// | AL | 4 digits. |
/// | SA | 5 digits. |
/// | AE | the UAE has no postal codes: the field is optional ([`PostalCode::required_for`]); if given, the fallback rule applies. |
/// | other | 3 to 10 ASCII letters or digits after removing spaces and dashes; stored uppercase. |
///
/// Persian/Arabic-Indic digits, spaces and dashes are accepted on input for every country.
#[derive(Clone)]
pub struct PostalCode {
    value: SecretString,
}
masked_secret_type!(PostalCode);

const POSTAL_IR: PiiError = PiiError::new(
    "invalid_format",
    "an Iranian postal code has 10 digits, with no 0 or 2 in the first five",
);
const POSTAL_AL: PiiError = PiiError::new("invalid_format", "an Albanian postal code has 4 digits");
const POSTAL_SA: PiiError = PiiError::new("invalid_format", "a Saudi postal code has 5 digits");
const POSTAL_OTHER: PiiError = PiiError::new(
    "invalid_format",
    "a postal code has 3 to 10 letters or digits",
);

impl PostalCode {
    /// Whether a postal code must be given for `country` (false only for AE).
    pub fn required_for(country: Option<Country>) -> bool {
        country != Some(Country::AE)
    }

    /// Parses a postal code under the rule of `country` (fallback rule when `None`).
    pub fn parse(input: &str, country: Option<Country>) -> Result<Self, PiiError> {
        let v = compact(input, true)?;
        if v.is_empty() {
            return Err(EMPTY);
        }
        let digits = |n: usize| v.len() == n && v.bytes().all(|b| b.is_ascii_digit());
        let value = match country {
            Some(Country::IR) => {
                let b = v.as_bytes();
                if !digits(10)
                    || b[..5].iter().any(|&c| c == b'0' || c == b'2')
                    || b.iter().all(|&c| c == b[0])
                {
                    return Err(POSTAL_IR);
                }
                v
            }
            Some(Country::AL) if !digits(4) => return Err(POSTAL_AL),
            Some(Country::SA) if !digits(5) => return Err(POSTAL_SA),
            Some(Country::AL | Country::SA) => v,
            _ => {
                let up = Zeroizing::new(v.to_ascii_uppercase());
                if !(3..=10).contains(&up.len()) || !up.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(POSTAL_OTHER);
                }
                up
            }
        };
        Ok(Self {
            value: SecretString::from(value.as_str()),
        })
    }

    /// `******` and at most the last 40% of the code (at most four characters).
    pub fn mask(&self) -> String {
        mask_tail(self.expose_secret())
    }
}

/// First character of each word followed by `***`.
pub(crate) fn mask_name(s: &str) -> String {
    s.split_whitespace()
        .filter_map(|w| w.chars().next())
        .map(|c| format!("{c}***"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// First character of the local part, `***@`, the domain.
pub(crate) fn mask_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "********".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_domains_lowercased() {
        assert_eq!(
            Email::parse(" Ali.Rezaei@Example.COM ")
                .unwrap()
                .expose_secret(),
            "Ali.Rezaei@example.com"
        );
        for bad in [
            "a@b",
            "@example.com",
            "a@@example.com",
            "a..b@example.com",
            "a@-x.com",
            "a b@x.com",
            "a@x.c0m",
            "a@x.c",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse("mina@example.com").unwrap().mask(),
            "m***@example.com"
        );
    }

    #[test]
    fn names_and_addresses_reject_control_characters() {
        assert_eq!(
            FullName::parse("  علی رضایی ").unwrap().expose_secret(),
            "علی رضایی"
        );
        assert!(FullName::parse("a\u{0007}b").is_err());
        assert!(FullName::parse("a\u{202E}b").is_err());
        assert!(FullName::parse("   ").is_err());
        assert!(FullName::parse(&"x".repeat(201)).is_err());
        assert!(FullName::parse(&"x".repeat(200)).is_ok());
        assert!(Address::parse("Tehran, Azadi St.\nNo 5").is_err());
        assert!(Address::parse(&"x".repeat(501)).is_err());
        assert_eq!(FullName::parse("Ali Rezaei").unwrap().mask(), "A*** R***");
    }

    #[test]
    fn iranian_postal_codes_follow_the_iran_post_rule() {
        assert_eq!(
            PostalCode::parse("13185-34567", Some(Country::IR))
                .unwrap()
                .expose_secret(),
            "1318534567"
        );
        assert!(PostalCode::parse("1318534567", Some(Country::IR)).is_ok());
        assert!(PostalCode::parse("1028534567", Some(Country::IR)).is_err());
        assert!(PostalCode::parse("131853456", Some(Country::IR)).is_err());
        assert!(PostalCode::parse("1111111111", Some(Country::IR)).is_err());
    }

    #[test]
    fn other_postal_codes() {
        assert!(PostalCode::parse("1001", Some(Country::AL)).is_ok());
        assert!(PostalCode::parse("10011", Some(Country::AL)).is_err());
        assert!(PostalCode::parse("12345", Some(Country::SA)).is_ok());
        assert!(PostalCode::parse("1234", Some(Country::SA)).is_err());
        assert!(!PostalCode::required_for(Some(Country::AE)));
        assert_eq!(
            PostalCode::parse("sw1a 1aa", None).unwrap().expose_secret(),
            "SW1A1AA"
        );
        assert_eq!(
            PostalCode::parse("1001", Some(Country::AL)).unwrap().mask(),
            "******1"
        );
    }
}
