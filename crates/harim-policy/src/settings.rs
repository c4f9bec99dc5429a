//! The shop's privacy settings: one typed value drives the platform and the policy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::locale::{Calendar, Digits, Locale, LocaleFormat};

/// Countries a controller or recipient can be in (ISO 3166-1 alpha-2, upper case in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum Country {
    Ir,
    Al,
    Xk,
    Mk,
    Sa,
    Ae,
    Kw,
    Bh,
    Qa,
    Om,
    Tr,
    De,
    Fr,
    It,
    Ie,
    Nl,
    Mt,
    Gb,
    Us,
    Ru,
}

impl Country {
    /// Every country, in declaration order.
    pub const ALL: [Country; 20] = [
        Self::Ir,
        Self::Al,
        Self::Xk,
        Self::Mk,
        Self::Sa,
        Self::Ae,
        Self::Kw,
        Self::Bh,
        Self::Qa,
        Self::Om,
        Self::Tr,
        Self::De,
        Self::Fr,
        Self::It,
        Self::Ie,
        Self::Nl,
        Self::Mt,
        Self::Gb,
        Self::Us,
        Self::Ru,
    ];

    /// Lower-case ISO code, used in message ids (`country-ir`).
    #[must_use]
    pub fn code(self) -> &'static str {
        match self {
            Self::Ir => "ir",
            Self::Al => "al",
            Self::Xk => "xk",
            Self::Mk => "mk",
            Self::Sa => "sa",
            Self::Ae => "ae",
            Self::Kw => "kw",
            Self::Bh => "bh",
            Self::Qa => "qa",
            Self::Om => "om",
            Self::Tr => "tr",
            Self::De => "de",
            Self::Fr => "fr",
            Self::It => "it",
            Self::Ie => "ie",
            Self::Nl => "nl",
            Self::Mt => "mt",
            Self::Gb => "gb",
            Self::Us => "us",
            Self::Ru => "ru",
        }
    }

    /// Member of the EU/EEA (GDPR applies; complaint goes to a national supervisory authority).
    #[must_use]
    pub fn is_eu(self) -> bool {
        matches!(
            self,
            Self::De | Self::Fr | Self::It | Self::Ie | Self::Nl | Self::Mt
        )
    }
}

/// A category of personal data collected from the shop's customers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerDataCategory {
    /// Full name.
    Name,
    /// E-mail address.
    Email,
    /// Phone (mobile) number.
    Phone,
    /// Delivery / billing address.
    Address,
    /// Postal code.
    PostalCode,
    /// Orders placed and their contents.
    OrderHistory,
    /// Payment transaction reference (never card numbers).
    PaymentReference,
    /// IP address in server logs.
    IpAddress,
    /// Device, browser and cookie identifiers.
    DeviceCookies,
    /// Date of birth (age checks).
    BirthDate,
    /// National identification number.
    NationalId,
    /// Image of an identity document.
    IdentityDocument,
}

impl CustomerDataCategory {
    /// Every category, in declaration order.
    pub const ALL: [CustomerDataCategory; 12] = [
        Self::Name,
        Self::Email,
        Self::Phone,
        Self::Address,
        Self::PostalCode,
        Self::OrderHistory,
        Self::PaymentReference,
        Self::IpAddress,
        Self::DeviceCookies,
        Self::BirthDate,
        Self::NationalId,
        Self::IdentityDocument,
    ];

    /// Stable snake_case key (same as the JSON value).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Address => "address",
            Self::PostalCode => "postal_code",
            Self::OrderHistory => "order_history",
            Self::PaymentReference => "payment_reference",
            Self::IpAddress => "ip_address",
            Self::DeviceCookies => "device_cookies",
            Self::BirthDate => "birth_date",
            Self::NationalId => "national_id",
            Self::IdentityDocument => "identity_document",
        }
    }

    /// Which retention period governs this category.
    #[must_use]
    pub fn retention_kind(self) -> RetentionKind {
        match self {
            Self::Name | Self::Email | Self::Phone | Self::Address | Self::PostalCode => {
                RetentionKind::CustomerAccounts
            }
            Self::BirthDate => RetentionKind::CustomerAccounts,
            Self::OrderHistory | Self::PaymentReference => RetentionKind::Orders,
            Self::IpAddress | Self::DeviceCookies => RetentionKind::ServerLogs,
            Self::NationalId | Self::IdentityDocument => RetentionKind::KycDocuments,
        }
    }

    /// W3C DPV personal-data concept for the JSON-LD output.
    #[must_use]
    pub fn dpv(self) -> &'static str {
        match self {
            Self::Name => "pd:Name",
            Self::Email => "pd:EmailAddress",
            Self::Phone => "pd:TelephoneNumber",
            Self::Address => "pd:PhysicalAddress",
            Self::PostalCode => "pd:PostalCode",
            Self::OrderHistory => "pd:PurchasesAndSpendingHabit",
            Self::PaymentReference => "pd:TransactionalData",
            Self::IpAddress => "pd:IPAddress",
            Self::DeviceCookies => "pd:BrowsingBehavior",
            Self::BirthDate => "pd:DateOfBirth",
            Self::NationalId => "pd:NationalIdentificationNumber",
            Self::IdentityDocument => "pd:OfficialID",
        }
    }
}

