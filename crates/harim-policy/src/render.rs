//! HTML, Markdown and JSON(-LD) renderers.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::clause::{Arg, Clause};
use crate::doc::{PolicyDocument, Section};
use crate::fonts;
use crate::i18n::{Localizer, Seg, plain};
use crate::locale::{Locale, LocaleFormat};
use crate::meta::{HistoryEntry, PolicyMeta};

/// Errors found while rendering (missing messages, fluent argument errors, ICU data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy rendering failed: {}", .0.join("; "))]
pub struct RenderError(pub Vec<String>);

/// Sections whose clauses (other than the `*.intro` one) read as a bulleted list.
fn is_list_section(id: &str) -> bool {
    matches!(
        id,
        "data"
            | "recipients"
            | "transfers"
            | "retention"
            | "rights"
            | "cookies"
            | "contact"
            | "developers"
    )
}

/// Clauses that read as a paragraph even inside a list section.
fn is_intro(c: &Clause) -> bool {
    c.id.ends_with(".intro")
        || matches!(
            c.id.as_str(),
            "data.consequences"
                | "data.generated_intro"
                | "transfers.safeguards"
                | "rights.how"
                | "rights.page"
                | "rights.complain"
                | "cookies.essential"
                | "cookies.analytics"
        )
}

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A short name (`Amazon SES`, `stc cloud`) is kept on one line: a line break inside a Latin
/// name in right-to-left text reorders its words. Longer text may wrap as prose does.
fn nowrap(t: &str) -> &'static str {
    if t.chars().count() <= 32 {
        " class=\"nw\""
    } else {
        ""
    }
}

fn segs_html(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Plain(t) => out.push_str(&escape_html(t)),
            Seg::Text(t) => {
                let _ = write!(out, "<bdi{}>{}</bdi>", nowrap(t), escape_html(t));
            }
            Seg::Email(e) => {
                let e = escape_html(e);
                let _ = write!(
                    out,
                    "<bdi dir=\"ltr\" class=\"nw\"><a href=\"mailto:{e}\">{e}</a></bdi>"
                );
            }
            Seg::Phone(p) => {
                let href: String = p
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                let _ = write!(
                    out,
                    "<bdi dir=\"ltr\" class=\"nw\"><a href=\"tel:{}\">{}</a></bdi>",
                    escape_html(&href),
                    escape_html(p)
                );
            }
            Seg::Url(u) => {
                let u = escape_html(u);
                let _ = write!(out, "<bdi dir=\"ltr\"><a href=\"{u}\">{u}</a></bdi>");
            }
        }
    }
    out
}

/// Escapes user text for Markdown (and for HTML that Markdown passes through).
fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '!'
            | '|' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// U+2066 LEFT-TO-RIGHT ISOLATE: opens an always-LTR token (e-mail, phone, URL, Latin text).
const LRI: &str = "\u{2066}";
/// U+2068 FIRST STRONG ISOLATE: opens free text whose direction is unknown.
const FSI: &str = "\u{2068}";
/// U+2069 POP DIRECTIONAL ISOLATE: closes either.
const PDI: &str = "\u{2069}";

fn is_rtl_char(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08FF}' | '\u{FB1D}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// Text with no right-to-left letter and at least one Latin letter or digit: always LTR.
fn is_ltr_text(t: &str) -> bool {
    !t.chars().any(is_rtl_char)
        && t.chars()
            .any(|c| c.is_ascii_alphanumeric() || is_latin_letter(c))
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || (c.is_alphabetic() && ('\u{00C0}'..='\u{024F}').contains(&c))
}

/// Wraps each run of Latin words inside right-to-left prose (`IP`, `HTTPS`, `SDAIA`) in
/// LRI…PDI, so neighbouring punctuation and digits keep their places.
fn isolate_latin_runs(t: &str) -> String {
    isolate_runs(
        t,
        LRI,
        is_latin_letter,
        |c| c.is_ascii_digit(),
        &[' ', '.', '-', '&'],
    )
}

