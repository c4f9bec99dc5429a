//! Input rules for the account and shop fields this crate owns (PII rules live in harim-vault).

use crate::error::Violation;

/// Collects every field error of a request, so the client hears about all of them at once.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<Violation>);

impl Errors {
    pub fn add(&mut self, field: &str, code: &str, message: &str) {
        self.0.push(Violation::new(field, code, message));
    }
    pub fn finish(self) -> Result<(), crate::ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::ApiError::Validation(self.0))
        }
    }
}

/// The product's one rule for free text (`harim_text`).
fn has_forbidden(s: &str) -> bool {
    !harim_text::is_clean(s)
}

/// Lower-cased, trimmed e-mail address, or `None` if it is not plausibly one.
pub fn email(raw: &str) -> Option<String> {
    // One e-mail rule in the whole product: the vault's. Account addresses are then compared
    // case-insensitively, so they are stored lowercased.
    harim_vault::pii::Email::parse(raw)
        .ok()
        .map(|e| e.expose_secret().to_lowercase())
}

/// ASVS 6.2.1/6.2.9: at least 12 characters, long passphrases (up to 128+) allowed, no
/// composition rules.
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 256;

pub fn password(errs: &mut Errors, field: &str, pw: &str) {
    let n = pw.chars().count();
    if n < PASSWORD_MIN_CHARS {
        errs.add(field, "too_short", "Use at least 12 characters.");
    } else if n > PASSWORD_MAX_CHARS {
        errs.add(field, "too_long", "Use at most 256 characters.");
    }
}

/// A trimmed human-readable label of 1..=max characters without control characters.
pub fn label(errs: &mut Errors, field: &str, raw: &str, max: usize) -> String {
    let v = raw.trim();
    if v.is_empty() {
        errs.add(field, "required", "Must not be empty.");
    } else if v.chars().count() > max {
        errs.add(field, "too_long", &format!("Use at most {max} characters."));
    } else if has_forbidden(v) {
        errs.add(
            field,
            "invalid",
            "Must not contain control, bidi-override or invisible characters.",
        );
    }
    v.to_string()
}

/// Slugs appear in public URLs: 3..=63 of `a-z0-9-`, starting and ending alphanumeric.
pub fn slug(errs: &mut Errors, field: &str, raw: &str) -> String {
    const RESERVED: &[&str] = &["admin", "api", "www", "harim", "static", "docs", "v1"];
    let s = raw.trim();
    let bytes = s.as_bytes();
    let ok = (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
    if !ok {
        errs.add(
            field,
            "invalid",
            "Use 3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit.",
        );
    } else if RESERVED.contains(&s) {
        errs.add(field, "reserved", "This slug is reserved.");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_garbage_is_refused() {
        assert_eq!(
            email("  Ana@Example.COM ").as_deref(),
            Some("ana@example.com")
        );
        for bad in [
            "",
            "a",
            "a@b",
            "@x.io",
            "a@.io",
            "a b@x.io",
            "a@x..io",
            "a@x\u{7}.io",
            "a@@x.io",
        ] {
            assert_eq!(email(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn slugs_must_be_url_safe_and_not_reserved() {
        let mut e = Errors::default();
        slug(&mut e, "slug", "my-shop-1");
        assert!(e.0.is_empty());
        for bad in ["My-Shop", "-shop", "shop-", "ab", "sh op", "شاپ", "admin"] {
            let mut e = Errors::default();
            slug(&mut e, "slug", bad);
            assert_eq!(e.0.len(), 1, "{bad}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters_counted_as_characters_not_bytes() {
        let mut e = Errors::default();
        password(&mut e, "password", "رمز-عبور-خیلی-قوی");
        assert!(e.0.is_empty());
        password(&mut e, "password", "short");
        assert_eq!(e.0[0].code, "too_short");
    }
}
