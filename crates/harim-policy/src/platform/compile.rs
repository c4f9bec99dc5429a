//! `compile_platform`: the platform's facts and data map become its merchants' policy, one
//! function per section.

use super::facts::{Basis, MerchantData, Platform, PlatformPolicyInputs, RightsRoutes};
use crate::clause::{Arg, Clause, clause, country, key_id, msg, text};
use crate::doc::{
    Audience, PolicyDocument, Recipient, Section, ShopFacts, TransferWords, add_law_selector,
    complaint_clause, processor_recipient, section, transfers,
};

/// A route or an identifier: isolated like any text, so it keeps its direction in RTL pages.
fn code(s: &str) -> Arg {
    text(s)
}

/// Builds the platform's policy for its merchants. Every clause exists because a fact or a
/// data-map entry calls for it.
#[must_use]
pub fn compile_platform(i: &PlatformPolicyInputs) -> PolicyDocument {
    let p = &i.platform;
    let (recipients, recipients_section) = recipients(p, &i.data.entries);
    let mut sections = vec![controller(p), data(&i.data.entries), recipients_section];
    sections.extend(transfers(
        p.country,
        recipients.iter().map(|r| (r, text(&r.name))),
        &p.contact_email,
        &TransferWords {
            intro: "pp-transfers-intro",
            row: "pp-transfers-row",
            safeguards: "pp-transfers-safeguards",
        },
    ));
    sections.extend([
        retention(p, &i.data.entries),
        rights(i),
        security(i),
        section(
            "changes",
            vec![clause("changes.publication", "pp-changes", vec![])],
        ),
        contact(p),
    ]);
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

/// Whether the data map has a category.
fn has(entries: &[MerchantData], category: &str) -> bool {
    entries.iter().any(|e| e.category == category)
}

/// Section 1, `controller`: who the operator is, and that each shop is the controller of its
/// own customers' data.
fn controller(p: &Platform) -> Section {
    let mut c = vec![
        clause(
            "controller.identity",
            "pp-controller-identity",
            vec![("operator", text(&p.operator)), ("platform", text(&p.name))],
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
        vec![("platform", text(&p.name))],
    ));
    section("controller", c)
}

/// Section 2, `data`, purpose and legal basis: one clause per data-map category.
fn data(entries: &[MerchantData]) -> Section {
    let mut c = vec![clause("data.intro", "pp-data-intro", vec![])];
    for e in entries {
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
    section("data", c)
}

/// Section 3, `recipients`: the host, the operator's processors, the reviewers and shop owners
/// where the data map gives them something to see, and the authorities.
fn recipients(p: &Platform, entries: &[MerchantData]) -> (Vec<Recipient>, Section) {
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
    if has(entries, "documents") || has(entries, "identity") {
        c.push(clause(
            "recipients.reviewers",
            "pp-recipients-reviewers",
            vec![("platform", text(&p.name))],
        ));
    }
    if has(entries, "members") {
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
    (recipients, section("recipients", c))
}

/// Section 5, `retention`: the data map's rules with the configured numbers, then the
/// backups. (Section 4, `transfers`, is `doc::transfers`.)
fn retention(p: &Platform, entries: &[MerchantData]) -> Section {
    let mut c = vec![clause("retention.intro", "pp-retention-intro", vec![])];
    for e in entries {
        c.extend(retention_rows(e));
    }
    c.push(clause(
        "retention.backups",
        "pp-retention-backups",
        vec![("period", Arg::Days(p.backup_retention_days))],
    ));
    section("retention", c)
}

/// How long one category is kept: one clause when it has one rule, else one per part.
fn retention_rows(e: &MerchantData) -> Vec<Clause> {
    let category = || msg(format!("pp-cat-{}", key_id(&e.category)));
    match e.periods.as_slice() {
        [only] => vec![clause(
            format!("retention.{}", e.category),
            "pp-retention-row",
            vec![("category", category()), ("period", only.period.arg())],
        )],
        // One rule per part: a sentence joining unrelated rules with "and" would not say
        // which one applies to what.
        several => several
            .iter()
            .map(|k| {
                clause(
                    format!("retention.{}.{}", e.category, k.part),
                    "pp-retention-part",
                    vec![
                        ("category", category()),
                        ("part", msg(format!("pp-part-{}", key_id(&k.part)))),
                        ("period", k.period.arg()),
                    ],
                )
            })
            .collect(),
    }
}

/// Section 6, `rights`, each with the request that carries it out.
fn rights(i: &PlatformPolicyInputs) -> Section {
    let p = &i.platform;
    let mut c = vec![clause("rights.intro", "pp-rights-intro", vec![])];
    c.extend(routed_rights(&i.routes));
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
    c.push(complaint_clause(
        p.country,
        "pp-rights-complain",
        "pp-rights-complain-url",
    ));
    section("rights", c)
}

/// Access, rectification, erasure and restriction, with the routes that carry them out.
fn routed_rights(r: &RightsRoutes) -> [Clause; 4] {
    [
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
    ]
}

/// Section 7, `security`: what the platform does, as configured.
fn security(i: &PlatformPolicyInputs) -> Section {
    let entries = &i.data.entries;
    let mut c = vec![clause(
        "security.transport",
        "pp-security-transport",
        vec![],
    )];
    if entries.iter().any(|e| e.encrypted) {
        c.push(clause(
            "security.encryption",
            "pp-security-encryption",
            vec![],
        ));
    }
    if i.keys_in_hsm {
        c.push(clause("security.hsm", "pp-security-hsm", vec![]));
    }
    if has(entries, "audit_log") {
        c.push(clause("security.audit", "pp-security-audit", vec![]));
    }
    if has(entries, "documents") {
        c.push(clause(
            "security.documents",
            "pp-security-documents",
            vec![],
        ));
    }
    c.push(clause("security.breach", "pp-security-breach", vec![]));
    section("security", c)
}

/// Section 9, `contact`. (Section 8, `changes`, is one fixed clause.)
fn contact(p: &Platform) -> Section {
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
    section("contact", c)
}
