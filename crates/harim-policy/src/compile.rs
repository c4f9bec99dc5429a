//! `compile`: a shop's privacy settings become its customers' policy, one function per section.
//!
//! Every clause exists because a setting calls for it; see the crate docs.

use crate::clause::{Arg, Clause, clause, country, how_many, key_id, msg, need, text};
use crate::doc::{
    Audience, CategoryEntry, PolicyDocument, Recipient, Section, ShopFacts, TransferWords,
    add_law_selector, complaint_clause, hosted_home_clause, processor_name, processor_recipient,
    section, statute_clause, transfers,
};
use crate::settings::{
    AnalyticsService, CookiePurpose, Country, CustomerDataCategory, PaymentGateway,
    PrivacySettings, ProcessorRole, RetentionKind, RetentionPeriod,
};

/// Builds the document. Every clause exists because a setting calls for it; see the crate docs.
///
/// `settings` should have passed [`PrivacySettings::validate`]; `compile` itself never fails.
#[must_use]
pub fn compile(s: &PrivacySettings, shop: &ShopFacts) -> PolicyDocument {
    let home = s.controller.country;
    let (named, recipients_section) = recipients(s, shop);
    let mut sections = vec![
        controller(s, shop),
        data(s),
        purposes(s),
        recipients_section,
    ];
    sections.extend(transfers(
        home,
        named.iter().map(|(r, name)| (r, name.clone())),
        &s.contact.email,
        &TransferWords {
            intro: "transfers-intro",
            row: "transfers-row",
            safeguards: "transfers-safeguards",
        },
    ));
    sections.push(retention(s, shop));
    sections.push(rights(s, shop));
    sections.extend(cookies(s));
    sections.extend([children(s), security(s, shop)]);
    sections.extend(other(s));
    sections.extend([changes(s), contact(s)]);
    add_law_selector(&mut sections, home);

    PolicyDocument {
        shop: shop.clone(),
        controller_name: s.controller.legal_name.clone(),
        controller_country: home,
        contact_email: s.contact.email.clone(),
        categories: categories(s),
        recipients: named.into_iter().map(|(r, _)| r).collect(),
        sections,
        audience: Audience::Customers,
    }
}

/// Section 1, `controller`: who the controller is, and that the platform processes for it.
fn controller(s: &PrivacySettings, shop: &ShopFacts) -> Section {
    let mut c = vec![
        clause(
            "controller.identity",
            "controller-identity",
            vec![
                ("legal_name", text(&s.controller.legal_name)),
                ("shop", text(&shop.shop_name)),
            ],
        ),
        clause(
            "controller.country",
            "controller-country",
            vec![("country", country(s.controller.country))],
        ),
    ];
    if let Some(r) = &s.controller.registration_number {
        c.push(clause(
            "controller.registration",
            "controller-registration",
            vec![("number", Arg::Digits(r.clone()))],
        ));
    }
    if let Some(v) = &s.controller.vat_number {
        c.push(clause(
            "controller.vat",
            "controller-vat",
            vec![("number", Arg::Digits(v.clone()))],
        ));
    }
    if s.practices.enamad {
        c.push(clause("controller.enamad", "controller-enamad", vec![]));
    }
    c.push(clause(
        "controller.platform",
        "controller-platform",
        vec![("platform", text(&shop.platform_name))],
    ));
    if let Some(d) = &s.controller.dpo_email {
        c.push(clause(
            "controller.dpo",
            "controller-dpo",
            vec![("email", Arg::Email(d.clone()))],
        ));
    }
    c.push(statute_clause(s.default_locale));
    section("controller", c)
}

/// The collected categories as data, in the settings' order.
fn categories(s: &PrivacySettings) -> Vec<CategoryEntry> {
    s.customer_data
        .iter()
        .map(|d| {
            let kind = d.category.retention_kind();
            CategoryEntry {
                category: d.category,
                required: d.required,
                retention: kind,
                retention_days: s.retention.days(kind),
            }
        })
        .collect()
}

/// Whether the customer never types this category: the shop's systems record it.
fn is_generated(c: CustomerDataCategory) -> bool {
    matches!(
        c,
        CustomerDataCategory::OrderHistory
            | CustomerDataCategory::PaymentReference
            | CustomerDataCategory::IpAddress
            | CustomerDataCategory::DeviceCookies
    )
}

