//! Fluent messages (embedded .ftl per locale) and ICU4X dates/numbers.
//!
//! Fluent's own bidi isolation is switched off (`set_use_isolating(false)`): arguments are
//! passed as private-use sentinels and replaced by typed segments afterwards, so the HTML
//! renderer isolates them with `<bdi>` and links never contain U+2068/U+2069.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_syntax::ast::Pattern;
use icu_datetime::DateTimeFormatter;
use icu_datetime::fieldsets::YMD;
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use icu_plurals::{PluralCategory, PluralRules};

use crate::clause::Arg;
use crate::locale::{Calendar, Locale, LocaleFormat};

/// The `.ftl` file of `locale` in `dir`, embedded. A macro because `include_str!` takes only a
/// literal path; one match keeps every folder's files named by the same tags.
macro_rules! ftl_by_locale {
    ($locale:expr, $dir:literal) => {
        match $locale {
            Locale::En => include_str!(concat!($dir, "en.ftl")),
            Locale::Fa => include_str!(concat!($dir, "fa.ftl")),
            Locale::Ar => include_str!(concat!($dir, "ar.ftl")),
            Locale::Sq => include_str!(concat!($dir, "sq.ftl")),
        }
    };
}

/// The embedded Fluent sources, by locale.
#[must_use]
pub fn ftl_source(locale: Locale) -> &'static str {
    ftl_by_locale!(locale, "../locales/")
}

/// The embedded Fluent sources of the platform's own policy (`platform.rs`), by locale. They
/// join the same bundle as [`ftl_source`]'s, so both documents share one vocabulary (countries,
/// roles, durations); message ids of the platform policy start with `pp-`.
#[must_use]
pub fn platform_ftl_source(locale: Locale) -> &'static str {
    ftl_by_locale!(locale, "../locales/platform/")
}

type Bundle = FluentBundle<FluentResource>;

struct Loaded {
    bundle: Bundle,
    /// Parse or registration errors (expected empty; a test checks).
    errors: Vec<String>,
}

fn load(locale: Locale) -> Loaded {
    let mut errors = Vec::new();
    let res = parse(
        ftl_source(locale),
        &format!("{}: parse", locale.tag()),
        &mut errors,
    );
    let platform = parse(
        platform_ftl_source(locale),
        &format!("{}: platform parse", locale.tag()),
        &mut errors,
    );
    let langid: unic_langid::LanguageIdentifier = locale.tag().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    bundle.set_use_isolating(false);
    for res in [res, platform] {
        if let Err(errs) = bundle.add_resource(res) {
            errors.extend(errs.iter().map(|e| format!("{}: {e}", locale.tag())));
        }
    }
    Loaded { bundle, errors }
}

/// Parses one source, keeping what parsed; each error is recorded after `what`.
fn parse(source: &str, what: &str, errors: &mut Vec<String>) -> FluentResource {
    FluentResource::try_new(source.to_owned()).unwrap_or_else(|(r, errs)| {
        errors.extend(errs.iter().map(|e| format!("{what}: {e:?}")));
        r
    })
}

fn loaded(locale: Locale) -> &'static Loaded {
    static B: OnceLock<[Loaded; 4]> = OnceLock::new();
    let all = B.get_or_init(|| Locale::ALL.map(load));
    let i = Locale::ALL.iter().position(|l| *l == locale).unwrap_or(0);
    &all[i]
}

/// Errors found while loading a locale's .ftl (empty when healthy).
#[must_use]
pub fn load_errors(locale: Locale) -> Vec<String> {
    loaded(locale).errors.clone()
}

/// A piece of localised output, typed so each renderer can escape/isolate it properly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// Translated prose (or localised numbers/dates).
    Plain(String),
    /// User-supplied text of unknown direction.
    Text(String),
    /// E-mail address.
    Email(String),
    /// Phone number.
    Phone(String),
    /// URL.
    Url(String),
}

impl Seg {
    /// The visible text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Plain(s) | Self::Text(s) | Self::Email(s) | Self::Phone(s) | Self::Url(s) => s,
        }
    }
}

