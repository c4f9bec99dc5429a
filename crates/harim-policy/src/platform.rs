//! The platform's own privacy policy, for its merchants: what the platform operator holds about
//! the people who run shops on it (their account, their identity for know-your-customer checks,
//! their staff, their access keys, the audit trail) and why.
//!
//! Nothing here is written by hand per installation. The inputs are the operator's facts
//! ([`Platform`], from the `[platform]` section of the configuration), the data map
//! ([`MerchantDataMap`], built by the store from its typed declaration of every table, object
//! and log) and the routes that carry out the rights ([`RightsRoutes`]). [`compile_platform`]
//! turns them into the same [`PolicyDocument`] the shop policies use, so the same renderers,
//! version hash chain and change lists apply. A data-map entry without words in some locale is a
//! missing message, which fails `try_render_*`: new storage cannot go unmentioned.

use serde::{Deserialize, Serialize};

use crate::doc::{
    Arg, Audience, Clause, PolicyDocument, Recipient, Section, ShopFacts, add_law_selector,
    complaint_authority, processor_recipient,
};
use crate::settings::{Country, FieldError, Processor, ProcessorRole, valid_email};

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
    /// Every [`FieldError`] found.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        let mut bad = |field: String, code: &str, message: &str| {
            e.push(FieldError {
                field,
                code: code.into(),
                message: message.into(),
            });
        };
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
        if e.is_empty() { Ok(()) } else { Err(e) }
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
    fn message(self) -> &'static str {
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
    fn arg(self) -> Arg {
        let after = |from: From, unit: &str, n: u32| {
            let (id, a) = match unit {
                "hours" => (
                    format!("pp-after-{}-hours", from.key()),
                    ("period", Arg::Number(n)),
                ),
                _ => (format!("pp-after-{}", from.key()), ("period", Arg::Days(n))),
            };
            Arg::Nested(id, vec![a])
        };
        match self {
            Self::WhileAccountExists => Arg::Msg("pp-period-while-account".into()),
            Self::WhileShopExists => Arg::Msg("pp-period-while-shop".into()),
            Self::Hours { hours, from } if hours.is_multiple_of(24) => {
                after(from, "days", hours / 24)
            }
            Self::Hours { hours, from } => after(from, "hours", hours),
            Self::Days { days, from } => after(from, "days", days),
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

fn clause(id: impl Into<String>, message: &'static str, args: Vec<(&'static str, Arg)>) -> Clause {
    Clause {
        id: id.into(),
        message,
        args,
    }
}

fn text(s: &str) -> Arg {
    Arg::Text(s.to_owned())
}

/// A route or an identifier: isolated like any text, so it keeps its direction in RTL pages.
fn code(s: &str) -> Arg {
    Arg::Text(s.to_owned())
}

fn msg(s: impl Into<String>) -> Arg {
    Arg::Msg(s.into())
}

fn country(c: Country) -> Arg {
    msg(format!("country-{}", c.code()))
}

fn key_id(s: &str) -> String {
    s.replace('_', "-")
}

/// Builds the platform's policy for its merchants. Every clause exists because a fact or a
/// data-map entry calls for it.
#[must_use]
pub fn compile_platform(i: &PlatformPolicyInputs) -> PolicyDocument {
    let p = &i.platform;
    let name = || text(&p.name);
    let mut sections = Vec::new();

    // 1. Controller.
    let mut c = vec![
        clause(
            "controller.identity",
            "pp-controller-identity",
            vec![("operator", text(&p.operator)), ("platform", name())],
        ),
        clause(
            "controller.country",
            "pp-controller-country",
            vec![("country", country(p.country))],
        ),
    ];
    if let Some(r) = &p.registration_number {
        c.push(clause(
            "controller.registration",
            "pp-controller-registration",
            vec![("number", code(r))],
        ));
    }
    if let Some(d) = &p.dpo_email {
        c.push(clause(
            "controller.dpo",
            "pp-controller-dpo",
            vec![("email", Arg::Email(d.clone()))],
        ));
    }
    c.push(clause(
        "controller.shops",
        "pp-controller-shops",
        vec![("platform", name())],
    ));
    sections.push(Section {
        id: "controller",
        clauses: c,
    });

    // 2. Data, purpose and legal basis: one clause per data-map category.
    let mut c = vec![clause("data.intro", "pp-data-intro", vec![])];
    for e in &i.data.entries {
        let k = key_id(&e.category);
        let bases = Arg::List(e.bases.iter().map(|b| msg(b.message())).collect());
        let mut args = vec![
            ("category", msg(format!("pp-cat-{k}"))),
            ("purpose", msg(format!("pp-purpose-{k}"))),
            ("bases", bases),
        ];
        let message = if e.fields.is_empty() {
            "pp-data-row"
        } else {
            args.push((
                "fields",
                Arg::List(
                    e.fields
                        .iter()
                        .map(|f| msg(format!("pp-field-{}", key_id(f))))
                        .collect(),
                ),
            ));
            "pp-data-row-fields"
        };
        c.push(clause(format!("data.{}", e.category), message, args));
    }
    sections.push(Section {
        id: "data",
        clauses: c,
    });

    // 3. Recipients.
    let mut recipients = vec![Recipient {
        name: p.hosting_provider.clone(),
        kind: "hosting",
        country: p.hosting_country,
    }];
    let mut c = vec![clause(
        "recipients.hosting",
        "pp-recipients-hosting",
        vec![
            ("name", text(&p.hosting_provider)),
            ("country", country(p.hosting_country)),
        ],
    )];
    for pr in &p.processors {
        let (r, cl) = processor_recipient(pr, "pp-recipients-processor");
        recipients.push(r);
        c.push(cl);
    }
    let has = |k: &str| i.data.entries.iter().any(|e| e.category == k);
    if has("documents") || has("identity") {
        c.push(clause(
            "recipients.reviewers",
            "pp-recipients-reviewers",
            vec![("platform", name())],
        ));
    }
    if has("members") {
        c.push(clause(
            "recipients.shop_owner",
            "pp-recipients-shop-owner",
            vec![],
        ));
    }
    c.push(clause(
        "recipients.authorities",
        "pp-recipients-authorities",
        vec![],
    ));
    sections.push(Section {
        id: "recipients",
        clauses: c,
    });

    // 4. Transfers: only when a recipient works outside the operator's country.
    let abroad: Vec<&Recipient> = recipients
        .iter()
        .filter(|r| r.country != p.country)
        .collect();
    if !abroad.is_empty() {
        let mut c = vec![clause(
            "transfers.intro",
            "pp-transfers-intro",
            vec![("country", country(p.country))],
        )];
        for r in &abroad {
            c.push(clause(
                format!("transfers.{}.{}", r.kind, crate::settings::slugify(&r.name)),
                "pp-transfers-row",
                vec![
                    ("recipient", text(&r.name)),
                    ("country", country(r.country)),
                ],
            ));
        }
        c.push(clause(
            "transfers.safeguards",
            "pp-transfers-safeguards",
            vec![("email", Arg::Email(p.contact_email.clone()))],
        ));
        sections.push(Section {
            id: "transfers",
            clauses: c,
        });
    }

    // 5. Retention: the data map's rules with the configured numbers, then the backups.
    let mut c = vec![clause("retention.intro", "pp-retention-intro", vec![])];
    for e in &i.data.entries {
        let category = || msg(format!("pp-cat-{}", key_id(&e.category)));
        match e.periods.as_slice() {
            [only] => c.push(clause(
                format!("retention.{}", e.category),
                "pp-retention-row",
                vec![("category", category()), ("period", only.period.arg())],
            )),
            // One rule per part: a sentence joining unrelated rules with "and" would not say
            // which one applies to what.
            several => {
                for k in several {
                    c.push(clause(
                        format!("retention.{}.{}", e.category, k.part),
                        "pp-retention-part",
                        vec![
                            ("category", category()),
                            ("part", msg(format!("pp-part-{}", key_id(&k.part)))),
                            ("period", k.period.arg()),
                        ],
                    ));
                }
            }
        }
    }
    c.push(clause(
        "retention.backups",
        "pp-retention-backups",
        vec![("period", Arg::Days(p.backup_retention_days))],
    ));
    sections.push(Section {
        id: "retention",
        clauses: c,
    });

    // 6. Rights, each with the request that carries it out.
    let r = &i.routes;
    let mut c = vec![
        clause("rights.intro", "pp-rights-intro", vec![]),
        clause(
            "rights.access",
            "pp-rights-access",
            vec![
                ("account_route", code(&r.account_export)),
                ("shop_route", code(&r.shop_export)),
            ],
        ),
        clause(
            "rights.rectify",
            "pp-rights-rectify",
            vec![("identity_route", code(&r.identity_update))],
        ),
        clause(
            "rights.erase",
            "pp-rights-erase",
            vec![
                ("account_route", code(&r.account_erasure)),
                ("shop_route", code(&r.shop_erasure)),
                ("receipt_route", code(&r.receipt)),
            ],
        ),
        clause("rights.restrict", "pp-rights-restrict", vec![]),
    ];
    if i.data
        .entries
        .iter()
        .any(|e| e.bases.contains(&Basis::LegitimateInterest))
    {
        c.push(clause("rights.object", "pp-rights-object", vec![]));
    }
    c.push(clause(
        "rights.portability",
        "pp-rights-portability",
        vec![],
    ));
    c.push(clause(
        "rights.how",
        "pp-rights-how",
        vec![
            ("email", Arg::Email(p.contact_email.clone())),
            ("period", Arg::Days(i.response_days)),
        ],
    ));
    let (authority, url) = complaint_authority(p.country);
    let mut args = vec![("authority", msg(authority))];
    if let Some(u) = url {
        args.push(("url", Arg::Url(u.into())));
        c.push(clause("rights.complain", "pp-rights-complain-url", args));
    } else {
        c.push(clause("rights.complain", "pp-rights-complain", args));
    }
    sections.push(Section {
        id: "rights",
        clauses: c,
    });

    // 7. Security: what the platform does, as configured.
    let encrypted = i.data.entries.iter().any(|e| e.encrypted);
    let mut c = vec![clause(
        "security.transport",
        "pp-security-transport",
        vec![],
    )];
    if encrypted {
        c.push(clause(
            "security.encryption",
            "pp-security-encryption",
            vec![],
        ));
    }
    if i.keys_in_hsm {
        c.push(clause("security.hsm", "pp-security-hsm", vec![]));
    }
    if has("audit_log") {
        c.push(clause("security.audit", "pp-security-audit", vec![]));
    }
    if has("documents") {
        c.push(clause(
            "security.documents",
            "pp-security-documents",
            vec![],
        ));
    }
    c.push(clause("security.breach", "pp-security-breach", vec![]));
    sections.push(Section {
        id: "security",
        clauses: c,
    });

    // 8. Changes.
    sections.push(Section {
        id: "changes",
        clauses: vec![clause("changes.publication", "pp-changes", vec![])],
    });

    // 9. Contact.
    let mut c = vec![clause(
        "contact.email",
        "pp-contact-email",
        vec![("email", Arg::Email(p.contact_email.clone()))],
    )];
    if let Some(d) = &p.dpo_email {
        c.push(clause(
            "contact.dpo",
            "pp-contact-dpo",
            vec![("email", Arg::Email(d.clone()))],
        ));
    }
    sections.push(Section {
        id: "contact",
        clauses: c,
    });

    // As in the shop policies, by the operator's country.
    add_law_selector(&mut sections, p.country);

    PolicyDocument {
        shop: ShopFacts {
            shop_name: p.name.clone(),
            slug: String::new(),
            platform_name: p.name.clone(),
            public_url: None,
            platform_country: p.hosting_country,
            backup_days: p.backup_retention_days,
        },
        controller_name: p.operator.clone(),
        controller_country: p.country,
        contact_email: p.contact_email.clone(),
        categories: Vec::new(),
        recipients,
        sections,
        audience: Audience::Merchants,
    }
}

/// One change between two versions of the platform policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlatformChange {
    /// The operator's name, registration, country or contact changed.
    OperatorChanged,
    /// The host or its country changed.
    HostingChanged {
        /// New host.
        name: String,
        /// New country.
        country: Country,
    },
    /// A processor was added.
    ProcessorAdded {
        /// Role.
        role: ProcessorRole,
        /// Name.
        name: String,
    },
    /// A processor was removed.
    ProcessorRemoved {
        /// Role.
        role: ProcessorRole,
        /// Name.
        name: String,
    },
    /// The platform holds a new category of data.
    DataAdded {
        /// Data-map category key.
        category: String,
    },
    /// The platform no longer holds a category.
    DataRemoved {
        /// Data-map category key.
        category: String,
    },
    /// What a category holds, why or on what basis changed.
    DataChanged {
        /// Data-map category key.
        category: String,
    },
    /// How long a category is kept changed.
    RetentionChanged {
        /// Data-map category key.
        category: String,
    },
    /// How long backups are kept changed.
    BackupsChanged {
        /// Before, days.
        from: u32,
        /// After, days.
        to: u32,
    },
    /// How long the service log is kept changed.
    LogsChanged {
        /// Before, days.
        from: u32,
        /// After, days.
        to: u32,
    },
    /// The time to answer a request changed.
    ResponseTimeChanged {
        /// Before, days.
        from: u32,
        /// After, days.
        to: u32,
    },
    /// Root keys moved into, or out of, a hardware security module.
    KeyCustodyChanged {
        /// Whether they are in one now.
        in_hsm: bool,
    },
    /// A route that carries out a right changed.
    RoutesChanged,
}