/// One collected category and whether the customer must provide it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectedData {
    /// What is collected.
    pub category: CustomerDataCategory,
    /// `true`: needed to place an order; `false`: the customer may leave it out.
    pub required: bool,
}

/// A category the customer must give to place an order.
pub(crate) const fn req(category: CustomerDataCategory) -> CollectedData {
    CollectedData {
        category,
        required: true,
    }
}

/// A category the customer may leave out.
pub(crate) const fn opt(category: CustomerDataCategory) -> CollectedData {
    CollectedData {
        category,
        required: false,
    }
}

/// Order notification channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    /// The shop receives an e-mail for every order (with the customer's order details).
    pub order_email: bool,
    /// The customer gets text messages about the order (owner's choice). Needs an SMS processor.
    pub order_sms: bool,
    /// The shop sends offers by text message to customers who consented. Needs an SMS processor.
    #[serde(default)]
    pub marketing_sms: bool,
    /// The shop sends offers by e-mail to customers who consented.
    #[serde(default)]
    pub marketing_email: bool,
}

/// A third-party analytics / event-monitoring service.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalyticsService {
    /// Google Analytics (Google LLC, US).
    GoogleAnalytics,
    /// Matomo Cloud (InnoCraft, servers in Germany).
    Matomo,
    /// Yandex Metrica (Yandex, Russia).
    YandexMetrica,
    /// Hotjar (Hotjar Ltd, Malta).
    Hotjar,
    /// Microsoft Clarity (Microsoft, US).
    MicrosoftClarity,
    /// Any other service; validated (name 1..=80 printable chars, https URL).
    Custom {
        /// Display name.
        name: String,
        /// The service's privacy page (https).
        url: String,
        /// Where the service processes data.
        country: Country,
    },
}

impl AnalyticsService {
    /// Display name (a brand name, same in every language).
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Self::GoogleAnalytics => "Google Analytics",
            Self::Matomo => "Matomo",
            Self::YandexMetrica => "Yandex Metrica",
            Self::Hotjar => "Hotjar",
            Self::MicrosoftClarity => "Microsoft Clarity",
            Self::Custom { name, .. } => name,
        }
    }

    /// Stable id for clause ids (`analytics.google_analytics`, `analytics.custom.<name>`).
    #[must_use]
    pub fn key(&self) -> String {
        match self {
            Self::GoogleAnalytics => "google_analytics".into(),
            Self::Matomo => "matomo".into(),
            Self::YandexMetrica => "yandex_metrica".into(),
            Self::Hotjar => "hotjar".into(),
            Self::MicrosoftClarity => "microsoft_clarity".into(),
            Self::Custom { name, .. } => format!("custom.{}", slugify(name)),
        }
    }

    /// Whether the service can build a profile of a visitor (cross-session identifiers, session
    /// recordings, heatmaps, audience segments). Only Matomo, as configured by the platform, is
    /// known not to; a custom service is unknown, so it is not claimed to be profile-free.
    #[must_use]
    pub fn may_profile(&self) -> bool {
        !matches!(self, Self::Matomo)
    }

    /// Country where the service processes data.
    #[must_use]
    pub fn country(&self) -> Country {
        match self {
            Self::GoogleAnalytics | Self::MicrosoftClarity => Country::Us,
            Self::Matomo => Country::De,
            Self::YandexMetrica => Country::Ru,
            Self::Hotjar => Country::Mt,
            Self::Custom { country, .. } => *country,
        }
    }
}

/// A payment gateway the shop accepts. Card data stays with the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentGateway {
    /// Zarinpal (Iran).
    Zarinpal,
    /// IDPay (Iran).
    Idpay,
    /// Behpardakht Mellat (Iran).
    Behpardakht,
    /// Saman Electronic Payment, SEP (Iran).
    Saman,
    /// Raiffeisen Bank e-commerce POS (Albania).
    RaiffeisenPos,
    /// HyperPay (Saudi Arabia; mada cards).
    Hyperpay,
    /// Moyasar (Saudi Arabia; mada cards).
    Moyasar,
    /// Tap Payments (Kuwait; Gulf region).
    Tap,
    /// Telr (United Arab Emirates).
    Telr,
    /// Stripe (US).
    Stripe,
    /// PayPal (US).
    Paypal,
}