/// Joins segments into plain text (no markup, no isolation marks).
#[must_use]
pub fn plain(segs: &[Seg]) -> String {
    segs.iter().map(Seg::as_str).collect()
}

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// Formats messages of one locale with one date/number format, collecting every error.
pub struct Localizer {
    locale: Locale,
    format: LocaleFormat,
    decimal: Option<DecimalFormatter>,
    date: Option<DateTimeFormatter<YMD>>,
    /// Gregorian dates beside Umm al-Qura ones (Saudi readers expect both).
    gregorian: Option<DateTimeFormatter<YMD>>,
    plurals: Option<PluralRules>,
    /// Selectors every message gets unless its clause sets them (`$home`, `$law`): change
    /// descriptions and the page frame have no clause to carry them.
    base: Selectors,
    /// Everything that went wrong (missing messages, bad arguments, ICU data).
    pub errors: Vec<String>,
}

impl std::fmt::Debug for Localizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Localizer")
            .field("locale", &self.locale)
            .field("format", &self.format)
            .field("errors", &self.errors)
            .finish_non_exhaustive()
    }
}

/// Selector values handed down from a clause to the messages nested in it.
type Selectors = Vec<(String, String)>;

impl Localizer {
    /// A localizer for `locale` writing dates and numbers as `format` says.
    #[must_use]
    pub fn new(locale: Locale, format: LocaleFormat) -> Self {
        let mut errors = loaded(locale).errors.clone();
        let tag = format.icu_tag(locale);
        let mut formatters = (None, None, None, None);
        match icu_locale::Locale::try_from_str(&tag) {
            Ok(l) => {
                formatters.0 = DecimalFormatter::try_new((&l).into(), Default::default())
                    .map_err(|e| errors.push(format!("{tag}: decimal data: {e}")))
                    .ok();
                formatters.1 = DateTimeFormatter::try_new((&l).into(), YMD::long())
                    .map_err(|e| errors.push(format!("{tag}: date data: {e}")))
                    .ok();
                formatters.3 = PluralRules::try_new_cardinal((&l).into())
                    .map_err(|e| errors.push(format!("{tag}: plural data: {e}")))
                    .ok();
            }
            Err(e) => errors.push(format!("{tag}: bad ICU locale: {e}")),
        }
        if format.calendar == Calendar::IslamicUmalqura {
            let greg = LocaleFormat {
                calendar: Calendar::Gregorian,
                digits: format.digits,
            };
            let gtag = greg.icu_tag(locale);
            formatters.2 = icu_locale::Locale::try_from_str(&gtag)
                .map_err(|e| errors.push(format!("{gtag}: bad ICU locale: {e}")))
                .ok()
                .and_then(|l| {
                    DateTimeFormatter::try_new((&l).into(), YMD::long())
                        .map_err(|e| errors.push(format!("{gtag}: date data: {e}")))
                        .ok()
                });
        }
        let (decimal, date, gregorian, plurals) = formatters;
        Self {
            locale,
            format,
            decimal,
            date,
            gregorian,
            plurals,
            base: vec![
                ("home".to_owned(), "other".to_owned()),
                ("law".to_owned(), "other".to_owned()),
                ("case".to_owned(), "nom".to_owned()),
            ],
            errors,
        }
    }

    /// Words what no clause carries (change descriptions, the frame) for a controller in `c`:
    /// the `$home` and `$law` selectors of [`crate::doc`]'s clauses.
    pub fn set_controller_country(&mut self, c: crate::settings::Country) {
        let law = if c == crate::settings::Country::Sa {
            "sa"
        } else {
            "other"
        };
        self.base = vec![
            ("home".to_owned(), crate::doc::home_key(c).to_owned()),
            ("law".to_owned(), law.to_owned()),
            ("case".to_owned(), "nom".to_owned()),
        ];
    }

    /// The locale.
    #[must_use]
    pub fn locale(&self) -> Locale {
        self.locale
    }

    /// A number in the locale's digits.
    #[must_use]
    pub fn number(&self, n: u32) -> String {
        match &self.decimal {
            Some(f) => f.format(&Decimal::from(n)).to_string(),
            None => n.to_string(),
        }
    }