impl PlatformChange {
    pub(crate) fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        let cat = |k: &str| ("category", msg(format!("pp-cat-{}", key_id(k))));
        match self {
            Self::OperatorChanged => ("pp-change-operator", vec![]),
            Self::HostingChanged { name, country: c } => (
                "pp-change-hosting",
                vec![("name", text(name)), ("country", country(*c))],
            ),
            Self::ProcessorAdded { role, name } => (
                "pp-change-processor-added",
                vec![
                    ("name", text(name)),
                    ("role", msg(format!("role-{}", role.key()))),
                ],
            ),
            Self::ProcessorRemoved { role, name } => (
                "pp-change-processor-removed",
                vec![
                    ("name", text(name)),
                    ("role", msg(format!("role-{}", role.key()))),
                ],
            ),
            Self::DataAdded { category } => ("pp-change-data-added", vec![cat(category)]),
            Self::DataRemoved { category } => ("pp-change-data-removed", vec![cat(category)]),
            Self::DataChanged { category } => ("pp-change-data-changed", vec![cat(category)]),
            Self::RetentionChanged { category } => ("pp-change-retention", vec![cat(category)]),
            Self::BackupsChanged { from, to } => (
                "pp-change-backups",
                vec![("from", Arg::Days(*from)), ("to", Arg::Days(*to))],
            ),
            Self::LogsChanged { from, to } => (
                "pp-change-logs",
                vec![("from", Arg::Days(*from)), ("to", Arg::Days(*to))],
            ),
            Self::ResponseTimeChanged { from, to } => (
                "pp-change-response-time",
                vec![("from", Arg::Days(*from)), ("to", Arg::Days(*to))],
            ),
            Self::KeyCustodyChanged { in_hsm: true } => ("pp-change-hsm-on", vec![]),
            Self::KeyCustodyChanged { in_hsm: false } => ("pp-change-hsm-off", vec![]),
            Self::RoutesChanged => ("pp-change-routes", vec![]),
        }
    }
}