/// Section 2, `data`: what the customer gives (each required or optional, and what refusing a
/// required one means), then what is recorded without the customer typing it.
fn data(s: &PrivacySettings) -> Section {
    let has_shipping = s
        .processors
        .iter()
        .any(|p| p.role == ProcessorRole::Shipping);
    let row = |d: &crate::settings::CollectedData, generated: bool| {
        let k = d.category.key();
        // Device and cookie data is where the document first names cookies: the message with
        // the gloss a language may add there (sq: «kukit (cookies)»).
        let cat = if d.category == CustomerDataCategory::DeviceCookies {
            "cat-device-cookies-first".to_owned()
        } else {
            format!("cat-{}", key_id(k))
        };
        // The courier is named only when a shipping processor exists to be that courier.
        let purpose = if d.category == CustomerDataCategory::Phone && has_shipping {
            "purpose-phone-courier".to_owned()
        } else {
            format!("purpose-{}", key_id(k))
        };
        let mut args = vec![("category", msg(cat.clone()))];
        if !generated {
            args.push(("need", need(d.required)));
            args.push(("gender", Arg::Gender(cat)));
        }
        args.push(("purpose", msg(purpose)));
        clause(
            format!("data.category.{k}"),
            if generated {
                "data-row-generated"
            } else {
                "data-row"
            },
            args,
        )
    };
    let (generated, given): (Vec<_>, Vec<_>) = s
        .customer_data
        .iter()
        .partition(|d| is_generated(d.category));
    let mut c = Vec::new();
    if !given.is_empty() {
        c.push(clause("data.intro", "data-intro", vec![]));
        c.extend(given.iter().map(|d| row(d, false)));
        if given.iter().any(|d| d.required) {
            c.push(clause("data.consequences", "data-consequences", vec![]));
        }
    }
    if !generated.is_empty() {
        c.push(clause(
            "data.generated_intro",
            "data-generated-intro",
            vec![],
        ));
        c.extend(generated.iter().map(|d| row(d, true)));
    }
    section("data", c)
}

/// Section 3, `purposes` and legal bases: orders and the law always; notifications, security
/// and analytics as configured; profiling exactly when a service may profile.
fn purposes(s: &PrivacySettings) -> Section {
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
        c.extend(order_sms(s));
    }
    let channels = match (
        s.notifications.marketing_sms,
        s.notifications.marketing_email,
    ) {
        (true, true) => Some("both"),
        (true, false) => Some("sms"),
        (false, true) => Some("email"),
        (false, false) => None,
    };
    if let Some(channels) = channels {
        c.push(clause(
            "notifications.marketing",
            "notifications-marketing",
            vec![("channels", Arg::Select(channels.into()))],
        ));
    }
    if s.collects(CustomerDataCategory::IpAddress) {
        c.push(clause("purposes.security", "purposes-security", vec![]));
    }
    if !s.analytics.is_empty() {
        let names: Vec<Arg> = s.analytics.iter().map(analytics_arg).collect();
        let how_many = how_many(names.len());
        c.push(clause(
            "analytics.services",
            "analytics-services",
            vec![("services", Arg::List(names)), ("how_many", how_many)],
        ));
    }
    c.push(automated_decisions(s));
    // How to withdraw, wherever something rests on consent: the banner, the privacy page, and
    // the reply keyword when offers come by SMS.
    if channels.is_some() || !s.analytics.is_empty() {
        let sms = if s.notifications.marketing_sms {
            "yes"
        } else {
            "no"
        };
        c.push(clause(
            "consent.withdraw",
            "consent-withdraw",
            vec![("sms", Arg::Select(sms.into()))],
        ));
    }
    section("purposes", c)
}

/// Order text messages: who sends them, and how to stop them.
fn order_sms(s: &PrivacySettings) -> [Clause; 2] {
    let sms: Vec<Arg> = s
        .processors
        .iter()
        .filter(|p| p.role == ProcessorRole::Sms)
        .map(processor_name)
        .collect();
    // How to stop the messages, worded by what is actually possible: an optional phone
    // number can be left out; a required one cannot, so the customer can only object.
    let phone_required = s
        .customer_data
        .iter()
        .any(|d| d.category == CustomerDataCategory::Phone && d.required);
    [
        clause(
            "notifications.order_sms",
            "notifications-order-sms",
            vec![("providers", Arg::List(sms))],
        ),
        clause(
            "notifications.order_sms_opt_out",
            if phone_required {
                "notifications-sms-opt-out-required"
            } else {
                "notifications-sms-opt-out-optional"
            },
            vec![("email", Arg::Email(s.contact.email.clone()))],
        ),
    ]
}

/// "No profiling" only while no configured service can build visitor profiles.
fn automated_decisions(s: &PrivacySettings) -> Clause {
    let profiling: Vec<Arg> = s
        .analytics
        .iter()
        .filter(|a| a.may_profile())
        .map(analytics_arg)
        .collect();
    if profiling.is_empty() {
        return clause("purposes.automated_decisions", "purposes-automated", vec![]);
    }
    let how_many = how_many(profiling.len());
    clause(
        "purposes.automated_decisions",
        "purposes-automated-profiling",
        vec![("services", Arg::List(profiling)), ("how_many", how_many)],
    )
}

