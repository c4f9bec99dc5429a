//! National identifiers, validated per country.
//!
//! | country | rule |
//! |---|---|
//! | IR | *code-e melli*: exactly 10 digits d0..d9 (leading zeros kept). `s = Σ d_i·(10−i)` for i = 0..8, `r = s mod 11`; valid iff `d9 = r` when `r < 2`, else `d9 = 11 − r`. Rejected too: all ten digits equal, and d3..d8 = `000000` (as persian-tools does). Persian/Arabic-Indic digits, spaces and dashes accepted on input. |
//! | AL | Albanian personal number (NID, *numri personal*): a letter, 8 digits, a letter (10 characters, e.g. `J00101999W`). The first letter encodes the birth decade and the last is a check letter whose algorithm is not public, so only the shape is checked. Case-insensitive; stored uppercase. |
//! | SA | Saudi national ID / iqama: 10 digits, first digit `1` (citizen) or `2` (resident), Luhn check over all 10 digits. |
//! | AE | Emirates ID: `784-YYYY-NNNNNNN-C`, 15 digits starting with `784` (ISO 3166 numeric code of the UAE), YYYY the birth year, C a Luhn check digit over all 15. Dashes and spaces optional. |
//! | other | after removing spaces and dashes: 4 to 20 ASCII letters or digits; stored uppercase. |

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{Country, EMPTY, PiiError, compact, mask_tail, masked_secret_type};

/// A validated national identifier and the country whose rule validated it.
#[derive(Clone)]
pub struct NationalId {
    value: SecretString,
    country: Country,
}

masked_secret_type!(NationalId);

const FORMAT_IR: PiiError = PiiError::new(
    "invalid_format",
    "an Iranian national code has exactly 10 digits",
);
const CHECKSUM: PiiError = PiiError::new("invalid_checksum", "the check digit does not match");
const IR_REJECTED: PiiError = PiiError::new("invalid_value", "this national code is not issued");
const FORMAT_AL: PiiError = PiiError::new(
    "invalid_format",
    "an Albanian personal number is a letter, 8 digits and a letter",
);
const FORMAT_SA: PiiError = PiiError::new(
    "invalid_format",
    "a Saudi ID has 10 digits and starts with 1 or 2",
);
const FORMAT_AE: PiiError = PiiError::new(
    "invalid_format",
    "an Emirates ID has 15 digits and starts with 784",
);
const FORMAT_OTHER: PiiError = PiiError::new(
    "invalid_format",
    "a national ID has 4 to 20 letters or digits",
);

impl NationalId {
    /// Parses `input` under the rule of `country` (see the module table).
    pub fn parse(input: &str, country: Country) -> Result<Self, PiiError> {
        let v = compact(input, true)?;
        if v.is_empty() {
            return Err(EMPTY);
        }
        let value: Zeroizing<String> = match country {
            Country::IR => {
                check_ir(&v)?;
                v
            }
            Country::AL => {
                let up = Zeroizing::new(v.to_ascii_uppercase());
                let b = up.as_bytes();
                let ok = b.len() == 10
                    && b[0].is_ascii_uppercase()
                    && b[1..9].iter().all(u8::is_ascii_digit)
                    && b[9].is_ascii_uppercase();
                if !ok {
                    return Err(FORMAT_AL);
                }
                up
            }
            Country::SA => {
                let b = v.as_bytes();
                if b.len() != 10 || !all_digits(b) || !(b[0] == b'1' || b[0] == b'2') {
                    return Err(FORMAT_SA);
                }
                if !luhn_valid(b) {
                    return Err(CHECKSUM);
                }
                v
            }
            Country::AE => {
                let b = v.as_bytes();
                if b.len() != 15 || !all_digits(b) || !b.starts_with(b"784") {
                    return Err(FORMAT_AE);
                }
                if !luhn_valid(b) {
                    return Err(CHECKSUM);
                }
                v
            }
            _ => generic(&v)?,
        };
        Ok(Self {
            value: SecretString::from(value.as_str()),
            country,
        })
    }

    /// The country whose rule validated it.
    pub fn country(&self) -> Country {
        self.country
    }

    /// `******` and the last four characters.
    pub fn mask(&self) -> String {
        mask_tail(self.expose_secret())
    }

    /// The normalised string a blind index is computed over: the identifier alone (uppercase
    /// letters and digits, e.g. `"0499370899"`), *not* the country it was declared under.
    ///
    /// The declared country is the submitter's claim: an Iranian code declared as German passes
    /// the generic rule, and with the country in the index it escaped duplicate detection. The
    /// price is that equal identifiers from two countries match each other; a match is a lead
    /// for a human reviewer (who sees both shops), never a verdict, so a false lead is cheap and
    /// a missed duplicate is not.
    pub fn blind_index_input(&self) -> Zeroizing<String> {
        index_input(self.expose_secret())
    }

    /// The input indexes were computed over before [`NationalId::blind_index_input`] dropped the
    /// country (`"CC:value"`); searched too until a root rotation has recomputed every index.
    pub fn legacy_blind_index_input(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{}:{}", self.country, self.expose_secret()))
    }
}

/// [`NationalId::blind_index_input`] of an identifier already normalised by
/// [`NationalId::parse`] (as stored), for code that only has the stored value.
pub fn index_input(normalized: &str) -> Zeroizing<String> {
    Zeroizing::new(normalized.to_ascii_uppercase())
}