/// Wraps each run of right-to-left words (a Persian or Arabic name in a change description of an
/// English or Albanian page) in FSI…PDI, as `segs_md` isolates such names in the clauses.
fn isolate_rtl_runs(t: &str) -> String {
    isolate_runs(t, FSI, is_rtl_char, |c| c == '\u{200C}', &[' '])
}

/// Wraps each run in `open`…PDI. A run starts at a `starts` character and goes on through
/// `starts` and `inside` characters; a `joiner` inside it must be followed by one of them (so a
/// run of words joined by single spaces or dots ends on a word, never on the joiner).
fn isolate_runs(
    t: &str,
    open: &str,
    starts: fn(char) -> bool,
    inside: fn(char) -> bool,
    joiners: &[char],
) -> String {
    let chars: Vec<char> = t.chars().collect();
    let part = |c: char| starts(c) || inside(c);
    let mut out = String::with_capacity(t.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        if !starts(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            let c = chars[j];
            if part(c) {
                j += 1;
                end = j;
            } else if joiners.contains(&c) && chars.get(j + 1).is_some_and(|n| part(*n)) {
                j += 1;
            } else {
                break;
            }
        }
        out.push_str(open);
        out.extend(&chars[start..end]);
        out.push_str(PDI);
        i = end;
    }
    out
}

/// Markdown for typed segments. In right-to-left text, LTR tokens are wrapped in LRI…PDI and
/// free text in FSI…PDI (Markdown has no `<bdi>`); the marks stay outside the link syntax, so
/// no `mailto:`/`tel:` target ever contains one.
fn segs_md(segs: &[Seg], rtl: bool) -> String {
    let mut out = String::new();
    for s in segs {
        let always_ltr = match s {
            Seg::Email(_) | Seg::Phone(_) | Seg::Url(_) => true,
            // In left-to-right text only a name holding right-to-left letters needs isolating.
            Seg::Text(t) => is_ltr_text(t) || (!rtl && !t.chars().any(is_rtl_char)),
            Seg::Plain(_) => false,
        };
        let (o, c) = wrap(rtl, always_ltr);
        match s {
            Seg::Plain(t) => {
                let t = t.replace(['<', '>'], "");
                if rtl {
                    out.push_str(&isolate_latin_runs(&t));
                } else {
                    out.push_str(&t);
                }
            }
            Seg::Text(t) => {
                let _ = write!(out, "{o}{}{c}", escape_md(t));
            }
            Seg::Email(e) => {
                let _ = write!(out, "{o}[{}](mailto:{e}){c}", escape_md(e));
            }
            Seg::Phone(p) => {
                let href: String = p
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '+')
                    .collect();
                let _ = write!(out, "{o}[{}](tel:{href}){c}", escape_md(p));
            }
            Seg::Url(u) => {
                let _ = write!(out, "{o}<{u}>{c}");
            }
        }
    }
    out
}

/// The isolate marks around one token: none in LTR text, LRI…PDI for an always-LTR token,
/// FSI…PDI for free text.
fn wrap(rtl: bool, ltr: bool) -> (&'static str, &'static str) {
    match (rtl, ltr) {
        (false, true) => ("", ""),
        // A Persian or Arabic name in English or Albanian text: isolated, so a following
        // comma or number is not drawn inside it.
        (false, false) => (FSI, PDI),
        (true, true) => (LRI, PDI),
        (true, false) => (FSI, PDI),
    }
}

/// (section id, title, [(clause id, is paragraph, text)]).
type LocalSection = (String, String, Vec<(String, bool, Vec<Seg>)>);

struct Rendered {
    title: Vec<Seg>,
    intro: Vec<Seg>,
    updated: Vec<Seg>,
    date_iso: String,
    sections: Vec<LocalSection>,
    history_title: String,
    history: Vec<(u32, String, String, Vec<String>)>,
    toc: String,
    footer: Vec<Seg>,
}