impl PaymentGateway {
    /// Every gateway, in declaration order.
    pub const ALL: [PaymentGateway; 11] = [
        Self::Zarinpal,
        Self::Idpay,
        Self::Behpardakht,
        Self::Saman,
        Self::RaiffeisenPos,
        Self::Hyperpay,
        Self::Moyasar,
        Self::Tap,
        Self::Telr,
        Self::Stripe,
        Self::Paypal,
    ];

    /// Stable snake_case key; also the suffix of its message id (`gateway-zarinpal`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Zarinpal => "zarinpal",
            Self::Idpay => "idpay",
            Self::Behpardakht => "behpardakht",
            Self::Saman => "saman",
            Self::RaiffeisenPos => "raiffeisen_pos",
            Self::Hyperpay => "hyperpay",
            Self::Moyasar => "moyasar",
            Self::Tap => "tap",
            Self::Telr => "telr",
            Self::Stripe => "stripe",
            Self::Paypal => "paypal",
        }
    }

    /// Country where the gateway processes payments.
    #[must_use]
    pub fn country(self) -> Country {
        match self {
            Self::Zarinpal | Self::Idpay | Self::Behpardakht | Self::Saman => Country::Ir,
            Self::RaiffeisenPos => Country::Al,
            Self::Hyperpay | Self::Moyasar => Country::Sa,
            Self::Tap => Country::Kw,
            Self::Telr => Country::Ae,
            Self::Stripe | Self::Paypal => Country::Us,
        }
    }
}

/// What a processor does for the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessorRole {
    /// Sends text messages.
    Sms,
    /// Sends e-mail.
    Email,
    /// Hosting / infrastructure beyond the platform itself.
    Hosting,
    /// Shipping / delivery.
    Shipping,
    /// Customer support tooling.
    Support,
}

impl ProcessorRole {
    /// Stable key; also the suffix of its message id (`role-sms`).
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
            Self::Hosting => "hosting",
            Self::Shipping => "shipping",
            Self::Support => "support",
        }
    }
}

/// A vendor processing customer data on the shop's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Processor {
    /// What it does.
    pub role: ProcessorRole,
    /// Vendor name (1..=80 printable characters).
    pub name: String,
    /// Where it processes data.
    pub country: Country,
    /// The vendor's name as readers of one language write it (`fa`: «کاوه‌نگار» for
    /// Kavenegar); languages not listed show `name`. Absent from the canonical form when empty.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub localized_names: BTreeMap<Locale, String>,
}

impl Processor {
    /// A processor known by one name in every language.
    #[must_use]
    pub fn new(role: ProcessorRole, name: &str, country: Country) -> Self {
        Self {
            role,
            name: name.to_owned(),
            country,
            localized_names: BTreeMap::new(),
        }
    }
}

/// A retention period kind (keys of [`Retention`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionKind {
    /// `customer_accounts_days`.
    CustomerAccounts,
    /// `orders_days`.
    Orders,
    /// `server_logs_days`.
    ServerLogs,
    /// `kyc_documents_after_decision_days`.
    KycDocuments,
    /// `after_account_deletion_days`.
    AfterAccountDeletion,
}

impl RetentionKind {
    /// Every kind, in declaration order.
    pub const ALL: [RetentionKind; 5] = [
        Self::CustomerAccounts,
        Self::Orders,
        Self::ServerLogs,
        Self::KycDocuments,
        Self::AfterAccountDeletion,
    ];

    /// The settings field name.
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::CustomerAccounts => "customer_accounts_days",
            Self::Orders => "orders_days",
            Self::ServerLogs => "server_logs_days",
            Self::KycDocuments => "kyc_documents_after_decision_days",
            Self::AfterAccountDeletion => "after_account_deletion_days",
        }
    }

    /// Allowed range in days.
    #[must_use]
    pub fn range(self) -> (u32, u32) {
        match self {
            Self::CustomerAccounts => (30, 3660),
            Self::Orders => (30, 4000),
            Self::ServerLogs => (1, 400),
            Self::KycDocuments => (1, 3660),
            Self::AfterAccountDeletion => (1, 90),
        }
    }
}

