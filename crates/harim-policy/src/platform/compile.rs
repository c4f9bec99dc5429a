//! `compile_platform`: the platform's facts and data map become its merchants' policy, one
//! function per section.

use super::facts::{Basis, MerchantData, Period, Platform, PlatformPolicyInputs, RightsRoutes};
use crate::clause::{Arg, Clause, clause, country, key_id, msg, text};
use crate::doc::{
    Audience, PolicyDocument, Recipient, Section, ShopFacts, TransferWords, add_law_selector,
    complaint_clause, hosted_home_clause, processor_name, processor_recipient, section,
    statute_clause, transfers,
};
use crate::locale::{Calendar, Locale, LocaleFormat};
use crate::settings::Country;

/// The language whose version of the platform policy prevails: the operator's country's.
#[must_use]
pub fn platform_language(country: Country) -> Locale {
    match country {
        Country::Ir => Locale::Fa,
        Country::Sa | Country::Ae | Country::Kw | Country::Bh | Country::Qa | Country::Om => {
            Locale::Ar
        }
        Country::Al | Country::Xk => Locale::Sq,
        _ => Locale::En,
    }
}

/// How the platform policy writes dates and numbers in `locale`: the customary format, with
/// the Umm al-Qura calendar (and the Gregorian date beside it) for a Saudi operator's Arabic.
#[must_use]
pub fn platform_format(country: Country, locale: Locale) -> LocaleFormat {
    let mut f = LocaleFormat::customary(locale);
    if country == Country::Sa && locale == Locale::Ar {
        f.calendar = Calendar::IslamicUmalqura;
    }
    f
}

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
    let names: Vec<Arg> = std::iter::once(text(&p.hosting_provider))
        .chain(p.processors.iter().map(processor_name))
        .collect();
    sections.extend(transfers(
        p.country,
        recipients.iter().zip(names),
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
        developers(&i.routes),
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
            vec![("number", Arg::Digits(r.clone()))],
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
    c.push(statute_clause(platform_language(p.country)));
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
            // Semicolons: a field may hold "and" itself ("holding the card").
            args.push((
                "fields",
                Arg::Series(
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
            .enumerate()
            .map(|(i, k)| {
                // Ids stay unique (they are the HTML anchors) when a part has two rules.
                let repeats = several[..i].iter().filter(|o| o.part == k.part).count();
                let id = if repeats == 0 {
                    format!("retention.{}.{}", e.category, k.part)
                } else {
                    format!("retention.{}.{}.{}", e.category, k.part, repeats + 1)
                };
                // What is kept as proof is the record of each request, not the part the other
                // rule names (its archives): that rule speaks of the category as a whole.
                if k.period == Period::AsProof {
                    return clause(
                        id,
                        "pp-retention-row",
                        vec![("category", category()), ("period", k.period.arg())],
                    );
                }
                clause(
                    id,
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

/// Access, rectification, erasure and restriction, in words; the requests that carry them out
/// are in the developers' appendix ([`developers`]), never in the sentences a merchant reads.
fn routed_rights(_: &RightsRoutes) -> [Clause; 4] {
    [
        clause("rights.access", "pp-rights-access", vec![]),
        clause("rights.rectify", "pp-rights-rectify", vec![]),
        clause("rights.erase", "pp-rights-erase", vec![]),
        clause("rights.restrict", "pp-rights-restrict", vec![]),
    ]
}

/// The last section, `developers`: the HTTP requests behind each right, for the shop's
/// developers and integrations.
fn developers(r: &RightsRoutes) -> Section {
    let row = |key: &str, route: &str| {
        clause(
            format!("developers.{key}"),
            "pp-dev-route",
            vec![
                ("what", msg(format!("pp-dev-{}", key_id(key)))),
                ("route", code(route)),
            ],
        )
    };
    let mut c = vec![clause("developers.intro", "pp-dev-intro", vec![])];
    c.extend([
        row("account_export", &r.account_export),
        row("shop_export", &r.shop_export),
        row("identity_update", &r.identity_update),
        row("account_erasure", &r.account_erasure),
        row("shop_erasure", &r.shop_erasure),
        row("receipt", &r.receipt),
    ]);
    section("developers", c)
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
    let p = &i.platform;
    c.extend(hosted_home_clause(&p.name, p.hosting_country, p.country));
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
