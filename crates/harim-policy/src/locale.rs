//! Locales, text direction, calendars, digits and language negotiation.

use serde::{Deserialize, Serialize};

/// A language the policy is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    /// English.
    En,
    /// Persian (Farsi).
    Fa,
    /// Arabic.
    Ar,
    /// Albanian.
    Sq,
}

/// Base text direction of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left.
    Rtl,
}

impl Direction {
    /// The value for the HTML `dir` attribute.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ltr => "ltr",
            Self::Rtl => "rtl",
        }
    }
}

impl Locale {
    /// Every supported locale, in a fixed order.
    pub const ALL: [Locale; 4] = [Locale::En, Locale::Fa, Locale::Ar, Locale::Sq];

    /// BCP-47 language tag (`en`, `fa`, `ar`, `sq`).
    #[must_use]
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Fa => "fa",
            Self::Ar => "ar",
            Self::Sq => "sq",
        }
    }

    /// Text direction of the language's script.
    #[must_use]
    pub fn direction(self) -> Direction {
        match self {
            Self::Fa | Self::Ar => Direction::Rtl,
            Self::En | Self::Sq => Direction::Ltr,
        }
    }

    /// Parses a BCP-47 tag; only the primary language subtag counts (`fa-IR` is `fa`).
    #[must_use]
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Self::En),
            "fa" | "per" | "fas" => Some(Self::Fa),
            "ar" | "ara" => Some(Self::Ar),
            "sq" | "alb" | "sqi" => Some(Self::Sq),
            _ => None,
        }
    }
}

/// Picks the page language: `?lang=` first, then `Accept-Language` by q-value, then `default`.
///
/// Only locales in `available` are returned; if `available` is empty, `default` is returned.
#[must_use]
pub fn negotiate(
    query_lang: Option<&str>,
    accept_language: Option<&str>,
    available: &[Locale],
    default: Locale,
) -> Locale {
    let ok = |l: Locale| available.contains(&l);
    if let Some(l) = query_lang.and_then(Locale::from_tag).filter(|l| ok(*l)) {
        return l;
    }
    if let Some(header) = accept_language {
        let mut best: Option<(u16, usize, Locale)> = None;
        for (pos, item) in header.split(',').enumerate().take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let mut q: u16 = 1000;
            for p in parts {
                let p = p.trim();
                if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
                    q = parse_q(v).unwrap_or(0);
                }
            }
            if q == 0 {
                continue;
            }
            let Some(l) = Locale::from_tag(tag).filter(|l| ok(*l)) else {
                continue;
            };
            // Highest q wins; on a tie the earlier entry wins.
            let better = match best {
                None => true,
                Some((bq, bpos, _)) => q > bq || (q == bq && pos < bpos),
            };
            if better {
                best = Some((q, pos, l));
            }
        }
        if let Some((_, _, l)) = best {
            return l;
        }
    }
    default
}

/// Parses an HTTP quality value into thousandths (`0.8` -> 800); `None` when malformed.
fn parse_q(v: &str) -> Option<u16> {
    let v = v.trim();
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = match int {
        "0" => 0u16,
        "1" => 1,
        _ => return None,
    };
    let mut f = 0u16;
    for (i, b) in frac.bytes().enumerate() {
        f += u16::from(b - b'0') * [100, 10, 1][i];
    }
    let q = whole * 1000 + f;
    (q <= 1000).then_some(q)
}

/// Calendar used for dates in one locale. Stored explicitly in the settings, never inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Calendar {
    /// Gregorian.
    Gregorian,
    /// Solar Hijri (Iranian).
    Persian,
    /// Islamic, Umm al-Qura (Saudi Arabia).
    IslamicUmalqura,
}

/// Digits used for numbers and dates in one locale. Stored explicitly, never inferred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Digits {
    /// 0-9.
    Latin,
    /// Arabic-Indic ٠-٩.
    Arab,
    /// Extended Arabic-Indic (Persian) ۰-۹.
    Arabext,
}

/// How dates and numbers are written in one locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocaleFormat {
    /// Calendar for dates.
    pub calendar: Calendar,
    /// Digits for numbers and dates.
    pub digits: Digits,
}

impl LocaleFormat {
    /// The customary format of a language when a shop has not chosen one
    /// (fa: Solar Hijri + Persian digits; ar: Gregorian + Arabic-Indic digits; others Gregorian + Latin).
    #[must_use]
    pub fn customary(locale: Locale) -> Self {
        match locale {
            Locale::Fa => Self {
                calendar: Calendar::Persian,
                digits: Digits::Arabext,
            },
            Locale::Ar => Self {
                calendar: Calendar::Gregorian,
                digits: Digits::Arab,
            },
            Locale::En | Locale::Sq => Self {
                calendar: Calendar::Gregorian,
                digits: Digits::Latin,
            },
        }
    }

    /// The ICU locale string, e.g. `ar-SA-u-ca-islamic-umalqura-nu-arab`.
    #[must_use]
    pub fn icu_tag(&self, locale: Locale) -> String {
        let base = match (locale, self.calendar) {
            (Locale::Fa, _) => "fa-IR",
            (Locale::Ar, Calendar::IslamicUmalqura) => "ar-SA",
            (Locale::Ar, _) => "ar",
            (Locale::Sq, _) => "sq-AL",
            // British usage: «21 March 2025».
            (Locale::En, _) => "en-GB",
        };
        let ca = match self.calendar {
            Calendar::Gregorian => "gregory",
            Calendar::Persian => "persian",
            Calendar::IslamicUmalqura => "islamic-umalqura",
        };
        let nu = match self.digits {
            Digits::Latin => "latn",
            Digits::Arab => "arab",
            Digits::Arabext => "arabext",
        };
        format!("{base}-u-ca-{ca}-nu-{nu}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[Locale] = &Locale::ALL;

    #[test]
    fn query_lang_wins_over_accept_language() {
        assert_eq!(
            negotiate(Some("ar"), Some("fa,en;q=0.5"), ALL, Locale::En),
            Locale::Ar
        );
    }

    #[test]
    fn unavailable_query_lang_falls_through_to_accept_language() {
        let avail = [Locale::Fa, Locale::En];
        assert_eq!(
            negotiate(Some("sq"), Some("fa-IR"), &avail, Locale::En),
            Locale::Fa
        );
    }

    #[test]
    fn accept_language_is_ordered_by_q_value() {
        assert_eq!(
            negotiate(None, Some("en;q=0.3, sq;q=0.9, fa;q=0.5"), ALL, Locale::Fa),
            Locale::Sq
        );
        assert_eq!(
            negotiate(None, Some("de, ar-SA;q=0.8, en;q=0.8"), ALL, Locale::Fa),
            Locale::Ar
        );
    }

    #[test]
    fn q_zero_means_not_acceptable() {
        assert_eq!(
            negotiate(None, Some("ar;q=0, de"), ALL, Locale::Sq),
            Locale::Sq
        );
    }

    #[test]
    fn garbage_headers_give_the_default() {
        assert_eq!(
            negotiate(Some(""), Some(";;,,q=zz"), ALL, Locale::Fa),
            Locale::Fa
        );
        assert_eq!(negotiate(None, None, ALL, Locale::Ar), Locale::Ar);
    }

    #[test]
    fn persian_and_arabic_are_right_to_left() {
        assert_eq!(Locale::Fa.direction(), Direction::Rtl);
        assert_eq!(Locale::Ar.direction(), Direction::Rtl);
        assert_eq!(Locale::Sq.direction(), Direction::Ltr);
        assert_eq!(Locale::En.direction().as_str(), "ltr");
    }
}
