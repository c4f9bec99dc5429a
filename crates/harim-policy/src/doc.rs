//! The structured, locale-independent policy document and `compile`.

use serde::{Deserialize, Serialize};

use crate::diff::Change;
use crate::settings::{
    AnalyticsService, Country, CustomerDataCategory, PaymentGateway, PrivacySettings,
    ProcessorRole, RetentionKind,
};

/// Facts about the shop that are not privacy settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopFacts {
    /// Display name (hostile input: always escaped).
    pub shop_name: String,
    /// URL slug.
    pub slug: String,
    /// Name of the shop-builder platform (a processor of the shop).
    pub platform_name: String,
    /// Public URL of the shop, if known.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Country where the platform hosts and processes the shop's data. The `platform` recipient
    /// is placed here, so a platform abroad shows up as an international transfer.
    pub platform_country: Country,
    /// Days that erased data can survive in the platform's encrypted backups before the backups
    /// rotate out; stated in `retention.backups` so "erased" is never overclaimed.
    pub backup_days: u32,
}

/// Version metadata of a published policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyMeta {
    /// Version number, from 1.
    pub version: u32,
    /// Date this version takes effect.
    pub effective_at: time::Date,
    /// Earlier and current versions with their changes (newest first is not required; rendered newest first).
    pub history: Vec<HistoryEntry>,
    /// The locales this version is published in, its default first: each page links to the
    /// others (`hreflang`, language links) and the first is the `x-default`.
    #[serde(default)]
    pub alternates: Vec<crate::Locale>,
    /// The previous version's hash (`None` for version 1). Known before this version is hashed,
    /// so the JSON-LD states it and a reader can follow the chain from the public document.
    #[serde(default)]
    pub previous_hash: Option<String>,
}

/// One published version in the update history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Version number.
    pub version: u32,
    /// Date it took effect.
    pub effective_at: time::Date,
    /// What changed against the previous version (empty for the first).
    pub changes: Vec<Change>,
}

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
    /// A number of days (localised digits, plural-aware). Written in years when it is an exact
    /// multiple of 365. The message gets `$name` (nominative) and `$name_obl` (the form after
    /// "within"/"from": Arabic genitive, Albanian ablative), and chooses.
    Days(u32),
    /// A number of months (same slots as `Days`).
    Months(u32),
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

/// A section of the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// Stable id (`controller`, `data`, ...); the title message is `section-<id>`.
    pub id: &'static str,
    /// Clauses in order.
    pub clauses: Vec<Clause>,
}

/// A recipient of customer data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// Display name.
    pub name: String,
    /// `processor`, `payment`, `analytics`, or `platform`.
    pub kind: &'static str,
    /// Country of processing.
    pub country: Country,
}

/// One collected category, as data (also rendered as a clause).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CategoryEntry {
    /// The category.
    pub category: CustomerDataCategory,
    /// Required to place an order.
    pub required: bool,
    /// Retention kind and days.
    pub retention: RetentionKind,
    /// Days kept.
    pub retention_days: u32,
}

/// The compiled policy: what it says, independent of language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyDocument {
    /// Shop facts.
    pub shop: ShopFacts,
    /// Controller's legal name.
    pub controller_name: String,
    /// Controller's country.
    pub controller_country: Country,
    /// Privacy contact e-mail.
    pub contact_email: String,
    /// Collected categories.
    pub categories: Vec<CategoryEntry>,
    /// All recipients (platform, processors, gateways, analytics).
    pub recipients: Vec<Recipient>,
    /// Sections in reading order.
    pub sections: Vec<Section>,
    /// Who the policy speaks to: a shop's customers, or the platform's merchants.
    pub audience: Audience,
}

/// Who a policy speaks to; picks the page frame (title, introduction, footer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A shop's customers (the shop is the controller).
    Customers,
    /// The platform's merchants (the platform operator is the controller).
    Merchants,
}

impl Audience {
    /// The message ids of the page frame: title, introduction, footer.
    #[must_use]
    pub fn frame(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Customers => ("title", "intro", "footer"),
            Self::Merchants => ("pp-title", "pp-intro", "pp-footer"),
        }
    }
}

impl PolicyDocument {
    /// All clause ids in order.
    #[must_use]
    pub fn clause_ids(&self) -> Vec<&str> {
        self.sections
            .iter()
            .flat_map(|s| s.clauses.iter().map(|c| c.id.as_str()))
            .collect()
    }