/// What changed from `old` to `new`, in a stable order.
#[must_use]
pub fn diff_platform(
    old: &PlatformPolicyInputs,
    new: &PlatformPolicyInputs,
) -> Vec<PlatformChange> {
    let (o, n) = (&old.platform, &new.platform);
    let mut out = Vec::new();
    if (
        &o.operator,
        &o.registration_number,
        o.country,
        &o.contact_email,
        &o.dpo_email,
        &o.name,
    ) != (
        &n.operator,
        &n.registration_number,
        n.country,
        &n.contact_email,
        &n.dpo_email,
        &n.name,
    ) {
        out.push(PlatformChange::OperatorChanged);
    }
    if (&o.hosting_provider, o.hosting_country) != (&n.hosting_provider, n.hosting_country) {
        out.push(PlatformChange::HostingChanged {
            name: n.hosting_provider.clone(),
            country: n.hosting_country,
        });
    }
    for pr in &n.processors {
        if !o.processors.contains(pr) {
            out.push(PlatformChange::ProcessorAdded {
                role: pr.role,
                name: pr.name.clone(),
            });
        }
    }
    for pr in &o.processors {
        if !n.processors.contains(pr) {
            out.push(PlatformChange::ProcessorRemoved {
                role: pr.role,
                name: pr.name.clone(),
            });
        }
    }
    for e in &new.data.entries {
        match old.data.entries.iter().find(|x| x.category == e.category) {
            None => out.push(PlatformChange::DataAdded {
                category: e.category.clone(),
            }),
            Some(x) => {
                if (x.subject, &x.bases, &x.fields, x.encrypted)
                    != (e.subject, &e.bases, &e.fields, e.encrypted)
                {
                    out.push(PlatformChange::DataChanged {
                        category: e.category.clone(),
                    });
                }
                if x.periods != e.periods {
                    out.push(PlatformChange::RetentionChanged {
                        category: e.category.clone(),
                    });
                }
            }
        }
    }
    for x in &old.data.entries {
        if !new.data.entries.iter().any(|e| e.category == x.category) {
            out.push(PlatformChange::DataRemoved {
                category: x.category.clone(),
            });
        }
    }
    if o.log_retention_days != n.log_retention_days {
        out.push(PlatformChange::LogsChanged {
            from: o.log_retention_days,
            to: n.log_retention_days,
        });
    }
    if o.backup_retention_days != n.backup_retention_days {
        out.push(PlatformChange::BackupsChanged {
            from: o.backup_retention_days,
            to: n.backup_retention_days,
        });
    }
    if old.response_days != new.response_days {
        out.push(PlatformChange::ResponseTimeChanged {
            from: old.response_days,
            to: new.response_days,
        });
    }
    if old.keys_in_hsm != new.keys_in_hsm {
        out.push(PlatformChange::KeyCustodyChanged {
            in_hsm: new.keys_in_hsm,
        });
    }
    if old.routes != new.routes {
        out.push(PlatformChange::RoutesChanged);
    }
    out
}