/// The fallback rule: 4 to 20 ASCII letters or digits, uppercased.
fn generic(v: &str) -> Result<Zeroizing<String>, PiiError> {
    let up = Zeroizing::new(v.to_ascii_uppercase());
    let n = up.len();
    if !(4..=20).contains(&n) || !up.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err(FORMAT_OTHER);
    }
    Ok(up)
}

/// Checks `input` against the fallback rule only (used when the country itself is invalid, so
/// the national ID's own problems are still reported).
pub(crate) fn check_generic(input: &str) -> Result<(), PiiError> {
    let v = compact(input, true)?;
    if v.is_empty() {
        return Err(EMPTY);
    }
    generic(&v).map(|_| ())
}

fn all_digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

fn check_ir(v: &str) -> Result<(), PiiError> {
    let b = v.as_bytes();
    if b.len() != 10 || !all_digits(b) {
        return Err(FORMAT_IR);
    }
    if b.iter().all(|&c| c == b[0]) || &b[3..9] == b"000000" {
        return Err(IR_REJECTED);
    }
    let d = |i: usize| u32::from(b[i] - b'0');
    let s: u32 = (0..9).map(|i| d(i) * (10 - i as u32)).sum();
    let r = s % 11;
    let expected = if r < 2 { r } else { 11 - r };
    if d(9) != expected {
        return Err(CHECKSUM);
    }
    Ok(())
}

/// Luhn (ISO/IEC 7812-1) over ASCII digits, the last one being the check digit.
fn luhn_valid(b: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, c) in b.iter().rev().enumerate() {
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn ir(s: &str) -> Result<NationalId, PiiError> {
        NationalId::parse(s, Country::IR)
    }

    #[test]
    fn iranian_codes_with_valid_check_digits_parse() {
        for ok in ["0499370899", "0076229645", "1583250689", "0684159414"] {
            assert_eq!(ir(ok).unwrap().expose_secret(), ok, "{ok}");
        }
    }

    #[test]
    fn iranian_codes_with_wrong_check_digits_fail() {
        assert_eq!(ir("0499370898").unwrap_err().code, "invalid_checksum");
        assert_eq!(ir("0684159415").unwrap_err().code, "invalid_checksum");
    }

    #[test]
    fn iranian_codes_of_one_repeated_digit_are_rejected() {
        for d in 0..10 {
            let s = d.to_string().repeat(10);
            assert!(ir(&s).is_err(), "{s}");
        }
        assert_eq!(ir("1111111111").unwrap_err().code, "invalid_value");
    }

    #[test]
    fn iranian_codes_need_exactly_ten_digits_and_keep_leading_zeros() {
        assert!(ir("68415941").is_err());
        assert!(ir("499370899").is_err());
        assert_eq!(ir("049-937-0899").unwrap().expose_secret(), "0499370899");
        assert_eq!(ir("۰۴۹۹۳۷۰۸۹۹").unwrap().expose_secret(), "0499370899");
        assert_eq!(ir("٠٤٩٩٣٧٠٨٩٩").unwrap().expose_secret(), "0499370899");
    }

    #[test]
    fn albanian_numbers_are_letter_eight_digits_letter() {
        let id = NationalId::parse("j00101999w", Country::AL).unwrap();
        assert_eq!(id.expose_secret(), "J00101999W");
        assert!(NationalId::parse("J0010199W", Country::AL).is_err());
        assert!(NationalId::parse("100101999W", Country::AL).is_err());
    }

    #[test]
    fn saudi_ids_need_prefix_and_luhn() {
        // 1000000008: Luhn sum 1*2->2 + 8 = 10.
        assert!(NationalId::parse("1000000008", Country::SA).is_ok());
        assert_eq!(
            NationalId::parse("1000000009", Country::SA)
                .unwrap_err()
                .code,
            "invalid_checksum"
        );
        assert!(NationalId::parse("3000000008", Country::SA).is_err());
    }

    #[test]
    fn emirates_ids_need_784_and_luhn() {
        let check = (0..=9u8)
            .find(|c| {
                let mut v = b"78419901234567".to_vec();
                v.push(b'0' + c);
                luhn_valid(&v)
            })
            .unwrap();
        let good = format!("784-1990-1234567-{check}");
        assert!(NationalId::parse(&good, Country::AE).is_ok());
        let bad = format!("784-1990-1234567-{}", (check + 1) % 10);
        assert_eq!(
            NationalId::parse(&bad, Country::AE).unwrap_err().code,
            "invalid_checksum"
        );
        assert!(NationalId::parse("785199012345670", Country::AE).is_err());
    }

    #[test]
    fn other_countries_use_the_fallback_rule() {
        assert_eq!(
            NationalId::parse("ab-12 34", Country::parse("DE").unwrap())
                .unwrap()
                .expose_secret(),
            "AB1234"
        );
        assert!(NationalId::parse("ab1", Country::parse("DE").unwrap()).is_err());
        assert!(NationalId::parse("ab12$", Country::parse("DE").unwrap()).is_err());
    }

    #[test]
    fn debug_display_and_serialize_are_masked() {
        let id = ir("0499370899").unwrap();
        for s in [
            format!("{id:?}"),
            id.to_string(),
            serde_json::to_string(&id).unwrap(),
        ] {
            assert!(!s.contains("0499370899"), "{s}");
            assert!(!s.contains("049937"), "{s}");
        }
        assert_eq!(id.mask(), "******0899");
        assert_eq!(&*id.blind_index_input(), "0499370899");
        assert_eq!(&*id.legacy_blind_index_input(), "IR:0499370899");
    }
}