/// Section 4, `recipients`: the platform, then processors, gateways and analytics, then the
/// authorities. Each recipient comes with the one name this document calls it by, in the
/// recipients list, the transfers list and everywhere else.
fn recipients(s: &PrivacySettings, shop: &ShopFacts) -> (Vec<(Recipient, Arg)>, Section) {
    let platform = Recipient {
        name: shop.platform_name.clone(),
        kind: "platform",
        country: shop.platform_country,
    };
    let mut named = vec![(platform, text(&shop.platform_name))];
    let mut c = vec![clause(
        "recipients.platform",
        "recipients-platform",
        vec![
            ("platform", text(&shop.platform_name)),
            ("country", country(shop.platform_country)),
        ],
    )];
    for p in &s.processors {
        let (r, cl) = processor_recipient(p, "recipients-processor");
        named.push((r, processor_name(p)));
        c.push(cl);
    }
    for g in &s.payment_gateways {
        let (r, cl) = gateway_recipient(*g);
        named.push((r, gateway_arg(*g)));
        c.push(cl);
    }
    for a in &s.analytics {
        let (r, cl) = analytics_recipient(a);
        named.push((r, analytics_arg(a)));
        c.push(cl);
    }
    if s.practices.tax_e_invoices {
        c.push(clause(
            "recipients.tax_system",
            "recipients-tax-system",
            vec![],
        ));
    }
    c.push(clause(
        "recipients.authorities",
        "recipients-authorities",
        vec![],
    ));
    if s.practices.no_sale {
        c.push(clause("recipients.no_sale", "recipients-no-sale", vec![]));
    }
    (named, section("recipients", c))
}

/// A payment gateway as a recipient and its clause (`recipients.payment.<key>`).
fn gateway_recipient(g: PaymentGateway) -> (Recipient, Clause) {
    let recipient = Recipient {
        name: gateway_brand(g).to_owned(),
        kind: "payment",
        country: g.country(),
    };
    let c = clause(
        format!("recipients.payment.{}", g.key()),
        "recipients-payment",
        vec![
            ("gateway", gateway_arg(g)),
            ("country", country(g.country())),
        ],
    );
    (recipient, c)
}

/// An analytics service as a recipient and its clause (`recipients.analytics.<key>`).
fn analytics_recipient(a: &AnalyticsService) -> (Recipient, Clause) {
    let recipient = Recipient {
        name: a.name().to_owned(),
        kind: "analytics",
        country: a.country(),
    };
    let mut args = vec![
        ("service", analytics_arg(a)),
        ("country", country(a.country())),
    ];
    // A custom service's own policy is the only place its practices are described.
    let message = if let AnalyticsService::Custom { url, .. } = a {
        args.push(("url", Arg::Url(url.clone())));
        "recipients-analytics-url"
    } else {
        "recipients-analytics"
    };
    let c = clause(format!("recipients.analytics.{}", a.key()), message, args);
    (recipient, c)
}

/// Section 6, `retention`: one clause per period that applies to a collected category, then
/// the backups. (Section 5, `transfers`, is `doc::transfers`.)
fn retention(s: &PrivacySettings, shop: &ShopFacts) -> Section {
    let mut c = vec![clause("retention.intro", "retention-intro", vec![])];
    for kind in RetentionKind::ALL {
        let applies = kind == RetentionKind::AfterAccountDeletion
            || s.customer_data
                .iter()
                .any(|d| d.category.retention_kind() == kind);
        if applies {
            let period = match s.retention.period(kind) {
                RetentionPeriod::Days(d) => Arg::Days(d),
                RetentionPeriod::Years(y) => Arg::Years(y),
            };
            c.push(clause(
                format!("retention.{}", kind.field()),
                retention_message(kind),
                vec![("period", period)],
            ));
        }
    }
    // Erasure reaches the platform's backups only when they rotate out; say so, with the number.
    c.push(clause(
        "retention.backups",
        "retention-backups",
        vec![
            ("platform", text(&shop.platform_name)),
            ("period", Arg::Days(shop.backup_days)),
        ],
    ));
    section("retention", c)
}