/// Three contrasting platform configurations over a data map shaped like harim's own (used by
/// the snapshot tests and the API docs; the store renders the real data map).
pub mod examples {
    use super::{
        Basis, From, Kept, MerchantData, MerchantDataMap, MerchantSubject, Period, Platform,
        PlatformPolicyInputs, RightsRoutes, StorefrontCollection,
    };
    use crate::settings::{Country, CustomerDataCategory as C, Processor, ProcessorRole};

    fn entry(
        category: &str,
        subject: MerchantSubject,
        bases: &[Basis],
        periods: &[(&str, Period)],
        fields: &[&str],
        encrypted: bool,
    ) -> MerchantData {
        MerchantData {
            category: category.into(),
            subject,
            bases: bases.to_vec(),
            periods: periods
                .iter()
                .map(|(part, period)| Kept {
                    part: (*part).into(),
                    period: *period,
                })
                .collect(),
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            encrypted,
        }
    }

    /// A data map with the categories, bases and rules harim declares, default periods.
    #[must_use]
    pub fn data_map() -> MerchantDataMap {
        use Basis::{Contract, LegalObligation, LegitimateInterest};
        use MerchantSubject::{Account, ShopOwner, Staff};
        let shop = Period::WhileShopExists;
        let residue = Period::Days {
            days: 365,
            from: From::AccountErasure,
        };
        MerchantDataMap {
            version: "0123456789abcdef".into(),
            entries: vec![
                entry(
                    "identity",
                    ShopOwner,
                    &[LegalObligation],
                    &[("merchant_identities", shop)],
                    &[
                        "full_name",
                        "national_id",
                        "iban",
                        "birth_date",
                        "phone",
                        "email",
                        "address",
                        "postal_code",
                        "country",
                    ],
                    true,
                ),
                entry(
                    "documents",
                    ShopOwner,
                    &[LegalObligation],
                    &[(
                        "kyc_documents",
                        Period::ShopKycSetting { default_days: 365 },
                    )],
                    &[
                        "national_id_front",
                        "national_id_back",
                        "selfie",
                        "business_license",
                    ],
                    true,
                ),
                entry(
                    "privacy_settings",
                    ShopOwner,
                    &[Contract],
                    &[("privacy_settings", shop)],
                    &[],
                    false,
                ),
                entry(
                    "policy_versions",
                    ShopOwner,
                    &[LegalObligation],
                    &[("policy_documents", shop)],
                    &[],
                    false,
                ),
                entry(
                    "invitations",
                    Staff,
                    &[Contract],
                    &[("invitations", shop)],
                    &[],
                    false,
                ),
                entry(
                    "api_keys",
                    Account,
                    &[Contract],
                    &[(
                        "api_keys",
                        Period::Days {
                            days: 365,
                            from: From::LastUse,
                        },
                    )],
                    &[],
                    false,
                ),
                entry(
                    "members",
                    Staff,
                    &[Contract],
                    &[("memberships", shop)],
                    &[],
                    false,
                ),
                entry(
                    "data_requests",
                    Account,
                    &[LegalObligation],
                    &[
                        (
                            "data_requests",
                            Period::Hours {
                                hours: 24,
                                from: From::Ready,
                            },
                        ),
                        ("data_requests", Period::AsProof),
                        ("account_residue", residue),
                    ],
                    &[],
                    true,
                ),
                entry(
                    "tenant_keys",
                    ShopOwner,
                    &[LegalObligation],
                    &[("tenant_keys", shop)],
                    &[],
                    true,
                ),
                entry(
                    "audit_log",
                    Account,
                    &[LegalObligation, LegitimateInterest],
                    &[
                        (
                            "audit_log",
                            Period::Days {
                                days: 730,
                                from: From::Created,
                            },
                        ),
                        (
                            "audit_log",
                            Period::Days {
                                days: 365,
                                from: From::ShopErasure,
                            },
                        ),
                        ("account_residue", residue),
                        ("service_log", Period::OperatorLogs { days: 14 }),
                    ],
                    &[],
                    false,
                ),
                entry("shop", Account, &[Contract], &[("shops", shop)], &[], false),
                entry(
                    "sessions",
                    Account,
                    &[Contract, LegitimateInterest],
                    &[
                        (
                            "sessions",
                            Period::Hours {
                                hours: 12,
                                from: From::Created,
                            },
                        ),
                        (
                            "login_attempts",
                            Period::Hours {
                                hours: 1,
                                from: From::Created,
                            },
                        ),
                    ],
                    &[],
                    false,
                ),
                entry(
                    "account",
                    Account,
                    &[Contract],
                    &[("accounts", Period::WhileAccountExists)],
                    &[],
                    false,
                ),
            ],
        }
    }

