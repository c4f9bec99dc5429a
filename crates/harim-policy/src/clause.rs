//! The words a document is made of: [`Arg`] values, [`Clause`]s, and the small builders every
//! compiler and change list uses to write them.
//!
//! A leaf: it depends only on the settings' vocabulary, so documents, change lists and the
//! localizer can all speak it without depending on one another.

use serde::Serialize;

use crate::settings::{Country, ProcessorRole};

/// A value substituted into a clause's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Arg {
    /// Free text from settings (isolated with `<bdi>` in HTML).
    Text(String),
    /// An e-mail address (`mailto:` link, always LTR).
    Email(String),
    /// A phone number (`tel:` link, always LTR).
    Phone(String),
    /// An https URL (link, always LTR).
    Url(String),
    /// A number of days (plural-aware; one to nine spelled out where the language does so).
    /// Always days: 3,650 days are not ten years. The message gets `$name` (nominative) and
    /// `$name_obl` (the form after "within"/"from": Arabic genitive, Albanian ablative), and
    /// chooses.
    Days(u32),
    /// A number of months (same slots as `Days`).
    Months(u32),
    /// A number of calendar years (same slots as `Days`).
    Years(u32),
    /// A number of hours (same slots as `Days`).
    Hours(u32),
    /// Free text whose ASCII digits are written in the page's digits (registration numbers).
    Digits(String),
    /// A name with its spellings by language; `Text` of the first when the page's language has
    /// none of its own.
    Localized(String, Vec<(crate::locale::Locale, String)>),
    /// Items of a list that may contain "and" themselves, joined by the locale's semicolon.
    Series(Vec<Arg>),
    /// A value used only to select a variant (`[sa]`, `[required]`); never shown. It is passed on
    /// to nested `Msg` arguments too, so one selector reaches every message of a clause.
    Select(String),
    /// The grammatical gender of another message's noun, read from that message's `.gender`
    /// attribute in the current locale (`other` when it has none); used only to select.
    Gender(String),
    /// A plain localised number.
    Number(u32),
    /// Another message, by id (e.g. `cat-email`, `country-us`).
    Msg(String),
    /// A date in the locale's calendar and digits.
    Date(time::Date),
    /// A list joined with the locale's separator.
    List(Vec<Arg>),
    /// Another message, by id, with its own arguments (e.g. a period counted from an event).
    Nested(String, Vec<(&'static str, Arg)>),
}

/// One clause: a stable id, the message that words it, and its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Clause {
    /// Stable id, e.g. `notifications.order_sms`.
    pub id: String,
    /// Fluent message id.
    pub message: &'static str,
    /// Named arguments.
    pub args: Vec<(&'static str, Arg)>,
}

/// A clause with id `id`, worded by `message` with `args`.
pub(crate) fn clause(
    id: impl Into<String>,
    message: &'static str,
    args: Vec<(&'static str, Arg)>,
) -> Clause {
    Clause {
        id: id.into(),
        message,
        args,
    }
}

/// Free text, shown as given (isolated in HTML).
pub(crate) fn text(s: &str) -> Arg {
    Arg::Text(s.to_owned())
}

/// Another message, by id.
pub(crate) fn msg(s: impl Into<String>) -> Arg {
    Arg::Msg(s.into())
}

/// A country by its name in the reader's language (`country-*`).
pub(crate) fn country(c: Country) -> Arg {
    msg(format!("country-{}", c.code()))
}

/// A settings key as it appears in message ids: Fluent ids use `-` where keys use `_`.
pub(crate) fn key_id(s: &str) -> String {
    s.replace('_', "-")
}

/// Selector for the wording of a required or optional item.
pub(crate) fn need(required: bool) -> Arg {
    Arg::Select(if required { "required" } else { "optional" }.into())
}

/// Selector for sentences about a list: `one` item takes the singular (Albanian and Persian
/// verbs agree with it), anything else the plural.
pub(crate) fn how_many(n: usize) -> Arg {
    Arg::Select(if n == 1 { "one" } else { "other" }.into())
}

/// A processor's role by its name in the reader's language (`role-*`).
pub(crate) fn role(r: ProcessorRole) -> Arg {
    msg(format!("role-{}", r.key()))
}

/// The arguments of a period that changed from `from` to `to` days.
pub(crate) fn days_from_to(from: u32, to: u32) -> Vec<(&'static str, Arg)> {
    vec![("from", Arg::Days(from)), ("to", Arg::Days(to))]
}
