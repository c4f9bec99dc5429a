//! Reply keywords that mean "stop marketing to me": «لغو» and «لغو۱۱» (Iran: informational SMS
//! end with «لغو۱۱», send 11 to stop, CRA resolution 270), «11», «إلغاء» (Arabic), `STOP`,
//! `NDALO` (Albanian). Matched after normalising: case, Persian and Arabic-Indic digits, the
//! hamza forms of alef, spaces, ZWNJ and tatweel.

const STOP_WORDS: [&str; 6] = ["لغو", "لغو11", "11", "stop", "الغاء", "ndalo"];

/// The reply in the form keywords are compared in.
#[must_use]
pub fn normalise(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10),
            '٠'..='٩' => char::from_digit(c as u32 - '٠' as u32, 10),
            'إ' | 'أ' | 'آ' => Some('ا'),
            'ي' => Some('ی'),
            '\u{200c}' | '\u{200d}' | '\u{0640}' => None,
            c if c.is_whitespace() => None,
            '.' | '!' | '،' | ',' => None,
            c => Some(c),
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether the whole reply is a stop keyword.
#[must_use]
pub fn is_stop(text: &str) -> bool {
    let n = normalise(text);
    STOP_WORDS.iter().any(|w| normalise(w) == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_every_keyword_stops() {
        for t in [
            "لغو",
            " لغو ",
            "لغو۱۱",
            "لغو 11",
            "لغو١١",
            "لغو\u{200c}۱۱",
            "11",
            "۱۱",
            "١١",
            "STOP",
            "stop",
            "Stop.",
            "إلغاء",
            "الغاء",
            "NDALO",
            "ndalo",
            "Ndalo!",
        ] {
            assert!(is_stop(t), "{t:?}");
        }
        for t in ["", "hi", "لغو کنید لطفا", "111", "stop it", "قبول"] {
            assert!(!is_stop(t), "{t:?}");
        }
    }
}