    /// The routes of harim's HTTP contract.
    #[must_use]
    pub fn routes() -> RightsRoutes {
        RightsRoutes {
            account_export: "POST /v1/account/exports".into(),
            shop_export: "POST /v1/shops/{shop_id}/exports".into(),
            account_erasure: "DELETE /v1/account".into(),
            shop_erasure: "DELETE /v1/shops/{shop_id}".into(),
            identity_update: "PUT /v1/shops/{shop_id}/identity".into(),
            receipt: "GET /v1/receipts/{receipt_id}".into(),
        }
    }

    /// An Iranian operator hosted at home: no transfers, keys in a file keyring, no DPO.
    #[must_use]
    pub fn iranian_platform() -> PlatformPolicyInputs {
        PlatformPolicyInputs {
            platform: Platform {
                name: "Harim".into(),
                operator: "شرکت حریم داده پارس".into(),
                registration_number: None,
                country: Country::Ir,
                contact_email: "privacy@harim.example".into(),
                dpo_email: None,
                hosting_provider: "ابر آروان".into(),
                hosting_country: Country::Ir,
                processors: Vec::new(),
                storefront_collects: vec![
                    StorefrontCollection {
                        category: C::OrderHistory,
                        days: None,
                    },
                    StorefrontCollection {
                        category: C::IpAddress,
                        days: Some(90),
                    },
                ],
                backup_retention_days: 30,
                log_retention_days: 14,
            },
            data: data_map(),
            routes: routes(),
            response_days: 30,
            keys_in_hsm: false,
        }
    }

