//! Birth dates: ISO `YYYY-MM-DD` (Gregorian) or the Persian (Solar Hijri) calendar.
//!
//! Rules: the date exists in its calendar; not after `today`; not before 1900-01-01; the person
//! is at least [`MIN_AGE_YEARS`] on `today` (birthday reached). Stored as ISO Gregorian.
//!
//! Persian → Gregorian uses the arithmetic of `jalaali-js` / Borkowski's algorithm (the
//! 2820-year-free "breaks" table that matches the astronomical Solar Hijri calendar for years
//! −61..3177), checked against known dates (1403-01-01 = 2024-03-20, 1370-01-01 = 1991-03-21).

use secrecy::SecretString;
use serde::Deserialize;
use time::{Date, Duration, Month};

use super::{EMPTY, PiiError, masked_secret_type, normalize_digits};

/// Minimum age of a merchant, in whole years.
pub const MIN_AGE_YEARS: i32 = 18;

/// The raw request shape: `"1991-03-21"` or `{"calendar": "persian", "date": "1370-01-01"}`.
#[derive(Clone, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum BirthDateInput {
    /// ISO 8601 `YYYY-MM-DD`, Gregorian.
    Iso(SecretString),
    /// A date in a named calendar (`"persian"` or `"gregorian"`), `YYYY-MM-DD` or `YYYY/MM/DD`.
    Calendar {
        /// `"persian"` (also `"jalali"`, `"solar_hijri"`) or `"gregorian"`.
        calendar: String,
        /// The date in that calendar.
        date: SecretString,
    },
}

impl std::fmt::Debug for BirthDateInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Iso(_) => f.write_str("BirthDateInput::Iso(<redacted>)"),
            Self::Calendar { calendar, .. } => {
                write!(f, "BirthDateInput::Calendar({calendar:?}, <redacted>)")
            }
        }
    }
}

/// A validated birth date (Gregorian, ISO text inside).
#[derive(Clone)]
pub struct BirthDate {
    value: SecretString,
}

masked_secret_type!(BirthDate);

const FORMAT: PiiError = PiiError::new("invalid_format", "a date is written YYYY-MM-DD");
const NO_SUCH_DATE: PiiError =
    PiiError::new("invalid_date", "this date does not exist in its calendar");
const CALENDAR: PiiError = PiiError::new(
    "unsupported_calendar",
    "the calendar must be persian or gregorian",
);
const FUTURE: PiiError = PiiError::new("in_future", "the birth date is in the future");
const TOO_OLD: PiiError = PiiError::new("out_of_range", "the birth date is before 1900");
const TOO_YOUNG: PiiError = PiiError::new("too_young", "the person must be at least 18 years old");

/// `YYYY-MM-DD`, or with `slashes` also `YYYY/MM/DD` (the form Persian dates are written in).
fn split_ymd(input: &str, slashes: bool) -> Result<(i32, u8, u8), PiiError> {
    let norm = normalize_digits(input)?;
    let t = norm.trim();
    if t.is_empty() {
        return Err(EMPTY);
    }
    let sep = if slashes && t.contains('/') { '/' } else { '-' };
    let mut parts = t.split(sep);
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(FORMAT);
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return Err(FORMAT);
    }
    let y: i32 = y.parse().map_err(|_| FORMAT)?;
    let m: u8 = m.parse().map_err(|_| FORMAT)?;
    let d: u8 = d.parse().map_err(|_| FORMAT)?;
    Ok((y, m, d))
}

fn gregorian(y: i32, m: u8, d: u8) -> Result<Date, PiiError> {
    let month = Month::try_from(m).map_err(|_| NO_SUCH_DATE)?;
    Date::from_calendar_date(y, month, d).map_err(|_| NO_SUCH_DATE)
}