/// Section 7, `rights`: the rights, how to exercise them, and where to complain.
fn rights(s: &PrivacySettings, shop: &ShopFacts) -> Section {
    let mut c = vec![clause("rights.intro", "rights-intro", vec![])];
    // The Saudi law names the right to be told, before collection, why and on what basis.
    if s.controller.country == Country::Sa {
        c.push(clause("rights.informed", "rights-informed", vec![]));
    }
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
    // The page harim serves beside the policy, where a customer acts on these rights.
    c.push(clause(
        "rights.page",
        "rights-page",
        vec![(
            "url",
            Arg::Url(format!("/shops/{}/privacy/requests", shop.slug)),
        )],
    ));
    c.push(complaint_clause(
        s.controller.country,
        "rights-complain",
        "rights-complain-url",
    ));
    section("rights", c)
}

/// Section 8, `cookies`: only when the storefront sets some.
fn cookies(s: &PrivacySettings) -> Option<Section> {
    let mut c = Vec::new();
    if s.collects(CustomerDataCategory::DeviceCookies) {
        c.push(clause("cookies.essential", "cookies-essential", vec![]));
    }
    if !s.analytics.is_empty() {
        // Without device data in the data section, this sentence is the first to name cookies.
        let message = if c.is_empty() {
            "cookies-analytics-first"
        } else {
            "cookies-analytics"
        };
        c.push(clause("cookies.analytics", message, vec![]));
    }
    // A cookie is listed only beside what sets it: essential ones with the device data the
    // shop says it collects, analytics ones with an analytics service.
    let listed = s.practices.cookies.iter().filter(|k| match k.purpose {
        CookiePurpose::Essential => s.collects(CustomerDataCategory::DeviceCookies),
        CookiePurpose::Analytics => !s.analytics.is_empty(),
    });
    for k in listed {
        let purpose = match k.purpose {
            CookiePurpose::Essential => "essential",
            CookiePurpose::Analytics => "analytics",
        };
        let lifetime = if k.lifetime_days == 0 {
            msg("cookie-session")
        } else {
            Arg::Days(k.lifetime_days)
        };
        c.push(clause(
            format!("cookies.cookie.{}", crate::settings::slugify(&k.name)),
            "cookies-row",
            vec![
                ("name", text(&k.name)),
                ("purpose", Arg::Select(purpose.into())),
                ("lifetime", lifetime),
            ],
        ));
    }
    (!c.is_empty()).then(|| section("cookies", c))
}

/// Section 9, `children`: the minimum age.
fn children(s: &PrivacySettings) -> Section {
    let mut c = vec![clause(
        "children.minimum_age",
        "children-age",
        vec![("age", Arg::Number(u32::from(s.minimum_age)))],
    )];
    // Albanian law: a child under 16 consents only with a parent's or guardian's approval.
    if s.controller.country == Country::Al {
        c.push(clause(
            "children.parental_consent",
            "children-parental-consent",
            vec![],
        ));
    }
    section("children", c)
}

/// Section 10, `security`.
fn security(s: &PrivacySettings, shop: &ShopFacts) -> Section {
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
            vec![("platform", text(&shop.platform_name))],
        ));
    }
    c.extend(hosted_home_clause(
        &shop.platform_name,
        shop.platform_country,
        s.controller.country,
    ));
    if s.practices.staff_confidentiality {
        c.push(clause("security.staff", "security-staff", vec![]));
    }
    if s.practices.customer_passwords {
        c.push(clause("security.password", "security-password", vec![]));
    }
    c.push(clause("security.breach", "security-breach", vec![]));
    section("security", c)
}

/// Section `other`: links to other sites and a sale, merger or closure of the shop, each only
/// when the settings say so.
fn other(s: &PrivacySettings) -> Option<Section> {
    let mut c = Vec::new();
    if s.practices.external_links {
        c.push(clause(
            "other.external_links",
            "other-external-links",
            vec![],
        ));
    }
    if s.practices.business_transfer {
        c.push(clause(
            "other.business_transfer",
            "other-business-transfer",
            vec![],
        ));
    }
    (!c.is_empty()).then(|| section("other", c))
}

/// Section 11, `changes` to the policy, and how customers hear of them.
fn changes(s: &PrivacySettings) -> Section {
    let mut c = vec![clause("changes.publication", "changes-publication", vec![])];
    // Notice by e-mail can be promised only to customers who all gave an e-mail address.
    if s.customer_data
        .iter()
        .any(|d| d.category == CustomerDataCategory::Email && d.required)
    {
        c.push(clause("changes.email_notice", "changes-email", vec![]));
    }
    section("changes", c)
}

/// Section 12, `contact`.
fn contact(s: &PrivacySettings) -> Section {
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
    section("contact", c)
}

fn analytics_arg(a: &AnalyticsService) -> Arg {
    text(a.name())
}

/// A gateway by its name in the reader's language (`gateway-*`).
fn gateway_arg(g: PaymentGateway) -> Arg {
    msg(format!("gateway-{}", key_id(g.key())))
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

fn retention_message(kind: RetentionKind) -> &'static str {
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