    /// Whether a clause id is present.
    #[must_use]
    pub fn has_clause(&self, id: &str) -> bool {
        self.clause_ids().contains(&id)
    }
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

fn msg(s: impl Into<String>) -> Arg {
    Arg::Msg(s.into())
}

/// Builds the document. Every clause exists because a setting calls for it; see the crate docs.
///
/// `settings` should have passed [`PrivacySettings::validate`]; `compile` itself never fails.
#[must_use]
pub fn compile(s: &PrivacySettings, shop: &ShopFacts) -> PolicyDocument {
    let shop_arg = || text(&shop.shop_name);
    let platform = || text(&shop.platform_name);
    let country = s.controller.country;
    let mut sections = Vec::new();

    // 1. Controller.
    let mut c = vec![
        clause(
            "controller.identity",
            "controller-identity",
            vec![
                ("legal_name", text(&s.controller.legal_name)),
                ("shop", shop_arg()),
            ],
        ),
        clause(
            "controller.country",
            "controller-country",
            vec![("country", msg(format!("country-{}", country.code())))],
        ),
    ];
    if let Some(r) = &s.controller.registration_number {
        c.push(clause(
            "controller.registration",
            "controller-registration",
            vec![("number", text(r))],
        ));
    }
    c.push(clause(
        "controller.platform",
        "controller-platform",
        vec![("platform", platform())],
    ));
    if let Some(d) = &s.controller.dpo_email {
        c.push(clause(
            "controller.dpo",
            "controller-dpo",
            vec![("email", Arg::Email(d.clone()))],
        ));
    }
    sections.push(Section {
        id: "controller",
        clauses: c,
    });

    // 2. Data collected.
    let has_shipping = s
        .processors
        .iter()
        .any(|p| p.role == ProcessorRole::Shipping);
    let mut c = vec![clause("data.intro", "data-intro", vec![])];
    let mut categories = Vec::new();
    for d in &s.customer_data {
        let k = d.category.key();
        let kind = d.category.retention_kind();
        categories.push(CategoryEntry {
            category: d.category,
            required: d.required,
            retention: kind,
            retention_days: s.retention.days(kind),
        });
        let cat = format!("cat-{}", k.replace('_', "-"));
        // The courier is named only when a shipping processor exists to be that courier.
        let purpose = if d.category == CustomerDataCategory::Phone && has_shipping {
            "purpose-phone-courier".to_owned()
        } else {
            format!("purpose-{}", k.replace('_', "-"))
        };
        c.push(clause(
            format!("data.category.{k}"),
            "data-row",
            vec![
                ("category", msg(cat.clone())),
                ("need", need(d.required)),
                ("gender", Arg::Gender(cat)),
                ("purpose", msg(purpose)),
            ],
        ));
    }
    if s.customer_data.iter().any(|d| d.required) {
        c.push(clause("data.consequences", "data-consequences", vec![]));
    }
    sections.push(Section {
        id: "data",
        clauses: c,
    });

    // 3. Purposes and legal bases.
    let mut c = vec![
        clause("purposes.orders", "purposes-orders", vec![]),
        clause("purposes.legal_obligation", "purposes-legal", vec![]),
    ];
    if s.notifications.order_email {
        c.push(clause(
            "notifications.order_email",
            "notifications-order-email",
            vec![],
        ));
    }
    if s.notifications.order_sms {
        let sms: Vec<Arg> = s
            .processors
            .iter()
            .filter(|p| p.role == ProcessorRole::Sms)
            .map(|p| text(&p.name))
            .collect();
        c.push(clause(
            "notifications.order_sms",
            "notifications-order-sms",
            vec![("providers", Arg::List(sms))],
        ));
        // How to stop the messages, worded by what is actually possible: an optional phone
        // number can be left out; a required one cannot, so the customer can only object.
        let phone_required = s
            .customer_data
            .iter()
            .any(|d| d.category == CustomerDataCategory::Phone && d.required);
        c.push(clause(
            "notifications.order_sms_opt_out",
            if phone_required {
                "notifications-sms-opt-out-required"
            } else {
                "notifications-sms-opt-out-optional"
            },
            vec![("email", Arg::Email(s.contact.email.clone()))],
        ));
    }
    if s.collects(CustomerDataCategory::IpAddress) {
        c.push(clause("purposes.security", "purposes-security", vec![]));
    }
    if !s.analytics.is_empty() {
        let names: Vec<Arg> = s.analytics.iter().map(|a| text(a.name())).collect();
        let how_many = how_many(names.len());
        c.push(clause(
            "analytics.services",
            "analytics-services",
            vec![("services", Arg::List(names)), ("how_many", how_many)],
        ));
    }
    // "No profiling" only while no configured service can build visitor profiles.
    let profiling: Vec<Arg> = s
        .analytics
        .iter()
        .filter(|a| a.may_profile())
        .map(|a| text(a.name()))
        .collect();
    if profiling.is_empty() {
        c.push(clause(
            "purposes.automated_decisions",
            "purposes-automated",
            vec![],
        ));
    } else {
        let how_many = how_many(profiling.len());
        c.push(clause(
            "purposes.automated_decisions",
            "purposes-automated-profiling",
            vec![("services", Arg::List(profiling)), ("how_many", how_many)],
        ));
    }
    sections.push(Section {
        id: "purposes",
        clauses: c,
    });

    // 4. Recipients.
    let mut recipients = vec![Recipient {
        name: shop.platform_name.clone(),
        kind: "platform",
        country: shop.platform_country,
    }];
    // How each recipient is named in this document: one name per recipient, used in the
    // recipients list, the transfers list and everywhere else.
    let mut names = vec![platform()];
    let mut c = vec![clause(
        "recipients.platform",
        "recipients-platform",
        vec![
            ("platform", platform()),
            (
                "country",
                msg(format!("country-{}", shop.platform_country.code())),
            ),
        ],
    )];
    for p in &s.processors {
        names.push(text(&p.name));
        let (r, cl) = processor_recipient(p, "recipients-processor");
        recipients.push(r);
        c.push(cl);
    }
    for g in &s.payment_gateways {
        names.push(gateway_arg(*g));
        recipients.push(Recipient {
            name: gateway_brand(*g).to_owned(),
            kind: "payment",
            country: g.country(),
        });
        c.push(clause(
            format!("recipients.payment.{}", g.key()),
            "recipients-payment",
            vec![
                ("gateway", gateway_arg(*g)),
                ("country", msg(format!("country-{}", g.country().code()))),
            ],
        ));
    }
    for a in &s.analytics {
        names.push(analytics_arg(a));
        recipients.push(Recipient {
            name: a.name().to_owned(),
            kind: "analytics",
            country: a.country(),
        });
        let mut args = vec![
            ("service", analytics_arg(a)),
            ("country", msg(format!("country-{}", a.country().code()))),
        ];
        // A custom service's own policy is the only place its practices are described.
        let message = if let AnalyticsService::Custom { url, .. } = a {
            args.push(("url", Arg::Url(url.clone())));
            "recipients-analytics-url"
        } else {
            "recipients-analytics"
        };
        c.push(clause(
            format!("recipients.analytics.{}", a.key()),
            message,
            args,
        ));
    }
    c.push(clause(
        "recipients.authorities",
        "recipients-authorities",
        vec![],
    ));
    sections.push(Section {
        id: "recipients",
        clauses: c,
    });

    // 5. International transfers: only when some recipient is abroad.
    let abroad: Vec<(&Recipient, &Arg)> = recipients
        .iter()
        .zip(&names)
        .filter(|(r, _)| r.country != country)
        .collect();
    if !abroad.is_empty() {
        let mut c = vec![clause(
            "transfers.intro",
            "transfers-intro",
            vec![("country", msg(format!("country-{}", country.code())))],
        )];
        for (r, name) in &abroad {
            c.push(clause(
                format!("transfers.{}.{}", r.kind, crate::settings::slugify(&r.name)),
                "transfers-row",
                vec![
                    ("recipient", (*name).clone()),
                    ("country", msg(format!("country-{}", r.country.code()))),
                ],
            ));
        }
        c.push(clause(
            "transfers.safeguards",
            "transfers-safeguards",
            vec![("email", Arg::Email(s.contact.email.clone()))],
        ));
        sections.push(Section {
            id: "transfers",
            clauses: c,
        });
    }

    // 6. Retention: one clause per period that applies to a collected category.
    let mut c = vec![clause("retention.intro", "retention-intro", vec![])];
    for kind in RetentionKind::ALL {
        let applies = kind == RetentionKind::AfterAccountDeletion
            || s.customer_data
                .iter()
                .any(|d| d.category.retention_kind() == kind);
        if applies {
            c.push(clause(
                format!("retention.{}", kind.field()),
                retention_message(kind),
                vec![("period", Arg::Days(s.retention.days(kind)))],
            ));
        }
    }
    // Erasure reaches the platform's backups only when they rotate out; say so, with the number.
    c.push(clause(
        "retention.backups",
        "retention-backups",
        vec![
            ("platform", platform()),
            ("period", Arg::Days(shop.backup_days)),
        ],
    ));
    sections.push(Section {
        id: "retention",
        clauses: c,
    });

    // 7. Rights.
    let mut c = vec![clause("rights.intro", "rights-intro", vec![])];
    for r in [
        "access",
        "rectify",
        "erase",
        "restrict",
        "object",
        "portability",
    ] {
        c.push(clause(format!("rights.{r}"), right_message(r), vec![]));
    }
    // Consent is stated as a legal basis only by the analytics clauses; the withdrawal right
    // appears with them and only with them.
    if !s.analytics.is_empty() {
        c.push(clause("rights.withdraw_consent", "rights-withdraw", vec![]));
    }
    c.push(clause(
        "rights.how",
        "rights-how",
        vec![
            ("email", Arg::Email(s.contact.email.clone())),
            ("period", Arg::Days(s.response_days)),
        ],
    ));
    let (authority, url) = complaint_authority(country);
    let mut args = vec![("authority", msg(authority))];
    if let Some(u) = url {
        args.push(("url", Arg::Url(u.into())));
        c.push(clause("rights.complain", "rights-complain-url", args));
    } else {
        c.push(clause("rights.complain", "rights-complain", args));
    }
    sections.push(Section {
        id: "rights",
        clauses: c,
    });

    // 8. Cookies.
    let mut c = Vec::new();
    if s.collects(CustomerDataCategory::DeviceCookies) {
        c.push(clause("cookies.essential", "cookies-essential", vec![]));
    }
    if !s.analytics.is_empty() {
        c.push(clause("cookies.analytics", "cookies-analytics", vec![]));
    }
    if !c.is_empty() {
        sections.push(Section {
            id: "cookies",
            clauses: c,
        });
    }

    // 9. Children.
    sections.push(Section {
        id: "children",
        clauses: vec![clause(
            "children.minimum_age",
            "children-age",
            vec![("age", Arg::Number(u32::from(s.minimum_age)))],
        )],
    });

    // 10. Security.
    let mut c = vec![
        clause("security.transport", "security-transport", vec![]),
        // Staff views in the shop's admin are recorded; the order e-mail in the owner's mailbox
        // is outside that record, so the promise is narrowed when that e-mail is on.
        clause(
            "security.encryption",
            if s.notifications.order_email {
                "security-encryption-order-email"
            } else {
                "security-encryption"
            },
            vec![],
        ),
    ];
    if !s.payment_gateways.is_empty() {
        c.push(clause(
            "security.payment_cards",
            "security-cards",
            vec![("platform", platform())],
        ));
    }
    c.push(clause("security.breach", "security-breach", vec![]));
    sections.push(Section {
        id: "security",
        clauses: c,
    });

    // 11. Changes.
    let mut c = vec![clause("changes.publication", "changes-publication", vec![])];
    // Notice by e-mail can be promised only to customers who all gave an e-mail address.
    if s.customer_data
        .iter()
        .any(|d| d.category == CustomerDataCategory::Email && d.required)
    {
        c.push(clause("changes.email_notice", "changes-email", vec![]));
    }
    sections.push(Section {
        id: "changes",
        clauses: c,
    });

    // 12. Contact.
    let mut c = vec![clause(
        "contact.email",
        "contact-email",
        vec![("email", Arg::Email(s.contact.email.clone()))],
    )];
    if let Some(p) = &s.contact.phone {
        c.push(clause(
            "contact.phone",
            "contact-phone",
            vec![("phone", Arg::Phone(p.clone()))],
        ));
    }
    if let Some(a) = &s.contact.address {
        c.push(clause(
            "contact.address",
            "contact-address",
            vec![("address", text(a))],
        ));
    }
    sections.push(Section {
        id: "contact",
        clauses: c,
    });

    add_law_selector(&mut sections, country);

    PolicyDocument {
        shop: shop.clone(),
        controller_name: s.controller.legal_name.clone(),
        controller_country: country,
        contact_email: s.contact.email.clone(),
        categories,
        recipients,
        sections,
        audience: Audience::Customers,
    }
}

/// A processor as a recipient and its clause (`recipients.processor.<role>.<slug>`), worded by
/// `message` (the shop policy's or the platform policy's).
pub(crate) fn processor_recipient(
    p: &crate::settings::Processor,
    message: &'static str,
) -> (Recipient, Clause) {
    let recipient = Recipient {
        name: p.name.clone(),
        kind: "processor",
        country: p.country,
    };
    let c = clause(
        format!(
            "recipients.processor.{}.{}",
            p.role.key(),
            crate::settings::slugify(&p.name)
        ),
        message,
        vec![
            ("name", text(&p.name)),
            ("role", msg(format!("role-{}", p.role.key()))),
            ("country", msg(format!("country-{}", p.country.code()))),
        ],
    );
    (recipient, c)
}

/// Arabic calls a Saudi statute «النظام» and any other «القانون»: every message of every clause
/// can select on `$law`, by the controller's `country`.
pub(crate) fn add_law_selector(sections: &mut [Section], country: Country) {
    let law = if country == Country::Sa {
        "sa"
    } else {
        "other"
    };
    for sec in sections {
        for c in &mut sec.clauses {
            c.args.push(("law", Arg::Select(law.into())));
        }
    }
}

fn analytics_arg(a: &AnalyticsService) -> Arg {
    text(a.name())
}

/// A gateway by its name in the reader's language (`gateway-*`).
fn gateway_arg(g: PaymentGateway) -> Arg {
    msg(format!("gateway-{}", g.key().replace('_', "-")))
}

/// Selector for sentences about a list: `one` item takes the singular (Albanian and Persian
/// verbs agree with it), anything else the plural.
fn how_many(n: usize) -> Arg {
    Arg::Select(if n == 1 { "one" } else { "other" }.into())
}

/// Selector for the wording of a required or optional item.
pub(crate) fn need(required: bool) -> Arg {
    Arg::Select(if required { "required" } else { "optional" }.into())
}

/// Latin brand name of a gateway (the localised name is the `gateway-*` message).
#[must_use]
pub fn gateway_brand(g: PaymentGateway) -> &'static str {
    match g {
        PaymentGateway::Zarinpal => "Zarinpal",
        PaymentGateway::Idpay => "IDPay",
        PaymentGateway::Behpardakht => "Behpardakht Mellat",
        PaymentGateway::Saman => "Saman (SEP)",
        PaymentGateway::RaiffeisenPos => "Raiffeisen Bank POS",
        PaymentGateway::Hyperpay => "HyperPay",
        PaymentGateway::Moyasar => "Moyasar",
        PaymentGateway::Tap => "Tap Payments",
        PaymentGateway::Telr => "Telr",
        PaymentGateway::Stripe => "Stripe",
        PaymentGateway::Paypal => "PayPal",
    }
}

pub(crate) fn retention_message(kind: RetentionKind) -> &'static str {
    match kind {
        RetentionKind::CustomerAccounts => "retention-customer-accounts",
        RetentionKind::Orders => "retention-orders",
        RetentionKind::ServerLogs => "retention-server-logs",
        RetentionKind::KycDocuments => "retention-kyc",
        RetentionKind::AfterAccountDeletion => "retention-after-deletion",
    }
}

fn right_message(r: &str) -> &'static str {
    match r {
        "access" => "rights-access",
        "rectify" => "rights-rectify",
        "erase" => "rights-erase",
        "restrict" => "rights-restrict",
        "object" => "rights-object",
        _ => "rights-portability",
    }
}

/// The authority customers can complain to, by the controller's country.
pub(crate) fn complaint_authority(c: Country) -> (&'static str, Option<&'static str>) {
    match c {
        Country::Al => ("authority-al", Some("https://idp.al")),
        Country::Sa => ("authority-sa", Some("https://sdaia.gov.sa")),
        Country::Ae => ("authority-ae", None),
        Country::Ir => ("authority-ir", None),
        c if c.is_eu() => ("authority-eu", None),
        _ => ("authority-other", None),
    }
}