/// Gregorian year and day-of-March of 1 Farvardin of Persian year `jy`, and whether `jy` is a
/// leap year (Esfand has 30 days). `jalaali-js` `jalCal`; valid for −61 <= jy < 3178.
fn jal_cal(jy: i32) -> Option<(i32, i32, bool)> {
    const BREAKS: [i32; 20] = [
        -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
        2394, 2456, 3178,
    ];
    if jy < BREAKS[0] || jy >= BREAKS[BREAKS.len() - 1] {
        return None;
    }
    let gy = jy + 621;
    let mut leap_j = -14;
    let mut jp = BREAKS[0];
    let mut jump = 0;
    for &jm in &BREAKS[1..] {
        jump = jm - jp;
        if jy < jm {
            break;
        }
        leap_j += jump / 33 * 8 + (jump % 33) / 4;
        jp = jm;
    }
    let mut n = jy - jp;
    leap_j += n / 33 * 8 + ((n % 33) + 3) / 4;
    if jump % 33 == 4 && jump - n == 4 {
        leap_j += 1;
    }
    let leap_g = gy / 4 - ((gy / 100 + 1) * 3) / 4 - 150;
    let march = 20 + leap_j - leap_g;
    if jump - n < 6 {
        n = n - jump + (jump + 4) / 33 * 33;
    }
    let mut leap = (((n + 1) % 33) - 1) % 4;
    if leap == -1 {
        leap = 4;
    }
    Some((gy, march, leap == 0))
}

/// Converts a Persian (Solar Hijri) date to the Gregorian calendar, exactly.
/// Fails for a month outside 1..=12, a day past the month's end (Farvardin–Shahrivar 31 days,
/// Mehr–Bahman 30, Esfand 29 or 30 in leap years), or a year outside 1..=3177.
pub fn persian_to_gregorian(jy: i32, jm: u8, jd: u8) -> Option<Date> {
    if jy < 1 {
        return None;
    }
    let (gy, march, leap) = jal_cal(jy)?;
    let month_len = match jm {
        1..=6 => 31,
        7..=11 => 30,
        12 if leap => 30,
        12 => 29,
        _ => return None,
    };
    if jd == 0 || jd > month_len {
        return None;
    }
    let farvardin_1 = Date::from_calendar_date(gy, Month::March, u8::try_from(march).ok()?).ok()?;
    let jm = i64::from(jm);
    let day_of_year = (jm - 1) * 31 - (jm / 7) * (jm - 7) + i64::from(jd) - 1;
    farvardin_1.checked_add(Duration::days(day_of_year))
}

impl BirthDate {
    /// Parses the request shape, checking it against `today` (see the module rules).
    pub fn parse(input: &BirthDateInput, today: Date) -> Result<Self, PiiError> {
        use secrecy::ExposeSecret;
        let date = match input {
            // The contract's ISO form is `YYYY-MM-DD` exactly.
            BirthDateInput::Iso(s) => {
                let (y, m, d) = split_ymd(s.expose_secret(), false)?;
                gregorian(y, m, d)?
            }
            BirthDateInput::Calendar { calendar, date } => {
                let (y, m, d) = split_ymd(date.expose_secret(), true)?;
                match calendar.trim().to_ascii_lowercase().as_str() {
                    "persian" | "jalali" | "solar_hijri" => {
                        persian_to_gregorian(y, m, d).ok_or(NO_SUCH_DATE)?
                    }
                    "gregorian" | "iso" => gregorian(y, m, d)?,
                    _ => return Err(CALENDAR),
                }
            }
        };
        Self::from_date(date, today)
    }

    /// Parses an ISO `YYYY-MM-DD` string.
    pub fn parse_iso(input: &str, today: Date) -> Result<Self, PiiError> {
        Self::parse(&BirthDateInput::Iso(SecretString::from(input)), today)
    }

    /// Parses a Persian-calendar `YYYY-MM-DD` (or `YYYY/MM/DD`) string.
    pub fn parse_persian(input: &str, today: Date) -> Result<Self, PiiError> {
        Self::parse(
            &BirthDateInput::Calendar {
                calendar: "persian".into(),
                date: SecretString::from(input),
            },
            today,
        )
    }

    fn from_date(date: Date, today: Date) -> Result<Self, PiiError> {
        if date > today {
            return Err(FUTURE);
        }
        if date.year() < 1900 {
            return Err(TOO_OLD);
        }
        let mut age = today.year() - date.year();
        if (today.month() as u8, today.day()) < (date.month() as u8, date.day()) {
            age -= 1;
        }
        if age < MIN_AGE_YEARS {
            return Err(TOO_YOUNG);
        }
        let iso = format!(
            "{:04}-{:02}-{:02}",
            date.year(),
            date.month() as u8,
            date.day()
        );
        Ok(Self {
            value: SecretString::from(iso),
        })
    }

