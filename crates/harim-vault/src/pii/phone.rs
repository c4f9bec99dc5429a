//! Phone numbers, via the `phonenumber` crate (libphonenumber metadata), stored in E.164.
//!
//! Rule: international input (`+98 912 123 4567`, `0098…`) is accepted for any country;
//! national input (`09121234567`) needs the country (`IR` → `+989121234567`). The number must be
//! *valid* for its region per libphonenumber, not merely plausible. Persian digits accepted.

use phonenumber::Mode;
use secrecy::SecretString;

use super::{Country, EMPTY, PiiError, masked_secret_type, normalize_digits};

/// A valid phone number in E.164 form (`+989121234567`).
#[derive(Clone)]
pub struct Phone {
    value: SecretString,
}

masked_secret_type!(Phone);

const INVALID: PiiError = PiiError::new("invalid_phone", "the value is not a valid phone number");
const WRONG_COUNTRY: PiiError = PiiError::new(
    "wrong_country",
    "the phone number belongs to another country than the identity",
);

impl Phone {
    /// Parses `input`; `country` is the region used for national-format input.
    pub fn parse(input: &str, country: Option<Country>) -> Result<Self, PiiError> {
        let norm = normalize_digits(input)?;
        let trimmed = norm.trim();
        if trimmed.is_empty() {
            return Err(EMPTY);
        }
        if trimmed.chars().count() > 40 {
            return Err(INVALID);
        }
        let region = country.and_then(|c| c.as_str().parse::<phonenumber::country::Id>().ok());
        let number = phonenumber::parse(region, trimmed).map_err(|_| INVALID)?;
        if !phonenumber::is_valid(&number) || number.extension().is_some() {
            return Err(INVALID);
        }
        // A merchant's phone belongs to the country of their identity: KYC checks it against
        // that country's registries, and `+1 ...` under `country = IR` would pass only by not
        // being checked at all.
        if let Some(region) = region
            && number.country().id() != Some(region)
        {
            return Err(WRONG_COUNTRY);
        }
        let e164 = number.format().mode(Mode::E164).to_string();
        Ok(Self {
            value: SecretString::from(e164),
        })
    }

    /// `+`, the country calling code, stars, and the last four digits (`+98******4567`).
    pub fn mask(&self) -> String {
        mask_phone(self.expose_secret())
    }
}

/// `+` and the first two digits (the calling code or its start), stars, last four digits.
pub(crate) fn mask_phone(s: &str) -> String {
    let n = s.len();
    match (s.get(..3), s.get(n.saturating_sub(4)..)) {
        (Some(head), Some(tail)) if s.is_ascii() && n > 7 => format!("{head}******{tail}"),
        _ => "********".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn iranian_national_format_becomes_e164() {
        let p = Phone::parse("09121234567", Some(Country::IR)).unwrap();
        assert_eq!(p.expose_secret(), "+989121234567");
        assert_eq!(Phone::parse("+98 912 123 4567", None).unwrap(), p);
        assert_eq!(Phone::parse("۰۹۱۲۱۲۳۴۵۶۷", Some(Country::IR)).unwrap(), p);
    }

    #[test]
    fn invalid_numbers_are_rejected() {
        assert!(Phone::parse("0912123", Some(Country::IR)).is_err());
        assert!(Phone::parse("09121234567", None).is_err());
        assert!(Phone::parse("hello", Some(Country::IR)).is_err());
        assert!(Phone::parse("", Some(Country::IR)).is_err());
    }

    #[test]
    fn other_countries_work_too() {
        assert_eq!(
            Phone::parse("050 123 4567", Some(Country::AE))
                .unwrap()
                .expose_secret(),
            "+971501234567"
        );
        assert_eq!(
            Phone::parse("+355 69 123 4567", None)
                .unwrap()
                .expose_secret(),
            "+355691234567"
        );
    }

    #[test]
    fn output_is_masked() {
        let p = Phone::parse("09121234567", Some(Country::IR)).unwrap();
        assert_eq!(p.mask(), "+98******4567");
        assert!(!format!("{p:?}").contains("912123"));
    }
}
