//! The fonts the policy pages are drawn in, embedded in the binary.
//!
//! A Persian or Arabic page must look right on a reader's machine that has no font for the
//! script (or a poor one), so the pages name vendored faces: Vazirmatn for Persian and Noto Naskh
//! Arabic for Arabic (both SIL OFL 1.1; sources, subsetting and licences in `fonts/README.md`).
//! harim serves them itself (`GET /assets/fonts/<file_name>`), so a page needs no third-party
//! host and its Content-Security-Policy can stay `font-src 'self'`.
//!
//! Why the bytes live here, beside the renderer, and not in the HTTP crate: the page's CSS
//! names each face by a URL derived from its bytes, and keeping both in one table means the URL
//! a frozen page names and the bytes served under it cannot drift apart.
//!
//! File names carry the first 8 hex digits of the file's SHA-256. Frozen documents keep naming
//! a font file for as long as they are served, so a name must keep answering with the same
//! bytes forever: that is what lets the route say `immutable`. To change a font, add a new file
//! (a new name) and keep the old one in [`FONTS`]; the test `file_names_are_pinned` fails
//! when an existing file changes.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

use crate::locale::Locale;

/// Path the fonts are served under (the route is `{FONT_PATH}{file_name}`).
pub const FONT_PATH: &str = "/assets/fonts/";

/// CSS family of the Persian face. Unique on purpose: an installed font called "Vazirmatn"
/// cannot stand in for a vendored file that failed to load and hide the failure.
pub const PERSIAN_FAMILY: &str = "Harim Vazirmatn";
/// CSS family of the Arabic face (see [`PERSIAN_FAMILY`] for why the name is unique).
pub const ARABIC_FAMILY: &str = "Harim Noto Naskh Arabic";

/// CSS family that draws Arabic-script text on every page, whatever its language: a Persian
/// shop name on the English page, say. The Vazirmatn files again, under [`ARABIC_SCRIPT_RANGE`]
/// only, first in the page's font list: Latin text keeps the system font, Arabic script never
/// depends on one being installed.
pub const SCRIPT_FAMILY: &str = "Harim Arabic Script";

/// The Arabic-script blocks (and ZWNJ/ZWJ) of [`UNICODE_RANGE`].
pub const ARABIC_SCRIPT_RANGE: &str =
    "U+0600-06FF, U+0750-077F, U+0870-08FF, U+FB50-FDFF, U+FE70-FEFF, U+200C-200D";

/// The code points the subsets keep (`fonts/README.md`); stated as `unicode-range` so a browser
/// only fetches a face for text that needs it.
pub const UNICODE_RANGE: &str = "U+0000-00FF, U+0131, U+0152-0153, U+02BC, U+02C6, U+02DA, \
U+02DC, U+0600-06FF, U+0750-077F, U+0870-08FF, U+FB50-FDFF, U+FE70-FEFF, U+2000-206F, \
U+20A0-20CF, U+2212, U+25CC";

/// One embedded WOFF2 file.
#[derive(Debug)]
pub struct FontFile {
    /// File name without hash and extension, e.g. `vazirmatn-regular`.
    pub stem: &'static str,
    /// CSS `font-family` it is declared under.
    pub family: &'static str,
    /// CSS `font-weight`.
    pub weight: u16,
    /// The WOFF2 bytes.
    pub bytes: &'static [u8],
}

/// A [`FontFile`] whose bytes are `fonts/<stem>.woff2`: a macro because `include_bytes!` takes
/// only a literal path, and so the stem a page names and the file embedded cannot disagree.
macro_rules! font_file {
    ($stem:literal, $family:expr, $weight:literal) => {
        FontFile {
            stem: $stem,
            family: $family,
            weight: $weight,
            bytes: include_bytes!(concat!("../fonts/", $stem, ".woff2")),
        }
    };
}