    /// The CLDR plural category of `n` in this locale (`one`, `few`, `many`, ...).
    #[must_use]
    pub fn plural_category(&self, n: u32) -> &'static str {
        match self.plurals.as_ref().map(|p| p.category_for(n)) {
            Some(PluralCategory::Zero) => "zero",
            Some(PluralCategory::One) => "one",
            Some(PluralCategory::Two) => "two",
            Some(PluralCategory::Few) => "few",
            Some(PluralCategory::Many) => "many",
            Some(PluralCategory::Other) | None => "other",
        }
    }

    /// A date in the locale's calendar and digits (e.g. `۱ فروردین ۱۴۰۴`). An Umm al-Qura date
    /// carries its Gregorian equivalent (message `date-with-gregorian`).
    pub fn date(&mut self, d: time::Date) -> String {
        let iso = match icu_calendar::Date::try_new_iso(d.year(), u8::from(d.month()), d.day()) {
            Ok(iso) => iso,
            Err(e) => {
                self.errors.push(format!("date {d}: {e}"));
                return d.to_string();
            }
        };
        let main = match &self.date {
            Some(f) => f.format(&iso).to_string(),
            None => return d.to_string(),
        };
        match &self.gregorian {
            Some(g) => {
                let greg = g.format(&iso).to_string();
                self.raw(
                    "date-with-gregorian",
                    &[("date", main), ("gregorian", greg)],
                )
            }
            None => main,
        }
    }

    /// `n` days, nominative or oblique. Never converted to years: a period set in days is
    /// enforced in days, and 3,650 of them are not ten years.
    pub fn days(&mut self, n: u32, oblique: bool) -> String {
        self.unit("days", n, oblique)
    }

    /// `n` months, nominative or oblique.
    pub fn months(&mut self, n: u32, oblique: bool) -> String {
        self.unit("months", n, oblique)
    }

    /// `n` calendar years, nominative or oblique.
    pub fn years(&mut self, n: u32, oblique: bool) -> String {
        self.unit("years", n, oblique)
    }

    /// `n` hours, nominative or oblique.
    pub fn hours(&mut self, n: u32, oblique: bool) -> String {
        self.unit("hours", n, oblique)
    }

    /// A duration: `$t` is the number as running text writes it (one to nine in words, from
    /// the locale's `spelled` message, which may agree with `$unit`), `$count` its CLDR
    /// category, `$case` nominative or oblique.
    fn unit(&mut self, id: &str, n: u32, oblique: bool) -> String {
        let digits = self.number(n);
        let t = if (1..=9).contains(&n) {
            self.raw(
                "spelled",
                &[
                    ("n", format!("n{n}")),
                    ("t", digits),
                    ("unit", id.to_owned()),
                ],
            )
        } else {
            digits
        };
        let cat = self.plural_category(n).to_owned();
        let case = if oblique { "obl" } else { "nom" }.to_owned();
        self.raw(id, &[("count", cat), ("t", t), ("case", case)])
    }

    /// ASCII digits in `s` written in the page's digits; everything else kept.
    #[must_use]
    pub fn localize_digits(&self, s: &str) -> String {
        let zero = match self.format.digits {
            crate::locale::Digits::Latin => return s.to_owned(),
            crate::locale::Digits::Arab => '\u{0660}',
            crate::locale::Digits::Arabext => '\u{06F0}',
        };
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32(u32::from(zero) + d).unwrap_or(c),
                _ => c,
            })
            .collect()
    }

    /// Formats `pattern`, the value of message `id`, recording every error.
    fn format(&mut self, id: &str, pattern: &Pattern<&str>, fargs: &FluentArgs) -> String {
        let mut errs = Vec::new();
        let out = loaded(self.locale)
            .bundle
            .format_pattern(pattern, Some(fargs), &mut errs)
            .into_owned();
        for e in errs {
            self.errors
                .push(format!("{}: `{id}`: {e}", self.locale.tag()));
        }
        out
    }

    /// Formats a message whose arguments are all plain strings.
    fn raw(&mut self, id: &str, args: &[(&str, String)]) -> String {
        let bundle = &loaded(self.locale).bundle;
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            self.errors
                .push(format!("{}: missing message `{id}`", self.locale.tag()));
            return args
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" ");
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            fargs.set(*k, v.clone());
        }
        self.format(id, pattern, &fargs)
    }

    /// The `.gender` attribute of message `id` in this locale, or `other`.
    fn gender(&mut self, id: &str) -> String {
        let bundle = &loaded(self.locale).bundle;
        let Some(attr) = bundle
            .get_message(id)
            .and_then(|m| m.get_attribute("gender"))
        else {
            return "other".into();
        };
        let mut errs = Vec::new();
        let g = bundle
            .format_pattern(attr.value(), None, &mut errs)
            .into_owned();
        for e in errs {
            self.errors
                .push(format!("{}: `{id}.gender`: {e}", self.locale.tag()));
        }
        g
    }

    /// A plain message without arguments.
    pub fn text(&mut self, id: &str) -> String {
        plain(&self.message(id, &[]))
    }

    /// Formats message `id` with `args` into typed segments. Errors are collected, and the
    /// message id is shown in place of a missing message.
    pub fn message(&mut self, id: &str, args: &[(&str, Arg)]) -> Vec<Seg> {
        let base = self.base.clone();
        self.message_in(id, args, &base)
    }

    fn message_in(&mut self, id: &str, args: &[(&str, Arg)], inherited: &Selectors) -> Vec<Seg> {
        let bundle = &loaded(self.locale).bundle;
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            self.errors
                .push(format!("{}: missing message `{id}`", self.locale.tag()));
            return vec![Seg::Plain(id.to_owned())];
        };
        let mut selectors = inherited.clone();
        for (name, arg) in args {
            match arg {
                Arg::Select(v) => selectors.push(((*name).to_owned(), v.clone())),
                Arg::Gender(of) => {
                    let g = self.gender(of);
                    selectors.push(((*name).to_owned(), g));
                }
                _ => {}
            }
        }
        let mut slots: Vec<Vec<Seg>> = Vec::new();
        let mut fargs = FluentArgs::new();
        for (k, v) in &selectors {
            fargs.set(k.clone(), v.clone());
        }
        for (name, arg) in args {
            match arg {
                Arg::Select(_) | Arg::Gender(_) => continue,
                // Selectors need the real number; the display text comes from a slot.
                Arg::Days(n) | Arg::Months(n) | Arg::Years(n) | Arg::Hours(n) | Arg::Number(n) => {
                    fargs.set(format!("{name}_n"), FluentValue::from(*n));
                    // The CLDR category from ICU4X: select on `$<name>_cat`, not on
                    // `$<name>_n`, whose Arabic rule in fluent-bundle ignores `mod 100`.
                    fargs.set(format!("{name}_cat"), self.plural_category(*n).to_owned());
                }
                _ => {}
            }
            let oblique = match arg {
                Arg::Days(n) => Some(self.days(*n, true)),
                Arg::Months(n) => Some(self.months(*n, true)),
                Arg::Years(n) => Some(self.years(*n, true)),
                Arg::Hours(n) => Some(self.hours(*n, true)),
                _ => None,
            };
            // A country also comes in the forms a preposition governs (Albanian «në Arabinë
            // Saudite», «jashtë Shqipërisë»): `$<name>_acc` and `$<name>_abl`, each the
            // country message with `$case` set; languages without cases ignore it.
            if let Arg::Msg(id) = arg
                && id.starts_with("country-")
            {
                for case in ["acc", "abl"] {
                    let mut with_case = selectors.clone();
                    with_case.push(("case".to_owned(), case.to_owned()));
                    let segs = self.message_in(id, &[], &with_case);
                    fargs.set(
                        format!("{name}_{case}"),
                        format!("{OPEN}{}{CLOSE}", slots.len()),
                    );
                    slots.push(segs);
                }
            }
            if let Some(t) = oblique {
                fargs.set(
                    format!("{name}_obl"),
                    format!("{OPEN}{}{CLOSE}", slots.len()),
                );
                slots.push(vec![Seg::Plain(t)]);
            }
            let segs = self.arg(arg, &selectors);
            fargs.set(*name, format!("{OPEN}{}{CLOSE}", slots.len()));
            slots.push(segs);
        }
        let out = self.format(id, pattern, &fargs);
        expand(&out, &mut slots)
    }

    fn arg(&mut self, arg: &Arg, selectors: &Selectors) -> Vec<Seg> {
        match arg {
            Arg::Text(s) => vec![Seg::Text(s.clone())],
            Arg::Email(s) => vec![Seg::Email(s.clone())],
            Arg::Phone(s) => vec![Seg::Phone(s.clone())],
            Arg::Url(s) => vec![Seg::Url(s.clone())],
            Arg::Number(n) => vec![Seg::Plain(self.number(*n))],
            Arg::Date(d) => vec![Seg::Plain(self.date(*d))],
            Arg::Days(n) => vec![Seg::Plain(self.days(*n, false))],
            Arg::Months(n) => vec![Seg::Plain(self.months(*n, false))],
            Arg::Years(n) => vec![Seg::Plain(self.years(*n, false))],
            Arg::Hours(n) => vec![Seg::Plain(self.hours(*n, false))],
            Arg::Digits(s) => vec![Seg::Text(self.localize_digits(s))],
            Arg::Localized(name, by_locale) => {
                let own = by_locale
                    .iter()
                    .find(|(l, _)| *l == self.locale)
                    .map_or(name, |(_, n)| n);
                vec![Seg::Text(own.clone())]
            }
            Arg::Series(items) => {
                let sep = series_separator(self.locale);
                let mut out = Vec::new();
                for (i, a) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(Seg::Plain(sep.to_owned()));
                    }
                    out.extend(self.arg(a, selectors));
                }
                out
            }
            Arg::Select(_) | Arg::Gender(_) => Vec::new(),
            Arg::Msg(id) => self.message_in(id, &[], selectors),
            Arg::Nested(id, args) => self.message_in(id, args, selectors),
            Arg::List(items) => {
                let parts: Vec<Vec<Seg>> = items.iter().map(|a| self.arg(a, selectors)).collect();
                let (sep, last) = list_separators(self.locale);
                let mut out = Vec::new();
                let n = parts.len();
                for (i, p) in parts.into_iter().enumerate() {
                    if i > 0 {
                        out.push(Seg::Plain(if i + 1 == n { last } else { sep }.to_owned()));
                    }
                    out.extend(p);
                }
                out
            }
        }
    }
}