/// Retention periods in days. The same numbers feed the policy text and the purge jobs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Customer account and contact data, counted from the customer's last activity (30..=3660).
    pub customer_accounts_days: u32,
    /// Orders and payment references, counted from the order (30..=4000); 0 (absent) when
    /// `orders_years` states the period.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub orders_days: u32,
    /// Orders and payment references in whole years (1..=15), for a period the law sets in
    /// years (tax and commercial records): enforced by the calendar, so a leap day never makes
    /// the purge early. Set either this or `orders_days`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orders_years: Option<u32>,
    /// Server logs, IP addresses and device data (1..=400).
    pub server_logs_days: u32,
    /// Identity documents, counted from the verification decision (1..=3660).
    pub kyc_documents_after_decision_days: u32,
    /// Erasure of what is left after a customer deletes their account (1..=90).
    pub after_account_deletion_days: u32,
}

/// A retention period as the settings state it: days, or whole calendar years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionPeriod {
    /// A number of days.
    Days(u32),
    /// A number of calendar years.
    Years(u32),
}

impl RetentionPeriod {
    /// The earliest moment, counted back from `now`, whose records are still inside the period:
    /// what is older than the result is due. Years go back by the calendar; a 29 February that
    /// the target year lacks becomes 28 February, which keeps records a day longer, never less.
    #[must_use]
    pub fn cutoff(self, now: time::OffsetDateTime) -> time::OffsetDateTime {
        match self {
            Self::Days(d) => now - time::Duration::days(i64::from(d)),
            Self::Years(y) => shift_years(now, -i64::from(y)),
        }
    }

    /// The moment the period that starts at `start` ends. Years go forward by the calendar; a
    /// 29 February that the target year lacks becomes 1 March, so the end is never early.
    #[must_use]
    pub fn end(self, start: time::OffsetDateTime) -> time::OffsetDateTime {
        match self {
            Self::Days(d) => start + time::Duration::days(i64::from(d)),
            Self::Years(y) => shift_years(start, i64::from(y)),
        }
    }

    /// The longest this period can be, in days (a year counted as 366): for comparisons with
    /// periods stated in days, where the longer reading is the safe one.
    #[must_use]
    pub fn max_days(self) -> u32 {
        match self {
            Self::Days(d) => d,
            Self::Years(y) => y.saturating_mul(366),
        }
    }
}

/// `t` moved by `years` calendar years. A 29 February that the target year lacks moves to
/// 28 February going back and to 1 March going forward (the longer retention either way).
fn shift_years(t: time::OffsetDateTime, years: i64) -> time::OffsetDateTime {
    let d = t.date();
    let target = i64::from(d.year()).saturating_add(years);
    let Ok(year) = i32::try_from(target) else {
        return t;
    };
    let moved = time::Date::from_calendar_date(year, d.month(), d.day()).or_else(|_| {
        if years < 0 {
            time::Date::from_calendar_date(year, time::Month::February, 28)
        } else {
            time::Date::from_calendar_date(year, time::Month::March, 1)
        }
    });
    match moved {
        Ok(m) => t.replace_date(m),
        Err(_) => t,
    }
}

impl Retention {
    /// The period for one kind, in the unit the settings state it in. Enforcement reads this.
    #[must_use]
    pub fn period(&self, kind: RetentionKind) -> RetentionPeriod {
        match (kind, self.orders_years) {
            (RetentionKind::Orders, Some(y)) => RetentionPeriod::Years(y),
            _ => RetentionPeriod::Days(self.days(kind)),
        }
    }

    /// The period for one kind in days; a period set in years gives its longest reading
    /// ([`RetentionPeriod::max_days`]). For comparisons and display, not for purging.
    #[must_use]
    pub fn days(&self, kind: RetentionKind) -> u32 {
        match kind {
            RetentionKind::CustomerAccounts => self.customer_accounts_days,
            RetentionKind::Orders => self
                .orders_years
                .map_or(self.orders_days, |y| RetentionPeriod::Years(y).max_days()),
            RetentionKind::ServerLogs => self.server_logs_days,
            RetentionKind::KycDocuments => self.kyc_documents_after_decision_days,
            RetentionKind::AfterAccountDeletion => self.after_account_deletion_days,
        }
    }
}

/// How customers reach the shop about privacy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Required e-mail for privacy requests.
    pub email: String,
    /// Optional phone number (digits, spaces, `+`, `-`, parentheses).
    #[serde(default)]
    pub phone: Option<String>,
    /// Optional postal address.
    #[serde(default)]
    pub address: Option<String>,
}