fn localize(doc: &PolicyDocument, meta: &PolicyMeta, l: &mut Localizer) -> Rendered {
    let shop = Arg::Text(doc.shop.shop_name.clone());
    let (title_id, intro_id, footer_id) = doc.audience.frame();
    let title = l.message(title_id, &[("shop", shop.clone())]);
    let intro = l.message(intro_id, &[("shop", shop)]);
    let updated = l.message(
        "last-updated",
        &[
            ("date", Arg::Date(meta.effective_at)),
            ("version", Arg::Number(meta.version)),
        ],
    );
    let sections = doc
        .sections
        .iter()
        .map(|s: &Section| {
            let title = l.text(&format!("section-{}", s.id));
            let clauses = s
                .clauses
                .iter()
                .map(|c| (c.id.clone(), is_intro(c), l.message(c.message, &c.args)))
                .collect();
            (s.id.to_owned(), title, clauses)
        })
        .collect();
    let history_title = l.text("history-title");
    let mut hist: Vec<&HistoryEntry> = meta.history.iter().collect();
    hist.sort_by_key(|h| std::cmp::Reverse(h.version));
    let history = hist
        .into_iter()
        .map(|h| {
            let d = l.date(h.effective_at);
            let label = plain(&l.message("history-entry", &[("version", Arg::Number(h.version))]));
            let changes = if h.changes.is_empty() {
                vec![l.text("history-first")]
            } else {
                // A change is one plain sentence: on a left-to-right page, a right-to-left name
                // in it is isolated here, as the clauses' names are by their segments.
                let ltr = l.locale().direction() == crate::locale::Direction::Ltr;
                h.changes
                    .iter()
                    .map(|c| {
                        let t = c.describe_with(l);
                        if ltr { isolate_rtl_runs(&t) } else { t }
                    })
                    .collect()
            };
            (h.version, label, d, changes)
        })
        .collect();
    let toc = l.text("toc");
    let footer = l.message(
        footer_id,
        &[("platform", Arg::Text(doc.shop.platform_name.clone()))],
    );
    Rendered {
        title,
        intro,
        updated,
        date_iso: meta.effective_at.to_string(),
        sections,
        history_title,
        history,
        toc,
        footer,
    }
}

/// The page's style sheet (after the `@font-face` rules of [`fonts::font_face_css`]). Arabic
/// falls back to Vazirmatn, not to a system font, for what Noto Naskh Arabic lacks (Latin
/// letters of names and addresses, some punctuation), so Persian and Arabic pages are drawn
/// with vendored faces only; Naskh runs small at a given size, hence 1.125rem. Other pages
/// put `Harim Arabic Script` (Vazirmatn for Arabic-script code points only) first, so a
/// Persian or Arabic shop name on an English or Albanian page needs no installed font either.
const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 48rem; padding: 1.5rem 1.25rem 3rem; color: #1b1b1b; background: #fff;
  font-family: "Harim Arabic Script", system-ui, "Segoe UI", "Noto Sans", Arial, sans-serif; font-size: 1rem; line-height: 1.6; }
