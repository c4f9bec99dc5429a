//! `harim-policy`: privacy settings in, privacy policy out.
//!
//! Pure: a validated [`PrivacySettings`] value plus [`ShopFacts`] become a structured
//! [`PolicyDocument`], rendered as HTML, Markdown and JSON(-LD) in English, Persian, Arabic and
//! Albanian. Must never: do IO, touch a database, or be async.
//!
//! # The policy cannot lie
//! The same settings drive the platform and the text: a clause exists **if and only if** a
//! setting calls for it (e.g. `notifications.order_sms` exactly when order SMS is on;
//! `analytics.services` only when analytics is non-empty, naming each service). The shop is the
//! controller of its customers' data; the platform and every configured vendor appear as
//! recipients. [`check_consistency`] refuses settings that fail to name what the platform stores.
//!
//! # API
//! ```text
//! PrivacySettings::validate(&self) -> Result<(), Vec<Violation>>   // {field: "retention.orders_days", code, message}
//! negotiate(query_lang: Option<&str>, accept_language: Option<&str>, available: &[Locale], default: Locale) -> Locale
//! compile(&PrivacySettings, &ShopFacts) -> PolicyDocument            // sections + clauses with stable ids
//! render_html(&PolicyDocument, &PolicyMeta, Locale, &LocaleFormat) -> String
//! render_markdown(&PolicyDocument, &PolicyMeta, Locale, &LocaleFormat) -> String
//! render_json(&PolicyDocument, &PolicyMeta, Locale, &LocaleFormat) -> serde_json::Value   // JSON-LD, W3C DPV
//! try_render_html / try_render_markdown -> Result<String, RenderError>  // fail on any missing message
//! diff(old: &PrivacySettings, new: &PrivacySettings) -> Vec<Change>; Change::describe(Locale) -> String
//! canonical_json(&PrivacySettings) -> String
//! version_hash(prev_hash: Option<&str>, canonical_settings: &str, rendered: &[&str]) -> String   // hex SHA-256
//! check_consistency(&PrivacySettings, &PlatformFacts) -> Result<(), Vec<Inconsistency>>
//! ```
//! The format of a locale is stored in the settings ([`PrivacySettings::format_for`]):
//! Persian uses the Solar Hijri calendar and Persian digits, Arabic Arabic-Indic digits with the
//! Gregorian or Umm al-Qura calendar, as the shop chose. Text comes from Project Fluent files
//! embedded per locale (`locales/*.ftl`); dates and numbers from ICU4X.
//!
//! # Publishing (done by the caller)
//! `validate` → `compile` → render every published locale → `canonical_json` →
//! `version_hash(previous, canonical, docs)`; changes come from `diff(previous_settings, new)`.

mod clause;
mod compile;
pub mod consent;
mod consistency;
mod delta;
mod diff;
mod doc;
pub mod examples;
pub mod fonts;
mod hash;
pub mod i18n;
mod locale;
mod meta;
pub mod platform;
mod render;
mod settings;

pub use clause::{Arg, Clause};
pub use compile::{compile, gateway_brand};
pub use consistency::{
    Inconsistency, PlatformFacts, ProcessorRef, check_consistency, vault_field_category,
};
pub use diff::{Change, diff, sample_changes};
pub use doc::{Audience, CategoryEntry, PolicyDocument, Recipient, Section, ShopFacts};
pub use hash::{canonical_json, canonical_json_of, version_hash};
pub use locale::{Calendar, Digits, Direction, Locale, LocaleFormat, negotiate};
pub use meta::{HistoryEntry, PolicyMeta};
pub use render::{
    RenderError, escape_html, render_html, render_json, render_markdown, try_render_html,
    try_render_markdown,
};
pub use settings::{
    AnalyticsService, CollectedData, Contact, Controller, Cookie, CookiePurpose, Country,
    CustomerDataCategory, LocaleSettings, Notifications, PaymentGateway, Practices,
    PrivacySettings, Processor, ProcessorRole, Retention, RetentionKind, RetentionPeriod,
    Violation, valid_email, valid_https_url, valid_phone,
};