/// Who is responsible for the customers' data: the shop, never the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    /// Legal name of the person or company running the shop.
    pub legal_name: String,
    /// Commercial / company registration number, if any.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// Country of establishment (decides the complaint authority and what counts as a transfer).
    pub country: Country,
    /// Data-protection officer e-mail, if one is appointed.
    #[serde(default)]
    pub dpo_email: Option<String>,
    /// VAT registration number, if the controller has one (Saudi readers expect it beside the
    /// commercial registration). Absent from the canonical form when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_number: Option<String>,
}

/// What a storefront cookie is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CookiePurpose {
    /// Basket, sign-in, checkout: set without consent.
    Essential,
    /// Set only after the visitor agrees to analytics.
    Analytics,
}

/// One cookie the storefront sets, named as the browser shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cookie {
    /// The cookie's name (1..=64 of `A-Z a-z 0-9 _ - .`).
    pub name: String,
    /// What it is for.
    pub purpose: CookiePurpose,
    /// Days it lasts (1..=730); 0: until the browser is closed.
    pub lifetime_days: u32,
}

/// What the shop promises beyond the data it collects. Each `true` (or cookie listed) adds a
/// clause; each is off by default and absent from the canonical form while off, so settings
/// stored before these existed keep their hash.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Practices {
    /// The shop sells no customer data and does not rent or trade it for value.
    #[serde(default, skip_serializing_if = "is_false")]
    pub no_sale: bool,
    /// Everyone working for the shop is bound to keep customer data confidential.
    #[serde(default, skip_serializing_if = "is_false")]
    pub staff_confidentiality: bool,
    /// Customers sign in with a password they choose (so they are asked to keep it secret).
    #[serde(default, skip_serializing_if = "is_false")]
    pub customer_passwords: bool,
    /// The storefront links to other sites, whose handling of data this policy does not cover.
    #[serde(default, skip_serializing_if = "is_false")]
    pub external_links: bool,
    /// If the shop is sold, merged or closed, what becomes of the data is stated.
    #[serde(default, skip_serializing_if = "is_false")]
    pub business_transfer: bool,
    /// The shop shows the eNamad trust badge (Iranian controllers only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub enamad: bool,
    /// The shop sends its invoices to the Iranian tax system (سامانهٔ مؤدیان; Iranian
    /// controllers only).
    #[serde(default, skip_serializing_if = "is_false")]
    pub tax_e_invoices: bool,
    /// The cookies the storefront sets, with their lifetimes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<Cookie>,
}

impl Practices {
    /// Nothing promised: the form settings had before these fields existed.
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// Date/number format of one published language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocaleSettings {
    /// The language.
    pub locale: Locale,
    /// Calendar for dates in that language.
    pub calendar: Calendar,
    /// Digits in that language.
    pub digits: Digits,
}

impl LocaleSettings {
    /// The customary setting of a language (see [`LocaleFormat::customary`]).
    #[must_use]
    pub fn customary(locale: Locale) -> Self {
        let f = LocaleFormat::customary(locale);
        Self {
            locale,
            calendar: f.calendar,
            digits: f.digits,
        }
    }

    /// The format part.
    #[must_use]
    pub fn format(&self) -> LocaleFormat {
        LocaleFormat {
            calendar: self.calendar,
            digits: self.digits,
        }
    }
}

/// Everything the policy says, as data. See the crate docs for the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Categories collected from customers, each required or optional. No duplicates.
    pub customer_data: Vec<CollectedData>,
    /// Order notification channels.
    pub notifications: Notifications,
    /// Analytics / event-monitoring services (empty: none, and no analytics clause).
    pub analytics: Vec<AnalyticsService>,
    /// Payment gateways offered at checkout.
    pub payment_gateways: Vec<PaymentGateway>,
    /// Vendors processing customer data for the shop (besides the platform).
    pub processors: Vec<Processor>,
    /// Retention periods.
    pub retention: Retention,
    /// Days within which privacy requests are answered (1..=30).
    pub response_days: u32,
    /// Days after a customer's last order during which their erasure waits (chargebacks and
    /// disputes, as Shopify's six months); 0..=180, 0 (absent): erased at once. Absent from the
    /// canonical form when 0, so policy hashes made before the setting existed still hold.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub erasure_hold_days: u32,
    /// Privacy contact.
    pub contact: Contact,
    /// The controller (the shop's legal identity).
    pub controller: Controller,
    /// Promises and storefront facts beyond the data collected (absent: none).
    #[serde(default, skip_serializing_if = "Practices::is_default")]
    pub practices: Practices,
    /// Minimum customer age (13..=21).
    pub minimum_age: u8,
    /// Published languages with their calendar and digits. Non-empty, no duplicates.
    pub locales: Vec<LocaleSettings>,
    /// Default language; must be one of `locales`.
    pub default_locale: Locale,
}