:lang(fa) { font-family: "Harim Vazirmatn", Tahoma, sans-serif; }
:lang(ar) { font-family: "Harim Noto Naskh Arabic", "Harim Vazirmatn", Tahoma, sans-serif; }
body:lang(fa), body:lang(ar) { line-height: 1.9; }
body:lang(ar) { font-size: 1.125rem; }
.langs a:lang(ar) { font-size: 1.1em; }
.langs { list-style: none; margin: 0 0 .5rem; padding: 0; display: flex; flex-wrap: wrap; gap: .25rem 1rem; font-size: .95rem; }
.langs li { margin: 0; }
.langs [aria-current] { font-weight: 700; color: #1b1b1b; text-decoration: none; }
header { border-block-end: 3px solid #2d5b8c; padding-block-end: .75rem; margin-block-end: 1rem; }
.shop { margin: 0; color: #2d5b8c; font-weight: 600; }
h1 { font-size: 1.65rem; margin: .2rem 0 .4rem; line-height: 1.3; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; padding-block-end: .2rem; border-block-end: 1px solid #d6dde5; }
.meta { color: #4a4a4a; margin: 0; }
nav { background: #f4f7fa; border: 1px solid #d6dde5; border-radius: 6px; padding: .5rem 1rem; }
nav h2 { border: 0; margin: .25rem 0; font-size: 1rem; }
nav ol { margin: 0; padding-inline-start: 1.5rem; columns: 2; column-gap: 2rem; }
ul, ol { padding-inline-start: 1.5rem; }
.nu-arabext ol { list-style-type: persian; }
.nu-arab ol { list-style-type: arabic-indic; }
li { margin-block: .25rem; }
a { color: #0b57d0; }
.nw { white-space: nowrap; }
a:focus-visible { outline: 2px solid #0b57d0; outline-offset: 2px; }
.history time { font-weight: 600; }
footer { margin-top: 2.5rem; padding-top: .75rem; border-top: 1px solid #d6dde5; color: #4a4a4a; font-size: .9rem; }
@media (max-width: 36rem) { nav ol { columns: 1; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; color: #000; }
  nav { display: none; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  li, p { break-inside: avoid; }
}
"#;

/// Each language named in itself, for the language links.
fn native_name(l: Locale) -> &'static str {
    match l {
        Locale::En => "English",
        Locale::Fa => "فارسی",
        Locale::Ar => "العربية",
        Locale::Sq => "Shqip",
    }
}

/// `<link rel="alternate" hreflang>` for every published locale (this one included, as search
/// engines expect) and `x-default` for the default one. Relative (`?lang=`): the same frozen
/// page is served at the version's own URL and at the policy's, and the links must work from
/// both. Nothing for a single locale.
fn alternate_links(meta: &PolicyMeta) -> String {
    let mut out = String::new();
    if meta.alternates.len() < 2 {
        return out;
    }
    for l in &meta.alternates {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" hreflang=\"{0}\" href=\"?lang={0}\">",
            l.tag()
        );
    }
    if let Some(d) = meta.alternates.first() {
        let _ = writeln!(
            out,
            "<link rel=\"alternate\" hreflang=\"x-default\" href=\"?lang={}\">",
            d.tag()
        );
    }
    out
}

/// The visible language links: each language in its own name, script and direction (so a
/// screen reader switches voice and the Persian name is set in the Persian face even on an
/// English page); the page's own language is marked `aria-current`.
fn language_links(meta: &PolicyMeta, current: Locale) -> String {
    let mut out = String::new();
    if meta.alternates.len() < 2 {
        return out;
    }
    out.push_str("<ul class=\"langs\">\n");
    for l in Locale::ALL.iter().filter(|l| meta.alternates.contains(l)) {
        let tag = l.tag();
        let _ = writeln!(
            out,
            "<li><a href=\"?lang={tag}\" hreflang=\"{tag}\" lang=\"{tag}\" dir=\"{}\"{}>{}</a></li>",
            l.direction().as_str(),
            if *l == current {
                " aria-current=\"true\""
            } else {
                ""
            },
            native_name(*l)
        );
    }
    out.push_str("</ul>\n");
    out
}

/// The rendered text, or every localisation error met while rendering it.
fn checked((text, errors): (String, Vec<String>)) -> Result<String, RenderError> {
    if errors.is_empty() {
        Ok(text)
    } else {
        Err(RenderError(errors))
    }
}

/// Renders a standalone, accessible HTML page, collecting any localisation error.
///
/// # Errors
/// [`RenderError`] listing missing messages or formatting failures.
pub fn try_render_html(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> Result<String, RenderError> {
    checked(html(doc, meta, locale, format))
}

fn html(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> (String, Vec<String>) {
    let mut l = Localizer::new(locale, *format);
    l.set_controller_country(doc.controller_country);
    let r = localize(doc, meta, &mut l);
    let mut h = String::with_capacity(16 * 1024);
    let title_text = escape_html(&plain(&r.title));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"{}\" dir=\"{}\" class=\"nu-{}\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title_text}</title>\n\
{}<style>\n{}{CSS}</style>\n</head>\n<body>\n",
        locale.tag(),
        locale.direction().as_str(),
        match format.digits {
            crate::locale::Digits::Latin => "latn",
            crate::locale::Digits::Arab => "arab",
            crate::locale::Digits::Arabext => "arabext",
        },
        alternate_links(meta),
        fonts::font_face_css(),
    );
    let _ = write!(
        h,
        "<header>\n{}<p class=\"shop\"><bdi>{}</bdi></p>\n<h1>{}</h1>\n<p class=\"meta\"><time datetime=\"{}\">{}</time></p>\n</header>\n",
        language_links(meta, locale),
        escape_html(&doc.shop.shop_name),
        segs_html(&r.title),
        r.date_iso,
        segs_html(&r.updated)
    );
    let _ = write!(
        h,
        "<nav aria-labelledby=\"toc-title\">\n<h2 id=\"toc-title\">{}</h2>\n<ol>\n",
        escape_html(&r.toc)
    );
    for (id, title, _) in &r.sections {
        let _ = writeln!(h, "<li><a href=\"#{id}\">{}</a></li>", escape_html(title));
    }
    let _ = write!(
        h,
        "<li><a href=\"#history\">{}</a></li>\n</ol>\n</nav>\n<main>\n<p>{}</p>\n",
        escape_html(&r.history_title),
        segs_html(&r.intro)
    );
    html_sections(&mut h, &r.sections);
    html_history(&mut h, &r);
    let _ = write!(
        h,
        "</ol>\n</section>\n</main>\n<footer>\n<p>{}</p>\n</footer>\n</body>\n</html>\n",
        segs_html(&r.footer)
    );
    (h, l.errors)
}

/// Every section of the page: a list where the section is one, paragraphs elsewhere.
fn html_sections(h: &mut String, sections: &[LocalSection]) {
    for (id, title, clauses) in sections {
        let _ = write!(
            h,
            "<section id=\"{id}\" aria-labelledby=\"h-{id}\">\n<h2 id=\"h-{id}\">{}</h2>\n",
            escape_html(title)
        );
        let list = is_list_section(id);
        let mut open = false;
        for (cid, intro, segs) in clauses {
            let body = segs_html(segs);
            let cid = escape_html(cid);
            if list && !intro {
                if !open {
                    h.push_str("<ul>\n");
                    open = true;
                }
                let _ = writeln!(h, "<li id=\"{cid}\" data-clause=\"{cid}\">{body}</li>");
            } else {
                if open {
                    h.push_str("</ul>\n");
                    open = false;
                }
                let _ = writeln!(h, "<p id=\"{cid}\" data-clause=\"{cid}\">{body}</p>");
            }
        }
        if open {
            h.push_str("</ul>\n");
        }
        h.push_str("</section>\n");
    }
}

/// The update history, newest first, each version with its changes.
fn html_history(h: &mut String, r: &Rendered) {
    let _ = write!(
        h,
        "<section id=\"history\" class=\"history\" aria-labelledby=\"h-history\">\n<h2 id=\"h-history\">{}</h2>\n<ol reversed>\n",
        escape_html(&r.history_title)
    );
    for (_, label, date, changes) in &r.history {
        let _ = write!(
            h,
            "<li><time>{}</time> — {}\n<ul>\n",
            escape_html(date),
            escape_html(label)
        );
        for c in changes {
            let _ = writeln!(h, "<li>{}</li>", escape_html(c));
        }
        h.push_str("</ul>\n</li>\n");
    }
}

/// Renders a standalone HTML page. Localisation errors (none in a healthy build; tests check)
/// show the message id in place of the text.
#[must_use]
pub fn render_html(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> String {
    html(doc, meta, locale, format).0
}

/// Renders Markdown, collecting any localisation error.
///
/// # Errors
/// [`RenderError`] listing missing messages or formatting failures.
pub fn try_render_markdown(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> Result<String, RenderError> {
    checked(markdown(doc, meta, locale, format))
}

fn markdown(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> (String, Vec<String>) {
    let mut l = Localizer::new(locale, *format);
    l.set_controller_country(doc.controller_country);
    let r = localize(doc, meta, &mut l);
    let rtl = locale.direction() == crate::locale::Direction::Rtl;
    let prose = |t: &str| {
        if rtl {
            isolate_latin_runs(t)
        } else {
            t.to_owned()
        }
    };
    let mut m = String::new();
    let _ = write!(
        m,
        "# {}\n\n{}\n\n{}\n",
        segs_md(&r.title, rtl),
        segs_md(&r.updated, rtl),
        segs_md(&r.intro, rtl)
    );
    for (id, title, clauses) in &r.sections {
        let _ = write!(m, "\n## {}\n", prose(title));
        let list = is_list_section(id);
        let mut in_list = false;
        for (_, intro, segs) in clauses {
            if list && !intro {
                if !in_list {
                    m.push('\n');
                    in_list = true;
                }
                let _ = writeln!(m, "- {}", segs_md(segs, rtl));
            } else {
                in_list = false;
                let _ = write!(m, "\n{}\n", segs_md(segs, rtl));
            }
        }
    }
    let _ = write!(m, "\n## {}\n\n", prose(&r.history_title));
    for (_, label, date, changes) in &r.history {
        let _ = writeln!(m, "- **{date}** — {}", prose(label));
        for c in changes {
            let _ = writeln!(m, "  - {}", prose(&escape_md(c)));
        }
    }
    let _ = write!(m, "\n---\n\n{}\n", segs_md(&r.footer, rtl));
    (m, l.errors)
}

/// Renders Markdown; any localisation error shows the message id in place of the text.
#[must_use]
pub fn render_markdown(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> String {
    markdown(doc, meta, locale, format).0
}

/// Renders the structured policy as JSON-LD using W3C DPV terms, with clause ids and the
/// localised text of every clause.
#[must_use]
pub fn render_json(
    doc: &PolicyDocument,
    meta: &PolicyMeta,
    locale: Locale,
    format: &LocaleFormat,
) -> Value {
    let mut l = Localizer::new(locale, *format);
    l.set_controller_country(doc.controller_country);
    let r = localize(doc, meta, &mut l);
    let sections: Vec<Value> = r
        .sections
        .iter()
        .map(|(id, title, clauses)| {
            json!({
                "id": id,
                "title": title,
                "clauses": clauses.iter().map(|(cid, _, segs)| json!({"id": cid, "text": plain(segs)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut hist: Vec<&HistoryEntry> = meta.history.iter().collect();
    hist.sort_by_key(|h| std::cmp::Reverse(h.version));
    let history: Vec<Value> = hist
        .iter()
        .map(|h| {
            json!({
                "version": h.version,
                "effective_at": h.effective_at.to_string(),
                "changes": h.changes.iter().map(|c| json!({"change": c, "text": c.describe_with(&mut l)})).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "@context": {
            "dpv": "https://w3id.org/dpv#",
            "pd": "https://w3id.org/dpv/pd#",
            "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
        },
        "@type": ["dpv:PrivacyNotice", "eu-gdpr:DirectDataCollectionNotice"],
        "language": locale.tag(),
        "direction": locale.direction().as_str(),
        "version": meta.version,
        // The hash of this version cannot be inside the bytes it covers; the public route adds
        // it as the last member when serving (docs/API.md, "privacy.json and the hash chain").
        "previous_hash": meta.previous_hash,
        "alternates": meta.alternates.iter().map(|l| l.tag()).collect::<Vec<_>>(),
        "effective_at": meta.effective_at.to_string(),
        "effective_at_localized": l.date(meta.effective_at),
        "title": plain(&r.title),
        "shop": {"name": doc.shop.shop_name, "slug": doc.shop.slug, "url": doc.shop.public_url},
        "dpv:hasDataController": {
            "@type": "dpv:DataController",
            "name": doc.controller_name,
            "country": doc.controller_country,
            "contact_email": doc.contact_email,
        },
        "dpv:hasPersonalData": doc.categories.iter().map(|c| json!({
            "@type": c.category.dpv(),
            "category": c.category,
            "required": c.required,
            "retention": c.retention,
            "dpv:hasStorageCondition": {"@type": "dpv:StorageDuration", "days": c.retention_days},
        })).collect::<Vec<_>>(),
        "dpv:hasRecipient": doc.recipients.iter().map(|r| json!({
            "@type": if r.kind == "platform" || r.kind == "processor" { "dpv:DataProcessor" } else { "dpv:Recipient" },
            "name": r.name,
            "kind": r.kind,
            "country": r.country,
            "third_country": r.country != doc.controller_country,
        })).collect::<Vec<_>>(),
        "sections": sections,
        "history": history,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::compile;
    use crate::examples::{history_meta, saudi_shop};

    #[test]
    fn pages_link_every_published_language_and_name_the_vendored_fonts() {
        let (s, shop) = saudi_shop();
        let doc = compile(&s, &shop);
        // The language order this test was written against (Persian first as x-default).
        let meta = PolicyMeta {
            alternates: vec![Locale::Fa, Locale::En, Locale::Ar, Locale::Sq],
            ..history_meta(&s)
        };
        for l in Locale::ALL {
            let h = try_render_html(&doc, &meta, l, &s.format_for(l)).unwrap();
            for a in &meta.alternates {
                let t = a.tag();
                assert!(
                    h.contains(&format!(
                        "<link rel=\"alternate\" hreflang=\"{t}\" href=\"?lang={t}\">"
                    )),
                    "{l:?}: no alternate for {t}"
                );
                assert!(h.contains(&format!("lang=\"{t}\" dir=\"{}\"", a.direction().as_str())));
            }
            // x-default is the default language (first).
            assert!(
                h.contains("hreflang=\"x-default\" href=\"?lang=fa\""),
                "{l:?}"
            );
            for name in ["English", "فارسی", "العربية", "Shqip"] {
                assert!(h.contains(&format!(">{name}</a>")), "{l:?}: {name}");
            }
            assert_eq!(h.matches("aria-current=\"true\"").count(), 1, "{l:?}");
            for f in fonts::all() {
                assert!(h.contains(&format!("url(\"{}\")", f.url())), "{l:?}");
            }
            assert!(h.contains(":lang(fa) { font-family: \"Harim Vazirmatn\""));
            assert!(h.contains(
                ":lang(ar) { font-family: \"Harim Noto Naskh Arabic\", \"Harim Vazirmatn\""
            ));
        }
        // One published language: nothing to link to.
        let single = PolicyMeta {
            alternates: vec![Locale::Ar],
            ..meta.clone()
        };
        let h = try_render_html(&doc, &single, Locale::Ar, &s.format_for(Locale::Ar)).unwrap();
        assert!(!h.contains("hreflang") && !h.contains("class=\"langs\""));
        let j = render_json(&doc, &meta, Locale::Ar, &s.format_for(Locale::Ar));
        assert_eq!(j["previous_hash"], meta.previous_hash.unwrap());
        assert_eq!(j["alternates"], serde_json::json!(["fa", "en", "ar", "sq"]));
        assert!(j.get("hash").is_none());
    }
}
