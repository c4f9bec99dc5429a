//! IBANs (ISO 13616), including Iranian Sheba numbers.
//!
//! Rule: spaces (and Persian/Arabic-Indic digits) accepted on input; stored in electronic
//! format (uppercase, no spaces). Every IBAN must pass the ISO 7064 MOD 97-10 check.
//! - `IR` (Sheba): `iban_validate` has no IR entry in its registry copy, so: its `BaseIban`
//!   check (shape and mod-97) plus `IR` + exactly 24 digits (26 characters).
//! - every other country: `iban_validate::Iban`, i.e. mod-97 plus the country's length and BBAN
//!   structure from the SWIFT IBAN registry; a country missing from the registry is rejected.

use iban::{BaseIban, IbanLike, ParseBaseIbanError, ParseIbanError};
use secrecy::SecretString;

use super::{EMPTY, PiiError, compact, masked_secret_type};

/// A validated IBAN in electronic format.
#[derive(Clone)]
pub struct Iban {
    value: SecretString,
}

masked_secret_type!(Iban);

const FORMAT: PiiError = PiiError::new("invalid_format", "the value is not an IBAN");
const CHECKSUM: PiiError = PiiError::new("invalid_checksum", "the IBAN check digits do not match");
const IR_FORMAT: PiiError = PiiError::new(
    "invalid_format",
    "an Iranian IBAN (Sheba) is IR followed by 24 digits",
);
const BBAN: PiiError = PiiError::new(
    "invalid_format",
    "the IBAN does not have the length or structure its country requires",
);
const COUNTRY: PiiError = PiiError::new(
    "unsupported_country",
    "IBANs of this country are not supported",
);

fn base_err(e: ParseBaseIbanError) -> PiiError {
    match e {
        ParseBaseIbanError::InvalidChecksum => CHECKSUM,
        ParseBaseIbanError::InvalidFormat => FORMAT,
    }
}

impl Iban {
    /// Parses and validates an IBAN (see the module docs).
    pub fn parse(input: &str) -> Result<Self, PiiError> {
        let compacted = compact(input, false)?;
        if compacted.is_empty() {
            return Err(EMPTY);
        }
        let up = zeroize::Zeroizing::new(compacted.to_ascii_uppercase());
        if !up.is_ascii() || up.len() > 34 {
            return Err(FORMAT);
        }
        let electronic = if up.starts_with("IR") {
            let b = up.as_bytes();
            if b.len() != 26 || !b[2..].iter().all(u8::is_ascii_digit) {
                return Err(IR_FORMAT);
            }
            let base: BaseIban = up.parse().map_err(base_err)?;
            base.electronic_str().to_owned()
        } else {
            match up.parse::<iban::Iban>() {
                Ok(i) => i.electronic_str().to_owned(),
                Err(ParseIbanError::InvalidBaseIban { source }) => return Err(base_err(source)),
                Err(ParseIbanError::InvalidBban(_)) => return Err(BBAN),
                Err(ParseIbanError::UnknownCountry(_)) => return Err(COUNTRY),
            }
        };
        Ok(Self {
            value: SecretString::from(electronic),
        })
    }

    /// The two-letter country code (not secret).
    pub fn country_code(&self) -> &str {
        self.expose_secret().get(..2).unwrap_or("")
    }

    /// Country code, stars, last four characters: `IR********************0001`.
    pub fn mask(&self) -> String {
        mask_iban(self.expose_secret())
    }

    /// The normalised string a blind index is computed over (electronic format).
    pub fn blind_index_input(&self) -> &str {
        self.expose_secret()
    }
}

/// Country code, stars, last four characters (fully hidden if the value is not IBAN-shaped).
pub(crate) fn mask_iban(s: &str) -> String {
    let n = s.len();
    match (s.get(..2), s.get(n.saturating_sub(4)..)) {
        (Some(head), Some(tail)) if s.is_ascii() && n > 6 => {
            format!("{head}{}{tail}", "*".repeat(n - 6))
        }
        _ => "********".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const REGISTRY_EXAMPLES: [&str; 5] = [
        "IR062960000000100324200001",
        "AL47212110090000000235698741",
        "SA0380000000608010167519",
        "AE070331234567890123456",
        "DE89370400440532013000",
    ];

    #[test]
    fn iso_13616_registry_examples_parse() {
        for ex in REGISTRY_EXAMPLES {
            assert_eq!(Iban::parse(ex).unwrap().expose_secret(), ex);
        }
    }

    #[test]
    fn changing_any_one_digit_fails() {
        for ex in REGISTRY_EXAMPLES {
            for (i, c) in ex.char_indices().skip(2) {
                if !c.is_ascii_digit() {
                    continue;
                }
                let d = c.to_digit(10).unwrap();
                let changed = format!("{}{}{}", &ex[..i], (d + 1) % 10, &ex[i + 1..]);
                assert!(Iban::parse(&changed).is_err(), "{changed} must fail");
            }
        }
    }

    #[test]
    fn spaces_lowercase_and_persian_digits_are_accepted() {
        let i = Iban::parse("ir06 2960 0000 0010 0324 2000 01").unwrap();
        assert_eq!(i.expose_secret(), "IR062960000000100324200001");
        let p = Iban::parse("IR۰۶۲۹۶۰۰۰۰۰۰۰۱۰۰۳۲۴۲۰۰۰۰۱").unwrap();
        assert_eq!(p, i);
        assert_eq!(i.country_code(), "IR");
    }

    #[test]
    fn iranian_ibans_must_be_24_digits() {
        assert_eq!(
            Iban::parse("IR06296000000010032420000").unwrap_err().code,
            "invalid_format"
        );
        assert_eq!(
            Iban::parse("IR0629600000001003242000011").unwrap_err().code,
            "invalid_format"
        );
        assert_eq!(
            Iban::parse("IR062960000000100324200002").unwrap_err().code,
            "invalid_checksum"
        );
    }

    #[test]
    fn wrong_country_lengths_fail() {
        // Valid mod-97 but 1 digit short for Germany is caught by the registry length.
        assert!(Iban::parse("DE8937040044053201300").is_err());
        assert!(Iban::parse("").is_err());
        assert!(Iban::parse("not an iban").is_err());
    }

    #[test]
    fn output_is_masked() {
        let i = Iban::parse(REGISTRY_EXAMPLES[0]).unwrap();
        assert_eq!(i.mask(), "IR********************0001");
        for s in [
            format!("{i:?}"),
            i.to_string(),
            serde_json::to_string(&i).unwrap(),
        ] {
            assert!(!s.contains("2960000000100324"), "{s}");
        }
    }
}