impl Default for PrivacySettings {
    /// Modelled on the Persian shop-builder policy the project started from: buyers give name,
    /// e-mail, phone, address and postal code; the shop gets an e-mail for every order; order SMS
    /// is on (owner's choice). Contact, controller name and the SMS processor are left empty on
    /// purpose, so the default does not validate until the owner fills them in.
    fn default() -> Self {
        use CustomerDataCategory as C;
        Self {
            customer_data: vec![
                req(C::Name),
                opt(C::Email),
                req(C::Phone),
                req(C::Address),
                req(C::PostalCode),
                req(C::OrderHistory),
                req(C::PaymentReference),
                req(C::IpAddress),
                req(C::DeviceCookies),
            ],
            notifications: Notifications {
                order_email: true,
                order_sms: true,
                marketing_sms: false,
                marketing_email: false,
            },
            analytics: Vec::new(),
            payment_gateways: vec![PaymentGateway::Zarinpal],
            processors: Vec::new(),
            retention: Retention {
                customer_accounts_days: 1095,
                orders_days: 1825,
                orders_years: None,
                server_logs_days: 90,
                kyc_documents_after_decision_days: 365,
                after_account_deletion_days: 30,
            },
            response_days: 30,
            erasure_hold_days: 0,
            contact: Contact::default(),
            controller: Controller {
                legal_name: String::new(),
                registration_number: None,
                country: Country::Ir,
                dpo_email: None,
                vat_number: None,
            },
            practices: Practices::default(),
            minimum_age: 18,
            locales: vec![LocaleSettings::customary(Locale::Fa)],
            default_locale: Locale::Fa,
        }
    }
}

/// One validation failure (`harim_violation::Violation`, the type every layer reports with):
/// `field` a JSON path (`retention.orders_days`, `processors[1].name`); `code` one of
/// `required`, `out_of_range`, `duplicate`, `invalid_email`, `invalid_phone`, `invalid_text`,
/// `invalid_url`, `missing_processor`, `not_in_locales`, `unused_processor`; `message` an English
/// explanation for developers.
pub use harim_violation::Violation;

impl PrivacySettings {
    /// Checks every rule; returns all failures at once. Only valid settings can be published.
    ///
    /// # Errors
    /// Every [`Violation`] found.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut e = Vec::new();
        self.check_customer_data(&mut e);
        self.check_vendors(&mut e);
        self.check_periods(&mut e);
        self.check_contact_and_controller(&mut e);
        self.check_age_and_locales(&mut e);
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// The categories, and what order SMS needs of them and of the processors.
    fn check_customer_data(&self, e: &mut Vec<Violation>) {
        if self.customer_data.is_empty() {
            e.push(Violation::new(
                "customer_data",
                "required",
                "at least one category",
            ));
        }
        for (i, d) in self.customer_data.iter().enumerate() {
            if self.customer_data[..i]
                .iter()
                .any(|o| o.category == d.category)
            {
                e.push(Violation::new(
                    format!("customer_data[{i}].category"),
                    "duplicate",
                    format!("{} listed twice", d.category.key()),
                ));
            }
        }
        let collects = |c| self.customer_data.iter().any(|d| d.category == c);
        if self.notifications.order_sms {
            if !collects(CustomerDataCategory::Phone) {
                e.push(Violation::new(
                    "notifications.order_sms",
                    "requires_phone",
                    "order SMS needs the phone category in customer_data",
                ));
            }
            if !self.processors.iter().any(|p| p.role == ProcessorRole::Sms) {
                e.push(Violation::new(
                    "notifications.order_sms",
                    "missing_processor",
                    "order SMS needs a processor with role sms",
                ));
            }
        }
        if self.notifications.marketing_sms {
            if !collects(CustomerDataCategory::Phone) {
                e.push(Violation::new(
                    "notifications.marketing_sms",
                    "requires_phone",
                    "marketing SMS needs the phone category in customer_data",
                ));
            }
            if !self.processors.iter().any(|p| p.role == ProcessorRole::Sms) {
                e.push(Violation::new(
                    "notifications.marketing_sms",
                    "missing_processor",
                    "marketing SMS needs a processor with role sms",
                ));
            }
        }
        if self.notifications.marketing_email && !collects(CustomerDataCategory::Email) {
            e.push(Violation::new(
                "notifications.marketing_email",
                "requires_email",
                "marketing e-mail needs the email category in customer_data",
            ));
        }
        if !self.notifications.order_sms
            && !self.notifications.marketing_sms
            && let Some(i) = self
                .processors
                .iter()
                .position(|p| p.role == ProcessorRole::Sms)
        {
            e.push(Violation::new(
                format!("processors[{i}].role"),
                "unused_processor",
                "an SMS processor is configured but order SMS is off",
            ));
        }
    }

