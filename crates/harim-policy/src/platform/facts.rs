//! What the platform policy is made from: the operator's facts ([`Platform`], with their
//! validation), the data map ([`MerchantDataMap`]) and the routes of the rights.

use serde::{Deserialize, Serialize};

use crate::clause::Arg;
use crate::settings::{Country, Processor, Violation, valid_email};

/// The platform operator's facts, from configuration. Every statement the policies make about
/// the platform itself comes from here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// The platform's name as merchants know it (e.g. `Harim`).
    pub name: String,
    /// Legal name of the operator (the controller of merchants' data).
    pub operator: String,
    /// Company registration number of the operator, if it has one.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// Where the operator is established.
    pub country: Country,
    /// Where merchants send privacy requests.
    pub contact_email: String,
    /// Data protection officer, if appointed.
    #[serde(default)]
    pub dpo_email: Option<String>,
    /// Who hosts the platform (servers, database, object storage).
    pub hosting_provider: String,
    /// Where the hosting provider keeps and processes the data.
    pub hosting_country: Country,
    /// The operator's own processors of merchant data besides the host.
    #[serde(default)]
    pub processors: Vec<Processor>,
    /// What every storefront collects from shop customers automatically, and for how long the
    /// platform keeps it. Shop policies must name each and may not promise a shorter period.
    #[serde(default)]
    pub storefront_collects: Vec<StorefrontCollection>,
    /// How long encrypted backups are kept before they are overwritten.
    pub backup_retention_days: u32,
    /// How long the operator's log pipeline keeps the service log (harim writes it, the
    /// operator keeps it).
    pub log_retention_days: u32,
}

/// One kind of customer data every storefront collects without the shop asking for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorefrontCollection {
    /// The category, in the shop policies' vocabulary.
    pub category: crate::settings::CustomerDataCategory,
    /// Days the platform keeps it whatever the shop's settings say; `None` when the platform
    /// keeps it exactly as long as the shop's own retention setting for it (orders, say).
    #[serde(default)]
    pub days: Option<u32>,
}

impl Platform {
    /// Checks every fact; returns all failures at once (fields prefixed `platform.`).
    ///
    /// # Errors
    /// Every [`Violation`] found.
    pub fn validate(&self) -> Result<(), Vec<Violation>> {
        let mut e = Vec::new();
        let mut bad = |field: String, code: &str, message: &str| {
            e.push(Violation::new(field, code, message));
        };
        self.check_text(&mut bad);
        self.check_periods(&mut bad);
        if e.is_empty() { Ok(()) } else { Err(e) }
    }

    /// Names, the registration number and the addresses: text a policy can state safely.
    fn check_text(&self, bad: &mut impl FnMut(String, &str, &str)) {
        let name_ok = |s: &str| {
            let n = s.trim().chars().count();
            (1..=120).contains(&n) && !s.chars().any(char::is_control)
        };
        for (field, v) in [
            ("platform.name", self.name.as_str()),
            ("platform.operator", self.operator.as_str()),
            ("platform.hosting_provider", self.hosting_provider.as_str()),
        ] {
            if !name_ok(v) {
                bad(
                    field.into(),
                    "invalid_text",
                    "Must be 1 to 120 characters without control characters.",
                );
            }
        }
        if let Some(r) = &self.registration_number
            && (r.trim().is_empty() || r.chars().count() > 60 || r.chars().any(char::is_control))
        {
            bad(
                "platform.registration_number".into(),
                "invalid_text",
                "Must be 1 to 60 characters without control characters.",
            );
        }
        if !valid_email(&self.contact_email) {
            bad(
                "platform.contact_email".into(),
                "invalid_email",
                "Must be an e-mail address.",
            );
        }
        if let Some(d) = &self.dpo_email
            && !valid_email(d)
        {
            bad(
                "platform.dpo_email".into(),
                "invalid_email",
                "Must be an e-mail address.",
            );
        }
        for (i, p) in self.processors.iter().enumerate() {
            if !name_ok(&p.name) {
                bad(
                    format!("platform.processors[{i}].name"),
                    "invalid_text",
                    "Must be 1 to 120 characters without control characters.",
                );
            }
        }
    }

    /// What the storefront collects, and the retention periods, within their ranges.
    fn check_periods(&self, bad: &mut impl FnMut(String, &str, &str)) {
        for (i, c) in self.storefront_collects.iter().enumerate() {
            if c.days.is_some_and(|d| !(1..=3650).contains(&d)) {
                bad(
                    format!("platform.storefront_collects[{i}].days"),
                    "out_of_range",
                    "Must be 1 to 3650 days.",
                );
            }
            if self.storefront_collects[..i]
                .iter()
                .any(|o| o.category == c.category)
            {
                bad(
                    format!("platform.storefront_collects[{i}].category"),
                    "duplicate",
                    "Each category once.",
                );
            }
        }
        if !(1..=3650).contains(&self.log_retention_days) {
            bad(
                "platform.log_retention_days".into(),
                "out_of_range",
                "Must be 1 to 3650 days.",
            );
        }
        if !(1..=3650).contains(&self.backup_retention_days) {
            bad(
                "platform.backup_retention_days".into(),
                "out_of_range",
                "Must be 1 to 3650 days.",
            );
        }
    }
}