/// Every font file ever named by a published page. Append only (see the module docs).
pub static FONTS: [FontFile; 4] = [
    font_file!("vazirmatn-regular", PERSIAN_FAMILY, 400),
    font_file!("vazirmatn-bold", PERSIAN_FAMILY, 700),
    font_file!("noto-naskh-arabic-regular", ARABIC_FAMILY, 400),
    font_file!("noto-naskh-arabic-bold", ARABIC_FAMILY, 700),
];

/// A font file with its derived names.
#[derive(Debug)]
pub struct Font {
    pub file: &'static FontFile,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// `<stem>-<first 8 hex of sha256>.woff2`.
    pub file_name: String,
}

impl Font {
    /// The URL pages name it by (absolute path on the serving host).
    #[must_use]
    pub fn url(&self) -> String {
        format!("{FONT_PATH}{}", self.file_name)
    }
}

static ALL: LazyLock<Vec<Font>> = LazyLock::new(|| {
    FONTS
        .iter()
        .map(|file| {
            let sha256 = hex::encode(Sha256::digest(file.bytes));
            let file_name = format!("{}-{}.woff2", file.stem, sha256.get(..8).unwrap_or(&sha256));
            Font {
                file,
                sha256,
                file_name,
            }
        })
        .collect()
});

/// Every font, in [`FONTS`] order.
#[must_use]
pub fn all() -> &'static [Font] {
    &ALL
}

/// The font served under `file_name`, if any.
#[must_use]
pub fn find(file_name: &str) -> Option<&'static Font> {
    ALL.iter().find(|f| f.file_name == file_name)
}

/// The vendored family a locale's text is set in (`None`: Latin script, system fonts).
#[must_use]
pub fn family_for(locale: Locale) -> Option<&'static str> {
    match locale {
        Locale::Fa => Some(PERSIAN_FAMILY),
        Locale::Ar => Some(ARABIC_FAMILY),
        Locale::En | Locale::Sq => None,
    }
}

/// The `@font-face` rules of every font (a browser downloads a face only when text uses it).
#[must_use]
pub fn font_face_css() -> &'static str {
    static CSS: LazyLock<String> = LazyLock::new(|| {
        let face = |family: &str, f: &Font, range: &str| {
            format!(
                "@font-face {{ font-family: \"{family}\"; font-style: normal; font-weight: {}; \
font-display: swap; src: url(\"{}\") format(\"woff2\"); unicode-range: {range}; }}\n",
                f.file.weight,
                f.url()
            )
        };
        let mut css = String::new();
        for f in all() {
            css.push_str(&face(f.file.family, f, UNICODE_RANGE));
        }
        for f in all().iter().filter(|f| f.file.family == PERSIAN_FAMILY) {
            css.push_str(&face(SCRIPT_FAMILY, f, ARABIC_SCRIPT_RANGE));
        }
        css
    });
    &CSS
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published pages name these files: a changed byte would change a name and break them.
    #[test]
    fn file_names_are_pinned() {
        let names: Vec<&str> = all().iter().map(|f| f.file_name.as_str()).collect();
        assert_eq!(
            names,
            [
                "vazirmatn-regular-058794a3.woff2",
                "vazirmatn-bold-721fb1c0.woff2",
                "noto-naskh-arabic-regular-db794cbd.woff2",
                "noto-naskh-arabic-bold-a27da9d9.woff2",
            ]
        );
    }

    #[test]
    fn files_are_woff2_and_found_by_name() {
        for f in all() {
            assert_eq!(&f.file.bytes[..4], b"wOF2", "{}", f.file.stem);
            assert!(find(&f.file_name).is_some_and(|x| std::ptr::eq(x, f)));
        }
        assert!(find("vazirmatn-regular.woff2").is_none());
        assert!(font_face_css().contains("font-display: swap"));
        // Every file under its own family, and the Persian ones again for Arabic script.
        assert_eq!(
            font_face_css().matches("@font-face").count(),
            FONTS.len() + 2
        );
        assert_eq!(font_face_css().matches(SCRIPT_FAMILY).count(), 2);
    }
}