    /// Analytics services, payment gateways and processors: each once, each well named.
    fn check_vendors(&self, e: &mut Vec<Violation>) {
        for (i, a) in self.analytics.iter().enumerate() {
            if self.analytics[..i].contains(a) {
                e.push(Violation::new(
                    format!("analytics[{i}]"),
                    "duplicate",
                    "service listed twice",
                ));
            }
            if let AnalyticsService::Custom { name, url, .. } = a {
                check_text(e, &format!("analytics[{i}].custom.name"), name, 80);
                if !valid_https_url(url) {
                    e.push(Violation::new(
                        format!("analytics[{i}].custom.url"),
                        "invalid_url",
                        "an https:// URL without spaces or quotes, at most 200 characters",
                    ));
                }
            }
        }
        for (i, g) in self.payment_gateways.iter().enumerate() {
            if self.payment_gateways[..i].contains(g) {
                e.push(Violation::new(
                    format!("payment_gateways[{i}]"),
                    "duplicate",
                    "gateway listed twice",
                ));
            }
        }
        for (i, p) in self.processors.iter().enumerate() {
            check_text(e, &format!("processors[{i}].name"), &p.name, 80);
            if self.processors[..i]
                .iter()
                .any(|o| o.role == p.role && o.name == p.name)
            {
                e.push(Violation::new(
                    format!("processors[{i}]"),
                    "duplicate",
                    "processor listed twice",
                ));
            }
        }
    }

    /// Retention periods and the response time, within their ranges.
    fn check_periods(&self, e: &mut Vec<Violation>) {
        if let Some(y) = self.retention.orders_years {
            if !(1..=15).contains(&y) {
                e.push(Violation::new(
                    "retention.orders_years",
                    "out_of_range",
                    "must be between 1 and 15 years",
                ));
            }
            if self.retention.orders_days != 0 {
                e.push(Violation::new(
                    "retention.orders_days",
                    "conflict",
                    "give orders_days or orders_years, not both",
                ));
            }
        }
        for kind in RetentionKind::ALL {
            if kind == RetentionKind::Orders && self.retention.orders_years.is_some() {
                continue;
            }
            let (lo, hi) = kind.range();
            let v = self.retention.days(kind);
            if v < lo || v > hi {
                e.push(Violation::new(
                    format!("retention.{}", kind.field()),
                    "out_of_range",
                    format!("must be between {lo} and {hi} days"),
                ));
            }
        }
        if self.erasure_hold_days > 180 {
            e.push(Violation::new(
                "erasure_hold_days",
                "out_of_range",
                "must be at most 180 days (0: erase at once)",
            ));
        }
        if !(1..=30).contains(&self.response_days) {
            e.push(Violation::new(
                "response_days",
                "out_of_range",
                "must be between 1 and 30 days",
            ));
        }
    }

    /// The contact and the controller: addresses that work, text that renders safely.
    fn check_contact_and_controller(&self, e: &mut Vec<Violation>) {
        if !valid_email(&self.contact.email) {
            e.push(Violation::new(
                "contact.email",
                "invalid_email",
                "a plain e-mail address is required",
            ));
        }
        if let Some(p) = &self.contact.phone
            && !valid_phone(p)
        {
            e.push(Violation::new(
                "contact.phone",
                "invalid_phone",
                "5..=20 digits with optional +, spaces, dashes or parentheses",
            ));
        }
        if let Some(a) = &self.contact.address {
            check_text(e, "contact.address", a, 300);
        }
        check_text(e, "controller.legal_name", &self.controller.legal_name, 160);
        if let Some(r) = &self.controller.registration_number {
            check_text(e, "controller.registration_number", r, 60);
        }
        if let Some(d) = &self.controller.dpo_email
            && !valid_email(d)
        {
            e.push(Violation::new(
                "controller.dpo_email",
                "invalid_email",
                "a plain e-mail address",
            ));
        }
        if let Some(v) = &self.controller.vat_number {
            check_text(e, "controller.vat_number", v, 40);
        }
        for (i, p) in self.processors.iter().enumerate() {
            for (l, n) in &p.localized_names {
                check_text(
                    e,
                    &format!("processors[{i}].localized_names.{}", l.tag()),
                    n,
                    80,
                );
            }
        }
        self.check_practices(e);
    }

