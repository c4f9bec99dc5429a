//! ISO 3166-1 alpha-2 country codes.

use super::PiiError;

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM \
PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ \
VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code, uppercase (input is accepted in any case, trimmed).
/// Not personal data on its own, so `Debug`/`Display`/`Serialize` print it in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

const INVALID: PiiError = PiiError::new(
    "invalid_country",
    "must be an ISO 3166-1 alpha-2 country code such as IR, AL, SA or AE",
);

impl Country {
    /// Iran.
    pub const IR: Country = Country(*b"IR");
    /// Albania.
    pub const AL: Country = Country(*b"AL");
    /// Saudi Arabia.
    pub const SA: Country = Country(*b"SA");
    /// United Arab Emirates.
    pub const AE: Country = Country(*b"AE");

    /// Parses a two-letter code that ISO 3166-1 assigns.
    pub fn parse(input: &str) -> Result<Self, PiiError> {
        let t = input.trim();
        let b = t.as_bytes();
        if b.len() != 2 || !b.iter().all(u8::is_ascii_alphabetic) {
            return Err(INVALID);
        }
        let code = [b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()];
        let known = ISO_3166_ALPHA2
            .split_ascii_whitespace()
            .any(|c| c.as_bytes() == code);
        if known { Ok(Self(code)) } else { Err(INVALID) }
    }

    /// The code, e.g. `"IR"`.
    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII uppercase letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Country {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_249_sorted_unique_codes() {
        let codes: Vec<&str> = ISO_3166_ALPHA2.split_ascii_whitespace().collect();
        assert_eq!(codes.len(), 249);
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn lowercase_is_accepted_and_unknown_rejected() {
        assert_eq!(Country::parse(" ir ").unwrap(), Country::IR);
        assert!(Country::parse("XX").is_err());
        assert!(Country::parse("IRN").is_err());
        assert!(Country::parse("").is_err());
    }
}