/// Between items that may hold "and" themselves (a photo of someone holding a card).
fn series_separator(l: Locale) -> &'static str {
    match l {
        Locale::En | Locale::Sq => "; ",
        Locale::Fa | Locale::Ar => "؛ ",
    }
}

fn list_separators(l: Locale) -> (&'static str, &'static str) {
    match l {
        Locale::En => (", ", " and "),
        Locale::Fa => ("، ", " و "),
        Locale::Ar => ("، ", " و"),
        Locale::Sq => (", ", " dhe "),
    }
}

/// Replaces sentinels in `s` with their slots, merging adjacent plain text.
fn expand(s: &str, slots: &mut [Vec<Seg>]) -> Vec<Seg> {
    let mut out: Vec<Seg> = Vec::new();
    let push_plain = |out: &mut Vec<Seg>, t: &str| {
        if t.is_empty() {
            return;
        }
        if let Some(Seg::Plain(p)) = out.last_mut() {
            p.push_str(t);
        } else {
            out.push(Seg::Plain(t.to_owned()));
        }
    };
    let mut rest = s;
    while let Some(start) = rest.find(OPEN) {
        push_plain(&mut out, &rest[..start]);
        let after = &rest[start + OPEN.len_utf8()..];
        let Some(end) = after.find(CLOSE) else {
            push_plain(&mut out, after);
            return out;
        };
        let idx: Option<usize> = after[..end].parse().ok();
        match idx.and_then(|i| slots.get_mut(i)) {
            Some(slot) => {
                for seg in slot.iter().cloned() {
                    match seg {
                        Seg::Plain(t) => push_plain(&mut out, &t),
                        other => out.push(other),
                    }
                }
            }
            None => push_plain(&mut out, &after[..end]),
        }
        rest = &after[end + CLOSE.len_utf8()..];
    }
    push_plain(&mut out, rest);
    out
}

/// Every message id in a locale's .ftl sources (shop policy, then platform policy), in file order.
#[must_use]
pub fn message_ids(locale: Locale) -> Vec<String> {
    use fluent_bundle::FluentResource as R;
    let mut ids = Vec::new();
    for src in [ftl_source(locale), platform_ftl_source(locale)] {
        let res = match R::try_new(src.to_owned()) {
            Ok(r) | Err((r, _)) => r,
        };
        ids.extend(res.entries().filter_map(|e| match e {
            fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        }));
    }
    ids
}