    /// Iranian-only promises only for Iranian controllers; cookies well named, each once, with
    /// a lifetime in range.
    fn check_practices(&self, e: &mut Vec<Violation>) {
        let p = &self.practices;
        for (on, field) in [(p.enamad, "enamad"), (p.tax_e_invoices, "tax_e_invoices")] {
            if on && self.controller.country != Country::Ir {
                e.push(Violation::new(
                    format!("practices.{field}"),
                    "not_applicable",
                    "only for a controller in Iran",
                ));
            }
        }
        for (i, c) in p.cookies.iter().enumerate() {
            let ok_name = (1..=64).contains(&c.name.len())
                && c.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
            if !ok_name {
                e.push(Violation::new(
                    format!("practices.cookies[{i}].name"),
                    "invalid_text",
                    "1..=64 of A-Z a-z 0-9 _ - .",
                ));
            }
            if p.cookies[..i].iter().any(|o| o.name == c.name) {
                e.push(Violation::new(
                    format!("practices.cookies[{i}].name"),
                    "duplicate",
                    "cookie listed twice",
                ));
            }
            if c.lifetime_days > 730 {
                e.push(Violation::new(
                    format!("practices.cookies[{i}].lifetime_days"),
                    "out_of_range",
                    "at most 730 days (0: until the browser closes)",
                ));
            }
        }
    }

    /// The minimum age, and the published languages with the default among them.
    fn check_age_and_locales(&self, e: &mut Vec<Violation>) {
        if !(13..=21).contains(&self.minimum_age) {
            e.push(Violation::new(
                "minimum_age",
                "out_of_range",
                "must be between 13 and 21",
            ));
        }
        if self.locales.is_empty() {
            e.push(Violation::new(
                "locales",
                "required",
                "at least one language",
            ));
        }
        for (i, l) in self.locales.iter().enumerate() {
            if self.locales[..i].iter().any(|o| o.locale == l.locale) {
                e.push(Violation::new(
                    format!("locales[{i}].locale"),
                    "duplicate",
                    "language listed twice",
                ));
            }
        }
        if !self.locales.iter().any(|l| l.locale == self.default_locale) {
            e.push(Violation::new(
                "default_locale",
                "not_in_locales",
                "the default language must be one of locales",
            ));
        }
    }

    /// Whether a category is collected.
    #[must_use]
    pub fn collects(&self, c: CustomerDataCategory) -> bool {
        self.customer_data.iter().any(|d| d.category == c)
    }

    /// The stored format of a locale, or its customary format when the shop does not publish it.
    #[must_use]
    pub fn format_for(&self, locale: Locale) -> LocaleFormat {
        self.locales
            .iter()
            .find(|l| l.locale == locale)
            .map_or_else(|| LocaleFormat::customary(locale), LocaleSettings::format)
    }

    /// Published languages.
    #[must_use]
    pub fn published_locales(&self) -> Vec<Locale> {
        self.locales.iter().map(|l| l.locale).collect()
    }
}

fn check_text(e: &mut Vec<Violation>, field: &str, v: &str, max: usize) {
    let n = v.chars().count();
    if v.trim().is_empty() || n > max || !harim_text::is_clean(v) {
        e.push(Violation::new(
            field,
            "invalid_text",
            format!("1..={max} characters, no control, bidi-override or invisible characters"),
        ));
    }
}

/// A deliberately strict e-mail check: `local@domain.tld`, ASCII, no spaces/quotes/angle brackets.
#[must_use]
pub fn valid_email(v: &str) -> bool {
    if v.len() > 254 || !v.is_ascii() {
        return false;
    }
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    let ok_local = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b));
    let ok_domain = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    ok_local && ok_domain
}

/// Phone: optional leading `+`, 5..=20 digits, spaces, dashes, parentheses.
#[must_use]
pub fn valid_phone(v: &str) -> bool {
    let body = v.strip_prefix('+').unwrap_or(v);
    let digits = body.bytes().filter(u8::is_ascii_digit).count();
    (5..=20).contains(&digits)
        && v.len() <= 30
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b" -()".contains(&b))
}

/// `https://` URL without whitespace, quotes or angle brackets, at most 200 characters.
#[must_use]
pub fn valid_https_url(v: &str) -> bool {
    v.len() <= 200
        && v.strip_prefix("https://").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_graphic() && !b"\"'<>\\`".contains(&b))
        })
}

pub(crate) fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let t = out.trim_matches('_');
    if t.is_empty() { "x".into() } else { t.into() }
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}