/// Whose data a data-map entry is, among the people the platform policy speaks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MerchantSubject {
    /// The person behind an account.
    Account,
    /// The owner whose identity a shop registers.
    ShopOwner,
    /// A person working in a shop.
    Staff,
}

/// The legal basis of an entry (GDPR Art. 6(1); the other laws cited have the same in substance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Needed for the service the merchant signed up for.
    Contract,
    /// Required by law.
    LegalObligation,
    /// The operator's legitimate interest (security of the service).
    LegitimateInterest,
}

impl Basis {
    /// The message naming this basis.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Self::Contract => "pp-basis-contract",
            Self::LegalObligation => "pp-basis-legal-obligation",
            Self::LegitimateInterest => "pp-basis-legitimate-interest",
        }
    }
}

/// The event a period counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum From {
    /// It was written.
    Created,
    /// It was last used.
    LastUse,
    /// A reviewer decided the document.
    Decision,
    /// The export archive became ready.
    Ready,
    /// The shop was erased.
    ShopErasure,
    /// The account was erased.
    AccountErasure,
}

impl From {
    fn key(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::LastUse => "last-use",
            Self::Decision => "decision",
            Self::Ready => "ready",
            Self::ShopErasure => "shop-erasure",
            Self::AccountErasure => "account-erasure",
        }
    }
}

/// How long an entry is kept, with every number resolved from configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Period {
    /// Until the account is erased.
    WhileAccountExists,
    /// Until the shop is erased.
    WhileShopExists,
    /// A number of hours after an event (shown in days when it is whole days).
    Hours {
        /// Hours.
        hours: u32,
        /// From.
        from: From,
    },
    /// A number of days after an event.
    Days {
        /// Days.
        days: u32,
        /// From.
        from: From,
    },
    /// The shop's own KYC retention setting after the decision, with the default it starts at.
    ShopKycSetting {
        /// The default, in days.
        default_days: u32,
    },
    /// Kept as proof for as long as the installation exists; holds no personal data.
    AsProof,
    /// Kept by the operator's log pipeline for this many days.
    OperatorLogs {
        /// Days.
        days: u32,
    },
}

impl Period {
    /// The period as a message argument, every number in it.
    pub(crate) fn arg(self) -> Arg {
        let after = |from: From, period: Arg| {
            Arg::Nested(format!("pp-after-{}", from.key()), vec![("period", period)])
        };
        match self {
            Self::WhileAccountExists => Arg::Msg("pp-period-while-account".into()),
            Self::WhileShopExists => Arg::Msg("pp-period-while-shop".into()),
            Self::Hours { hours, from } if hours.is_multiple_of(24) => {
                after(from, Arg::Days(hours / 24))
            }
            Self::Hours { hours, from } => after(from, Arg::Hours(hours)),
            Self::Days { days, from } => after(from, Arg::Days(days)),
            Self::ShopKycSetting { default_days } => Arg::Nested(
                "pp-period-kyc-setting".into(),
                vec![("period", Arg::Days(default_days))],
            ),
            Self::AsProof => Arg::Msg("pp-period-as-proof".into()),
            Self::OperatorLogs { days } => Arg::Nested(
                "pp-period-operator-logs".into(),
                vec![("period", Arg::Days(days))],
            ),
        }
    }
}

/// One category of the data map, as the platform policy states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantData {
    /// The data map's category key (`account`, `identity`, ...): names the messages
    /// `pp-cat-<key>` and `pp-purpose-<key>`.
    pub category: String,
    /// Whose data it is (the first subject of the category's entries).
    pub subject: MerchantSubject,
    /// The legal bases of its entries, in first-seen order.
    pub bases: Vec<Basis>,
    /// Every distinct retention rule of its entries, each with the part of the category it
    /// applies to.
    pub periods: Vec<Kept>,
    /// Named fields (identity fields, document kinds): messages `pp-field-<name>`.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Some of it is encrypted under the shop's key (so erasure shreds it).
    pub encrypted: bool,
}

/// One retention rule of a category: which part of it (a table, an object kind, a log; the
/// message `pp-part-<part>`) and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kept {
    /// The part's key.
    pub part: String,
    /// The rule.
    pub period: Period,
}

/// The data map as the platform policy reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantDataMap {
    /// The data map's version (exports and receipts name the same).
    pub version: String,
    /// Merchant-facing categories, in the data map's order.
    pub entries: Vec<MerchantData>,
}

/// The requests that carry out each right (the HTTP contract's routes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RightsRoutes {
    /// Export everything about the signed-in person.
    pub account_export: String,
    /// Export a shop.
    pub shop_export: String,
    /// Erase the signed-in person's account.
    pub account_erasure: String,
    /// Erase a shop.
    pub shop_erasure: String,
    /// Correct the registered identity.
    pub identity_update: String,
    /// Where an erasure receipt is verified.
    pub receipt: String,
}

/// Everything the platform policy is made from; its canonical JSON is what a version hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformPolicyInputs {
    /// The operator's facts.
    pub platform: Platform,
    /// The data map.
    pub data: MerchantDataMap,
    /// The routes of the rights.
    pub routes: RightsRoutes,
    /// Days within which the operator answers a request (`account_request_response_days`).
    pub response_days: u32,
    /// Whether root keys live in a hardware security module (the configured key provider).
    pub keys_in_hsm: bool,
}