    /// An Albanian operator hosted in Germany with a support desk in the United States, root
    /// keys in an HSM and a DPO: transfers appear.
    #[must_use]
    pub fn albanian_platform() -> PlatformPolicyInputs {
        PlatformPolicyInputs {
            platform: Platform {
                name: "Harim".into(),
                operator: "Harim Shpk".into(),
                registration_number: Some("M01234567B".into()),
                country: Country::Al,
                contact_email: "privacy@harim.example.al".into(),
                dpo_email: Some("dpo@harim.example.al".into()),
                hosting_provider: "Hetzner Online".into(),
                hosting_country: Country::De,
                processors: vec![Processor {
                    role: ProcessorRole::Support,
                    name: "Zendesk".into(),
                    country: Country::Us,
                }],
                storefront_collects: vec![StorefrontCollection {
                    category: C::IpAddress,
                    days: Some(30),
                }],
                backup_retention_days: 14,
                log_retention_days: 30,
            },
            data: data_map(),
            routes: routes(),
            response_days: 30,
            keys_in_hsm: true,
        }
    }

    /// A Saudi operator hosted in Saudi Arabia with e-mail sent from Bahrain, root keys in an
    /// HSM and a three-year audit trail.
    #[must_use]
    pub fn saudi_platform() -> PlatformPolicyInputs {
        let mut data = data_map();
        for e in &mut data.entries {
            if e.category == "audit_log" {
                e.periods[0].period = Period::Days {
                    days: 1095,
                    from: From::Created,
                };
            }
        }
        PlatformPolicyInputs {
            platform: Platform {
                name: "Harim".into(),
                operator: "شركة حريم لتقنية المعلومات".into(),
                registration_number: Some("1010987654".into()),
                country: Country::Sa,
                contact_email: "privacy@harim.example.sa".into(),
                dpo_email: Some("dpo@harim.example.sa".into()),
                hosting_provider: "stc cloud".into(),
                hosting_country: Country::Sa,
                processors: vec![Processor {
                    role: ProcessorRole::Email,
                    name: "Amazon SES".into(),
                    country: Country::Bh,
                }],
                storefront_collects: vec![
                    StorefrontCollection {
                        category: C::OrderHistory,
                        days: None,
                    },
                    StorefrontCollection {
                        category: C::IpAddress,
                        days: Some(180),
                    },
                ],
                backup_retention_days: 35,
                log_retention_days: 90,
            },
            data,
            routes: routes(),
            response_days: 30,
            keys_in_hsm: true,
        }
    }
}