    /// The date (the plaintext; treat like `expose_secret`).
    pub fn expose_date(&self) -> Option<Date> {
        let (y, m, d) = split_ymd(self.expose_secret(), false).ok()?;
        gregorian(y, m, d).ok()
    }

    /// The year only: `1991-**-**`.
    pub fn mask(&self) -> String {
        mask_birth_date(self.expose_secret())
    }
}

/// The year only.
pub(crate) fn mask_birth_date(s: &str) -> String {
    format!("{}-**-**", s.get(..4).unwrap_or("****"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2025 - 06 - 01);

    #[test]
    fn known_persian_dates_convert_exactly() {
        let cases = [
            ((1403, 1, 1), date!(2024 - 03 - 20)),
            ((1370, 1, 1), date!(1991 - 03 - 21)),
            ((1370, 1, 15), date!(1991 - 04 - 04)),
            ((1402, 12, 29), date!(2024 - 03 - 19)),
            ((1399, 12, 30), date!(2021 - 03 - 20)), // 1399 is leap
            ((1404, 1, 1), date!(2025 - 03 - 21)),
            ((1357, 11, 22), date!(1979 - 02 - 11)),
            ((1300, 1, 1), date!(1921 - 03 - 21)),
            ((1403, 7, 1), date!(2024 - 09 - 22)),
        ];
        for ((y, m, d), g) in cases {
            assert_eq!(persian_to_gregorian(y, m, d), Some(g), "{y}-{m}-{d}");
        }
    }

    #[test]
    fn nonexistent_persian_dates_fail() {
        assert_eq!(persian_to_gregorian(1402, 12, 30), None); // 1402 is not leap
        assert_eq!(persian_to_gregorian(1402, 7, 31), None);
        assert_eq!(persian_to_gregorian(1402, 13, 1), None);
        assert_eq!(persian_to_gregorian(1402, 1, 0), None);
    }

    #[test]
    fn persian_input_with_persian_digits_is_accepted() {
        let b = BirthDate::parse_persian("۱۳۷۰/۰۱/۱۵", TODAY).unwrap();
        assert_eq!(b.expose_secret(), "1991-04-04");
        assert_eq!(b.expose_date(), Some(date!(1991 - 04 - 04)));
    }

    #[test]
    fn iso_dates_parse_strictly() {
        assert_eq!(
            BirthDate::parse_iso("1991-03-21", TODAY)
                .unwrap()
                .expose_secret(),
            "1991-03-21"
        );
        assert_eq!(
            BirthDate::parse_iso("1991-3-21", TODAY).unwrap_err().code,
            "invalid_format"
        );
        assert_eq!(
            BirthDate::parse_iso("1991-02-30", TODAY).unwrap_err().code,
            "invalid_date"
        );
        assert_eq!(
            BirthDate::parse_iso("1850-01-01", TODAY).unwrap_err().code,
            "out_of_range"
        );
    }

    #[test]
    fn under_eighteen_is_rejected_and_the_birthday_counts() {
        assert_eq!(
            BirthDate::parse_iso("2010-01-01", TODAY).unwrap_err().code,
            "too_young"
        );
        assert!(BirthDate::parse_iso("2007-06-01", TODAY).is_ok());
        assert_eq!(
            BirthDate::parse_iso("2007-06-02", TODAY).unwrap_err().code,
            "too_young"
        );
    }

    #[test]
    fn future_dates_are_rejected() {
        assert_eq!(
            BirthDate::parse_iso("2030-01-01", TODAY).unwrap_err().code,
            "in_future"
        );
    }

    #[test]
    fn request_shapes_deserialize() {
        let iso: BirthDateInput = serde_json::from_str(r#""1991-03-21""#).unwrap();
        let fa: BirthDateInput =
            serde_json::from_str(r#"{"calendar":"persian","date":"1370-01-01"}"#).unwrap();
        assert_eq!(
            BirthDate::parse(&iso, TODAY).unwrap(),
            BirthDate::parse(&fa, TODAY).unwrap()
        );
        assert!(!format!("{fa:?}").contains("1370"));
    }

    #[test]
    fn mask_keeps_the_year_only() {
        let b = BirthDate::parse_iso("1991-03-21", TODAY).unwrap();
        assert_eq!(b.mask(), "1991-**-**");
        assert!(!format!("{b:?}").contains("03-21"));
    }
}
