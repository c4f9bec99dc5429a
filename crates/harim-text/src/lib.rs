//! `harim-text`: which characters free text may not contain, in one place.
//!
//! Every free-text field (a name, an address, a shop name, a policy's contact line, a processor's
//! name) is shown to people, often beside right-to-left text. Three kinds of character make
//! such text display as something it is not, so all of them are refused everywhere:
//!
//! - control characters (Unicode `Cc`: NUL, escapes, line breaks in one-line fields),
//! - bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): with
//!   U+202E, "Shop \u{202E}exe.fdp" reads as "Shop pdf.exe",
//! - invisible characters that join or hide: U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER,
//!   U+FEFF ZERO WIDTH NO-BREAK SPACE (BOM), U+180E MONGOLIAN VOWEL SEPARATOR, and the tag
//!   characters U+E0000–U+E007F.
//!
//! Allowed on purpose: U+200C ZWNJ and U+200D ZWJ (Persian and Arabic words need them),
//! U+200E/U+200F (LRM/RLM: they mark direction at punctuation and cannot reorder letters), and
//! variation selectors (emoji).

/// Whether free text may not contain `c`. See the crate docs for the rule and its reasons.
pub fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'
                | '\u{2060}'
                | '\u{FEFF}'
                | '\u{180E}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// Whether `s` contains no forbidden character.
pub fn is_clean(s: &str) -> bool {
    !s.chars().any(is_forbidden)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_can_disguise_text_and_keeps_what_languages_need() {
        for bad in [
            "Shop \u{202E}exe.fdp",
            "a\u{2066}b\u{2069}",
            "zero\u{200B}width",
            "\u{FEFF}bom",
            "nul\0",
            "line\nbreak",
            "tag\u{E0041}",
            "joiner\u{2060}",
        ] {
            assert!(!is_clean(bad), "{bad:?}");
        }
        for good in [
            "می‌خواهم",      // ZWNJ inside a Persian word
            "علي\u{200F}.", // RLM at punctuation
            "Tirana, Rruga e Kavajës",
            "👍🏽",
            "ok\u{FE0F}",
        ] {
            assert!(is_clean(good), "{good:?}");
        }
    }
}
