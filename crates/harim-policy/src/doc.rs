//! The structured, locale-independent policy document, and the builders the shop policy
//! ([`crate::compile`]) and the platform policy ([`crate::platform::compile_platform`]) share.
//!
//! Whatever compiles a document, a clause exists only because an input calls for it; the
//! renderers read nothing but this structure.

use serde::{Deserialize, Serialize};

use crate::clause::{Arg, Clause, clause, country, msg, role, text};
use crate::settings::{Country, CustomerDataCategory, Processor, RetentionKind};

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

/// A section with its clauses.
pub(crate) fn section(id: &'static str, clauses: Vec<Clause>) -> Section {
    Section { id, clauses }
}

/// A processor as a recipient and its clause (`recipients.processor.<role>.<slug>`), worded by
/// `message` (the shop policy's or the platform policy's).
pub(crate) fn processor_recipient(p: &Processor, message: &'static str) -> (Recipient, Clause) {
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
            ("name", processor_name(p)),
            ("role", role(p.role)),
            ("country", country(p.country)),
        ],
    );
    (recipient, c)
}

/// A processor by the name readers of the page's language know it by.
pub(crate) fn processor_name(p: &Processor) -> Arg {
    if p.localized_names.is_empty() {
        text(&p.name)
    } else {
        Arg::Localized(
            p.name.clone(),
            p.localized_names
                .iter()
                .map(|(l, n)| (*l, n.clone()))
                .collect(),
        )
    }
}

/// The messages a document words its transfers section with.
pub(crate) struct TransferWords {
    /// Names the controller's country.
    pub intro: &'static str,
    /// One recipient abroad and its country.
    pub row: &'static str,
    /// The safeguards, with the address to ask for them.
    pub safeguards: &'static str,
}

/// The `transfers` section: a row per recipient outside `home`, each named by the argument
/// beside it. `None` when every recipient works in `home`, so no transfer is ever claimed that
/// does not happen.
pub(crate) fn transfers<'a>(
    home: Country,
    named: impl IntoIterator<Item = (&'a Recipient, Arg)>,
    email: &str,
    words: &TransferWords,
) -> Option<Section> {
    let rows: Vec<Clause> = named
        .into_iter()
        .filter(|(r, _)| r.country != home)
        .map(|(r, name)| {
            clause(
                format!("transfers.{}.{}", r.kind, crate::settings::slugify(&r.name)),
                words.row,
                vec![("recipient", name), ("country", country(r.country))],
            )
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let mut c = vec![clause(
        "transfers.intro",
        words.intro,
        vec![("country", country(home))],
    )];
    c.extend(rows);
    c.push(clause(
        "transfers.safeguards",
        words.safeguards,
        vec![("email", Arg::Email(email.to_owned()))],
    ));
    Some(section("transfers", c))
}

/// `rights.complain`: the authority of the controller's `country`, worded by `plain`, or by
/// `with_url` with a link where the authority has a site.
pub(crate) fn complaint_clause(
    country: Country,
    plain: &'static str,
    with_url: &'static str,
) -> Clause {
    let (authority, url) = complaint_authority(country);
    // Arabic agrees «وموقعه» / «وموقعها» with the authority's noun.
    let mut args = vec![
        ("authority", msg(authority)),
        ("gender", Arg::Gender(authority.to_owned())),
    ];
    if let Some(u) = url {
        args.push(("url", Arg::Url(u.into())));
        clause("rights.complain", with_url, args)
    } else {
        clause("rights.complain", plain, args)
    }
}

/// The authority customers can complain to, by the controller's country.
fn complaint_authority(c: Country) -> (&'static str, Option<&'static str>) {
    match c {
        Country::Al => ("authority-al", Some("https://idp.al")),
        Country::Sa => ("authority-sa", Some("https://sdaia.gov.sa")),
        Country::Ae => ("authority-ae", None),
        Country::Ir => ("authority-ir", None),
        c if c.is_eu() => ("authority-eu", None),
        _ => ("authority-other", None),
    }
}

/// Arabic calls a Saudi statute «النظام» and any other «القانون»: every message of every clause
/// can select on `$law`, by the controller's `country`. Every message can also select on
/// `$home`, the controller's legal system (`ir`, `al`, `sa`, `ae`, `eu`, `other`): the statute,
/// the transfer mechanism, a registration's label and Iranian-only terms (کد ملی، شبا) follow it.
pub(crate) fn add_law_selector(sections: &mut [Section], country: Country) {
    let law = if country == Country::Sa {
        "sa"
    } else {
        "other"
    };
    let home = home_key(country);
    for sec in sections {
        for c in &mut sec.clauses {
            c.args.push(("law", Arg::Select(law.into())));
            c.args.push(("home", Arg::Select(home.into())));
        }
    }
}

/// The legal system a controller in `c` answers to, as the `$home` selector spells it.
#[must_use]
pub fn home_key(c: Country) -> &'static str {
    match c {
        Country::Ir => "ir",
        Country::Al => "al",
        Country::Sa => "sa",
        Country::Ae => "ae",
        c if c.is_eu() => "eu",
        _ => "other",
    }
}

/// `controller.law`: the statute of the controller's country (chosen in the message by
/// `$home`), and which language version prevails when versions differ.
pub(crate) fn statute_clause(prevails: crate::locale::Locale) -> Clause {
    clause(
        "controller.law",
        "law-statute",
        vec![("language", msg(format!("lang-{}", prevails.tag())))],
    )
}

/// `security.hosting_home`: only when the host keeps the data in the controller's own country.
pub(crate) fn hosted_home_clause(platform: &str, host: Country, home: Country) -> Option<Clause> {
    (host == home).then(|| {
        clause(
            "security.hosting_home",
            "hosting-home",
            vec![("platform", text(platform)), ("country", country(home))],
        )
    })
}
