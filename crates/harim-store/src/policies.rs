//! Privacy settings, published policy versions and what the public pages read.
//!
//! The owner edits one [`PrivacySettings`] value. Publishing validates it, runs the consistency
//! check against what the platform does, renders every published locale as HTML, Markdown and
//! JSON-LD, and freezes the lot as an append-only version whose hash chains to the previous one.
//! Public pages serve those frozen documents as stored; nothing is rendered on the read path.
//!
//! Version in force: the highest version whose `effective_at` has passed. A version published
//! with a future date gives customers notice; until then the previous one stays in force.

use std::sync::Arc;

pub mod encodings;

pub use encodings::Encoded;
use harim_policy::platform::Platform;
use harim_policy::{
    Change, HistoryEntry, Inconsistency, Locale, PlatformFacts, PolicyMeta, PrivacySettings,
    ShopFacts, canonical_json, check_consistency, compile, diff, render_json, try_render_html,
    try_render_markdown, version_hash,
};
use harim_vault::Vault;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use time::{OffsetDateTime, UtcOffset};
use uuid::Uuid;

use crate::{
    StoreError, audit,
    entity::{policy_document, policy_version, privacy_settings, shop},
    error::Violation,
    scope::ShopScope,
    shops,
    tx::{self, Finish},
};

/// A published version's date may lie this far in the past (clock skew between client and us).
const EFFECTIVE_AT_GRACE: time::Duration = time::Duration::minutes(5);

/// The stored forms of every published document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentFormat {
    Html,
    Markdown,
    JsonLd,
}

impl DocumentFormat {
    /// As stored in `policy_documents.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentFormat::Html => "html",
            DocumentFormat::Markdown => "md",
            DocumentFormat::JsonLd => "json",
        }
    }
}

fn policy_violations(prefix: &str, errs: Vec<Violation>) -> StoreError {
    StoreError::Rejected(
        errs.into_iter()
            .map(|e| Violation {
                field: format!("{prefix}{}", e.field),
                ..e
            })
            .collect(),
    )
}

/// The defaults a shop starts from: the platform default, in the shop's own language.
fn default_settings(shop: &shop::Model) -> PrivacySettings {
    let mut s = PrivacySettings::default();
    if let Some(l) = Locale::from_tag(&shop.default_locale) {
        s.locales = vec![harim_policy::LocaleSettings::customary(l)];
        s.default_locale = l;
    }
    s
}

pub(crate) fn parse_settings(stored: &str) -> Result<PrivacySettings, StoreError> {
    serde_json::from_str(stored).map_err(|e| StoreError::internal("stored privacy settings", e))
}

async fn current(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
) -> Result<(shop::Model, PrivacySettings), StoreError> {
    let shop = shops::find(db, scope).await?;
    let row = privacy_settings::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?;
    let settings = match row {
        Some(r) => parse_settings(&r.settings)?,
        None => default_settings(&shop),
    };
    Ok((shop, settings))
}

/// The scope's privacy settings; the platform defaults if the owner never saved any (they do
/// not validate until contact and controller are filled in).
pub async fn settings(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
) -> Result<PrivacySettings, StoreError> {
    Ok(current(db, scope).await?.1)
}

/// Replaces the privacy settings (owner only); every invalid field is named.
pub async fn save_settings(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    settings: &PrivacySettings,
) -> Result<(), StoreError> {
    scope.require_owner()?;
    settings.validate().map_err(|e| policy_violations("", e))?;
    let row = privacy_settings::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        settings: Set(canonical_json(settings)),
        updated_at: Set(OffsetDateTime::now_utc()),
        updated_by: Set(scope.actor()),
    };
    privacy_settings::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(privacy_settings::Column::TenantId)
                .update_columns([
                    privacy_settings::Column::Settings,
                    privacy_settings::Column::UpdatedAt,
                    privacy_settings::Column::UpdatedBy,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// One published version.
#[derive(Debug, Clone)]
pub struct Version {
    pub version: u32,
    pub hash: String,
    pub previous_hash: Option<String>,
    pub effective_at: OffsetDateTime,
    pub published_at: OffsetDateTime,
    pub locales: Vec<Locale>,
    pub changes: Vec<Change>,
    /// Whether this is the version customers see now.
    pub in_force: bool,
}

fn split_locales(s: &str) -> impl Iterator<Item = Locale> + '_ {
    s.split(',').filter_map(Locale::from_tag)
}

fn version_of(v: &policy_version::Model, in_force: bool) -> Result<Version, StoreError> {
    Ok(Version {
        version: u32::try_from(v.version).unwrap_or_default(),
        hash: v.hash.clone(),
        previous_hash: v.previous_hash.clone(),
        effective_at: v.effective_at,
        published_at: v.published_at,
        locales: split_locales(&v.locales).collect(),
        changes: serde_json::from_str(&v.changes)
            .map_err(|e| StoreError::internal("stored policy changes", e))?,
        in_force,
    })
}

/// What the platform really stores and uses for this shop's customers, for
/// [`check_consistency`]: what every storefront collects automatically and how long the
/// platform keeps it come from `[platform] storefront_collects` (the operator's facts);
/// gateways and processors are configured *by* these settings (they drive the platform), so
/// they are taken from them. Merchant identity and KYC are in the platform's own policy
/// ([`crate::platform_policy`]), not the shop's.
fn platform_facts(settings: &PrivacySettings, platform: &Platform) -> PlatformFacts {
    PlatformFacts {
        customer_data: Vec::new(),
        storefront: platform.storefront_collects.clone(),
        vault_fields: Vec::new(),
        kyc_document_kinds: Vec::new(),
        processors: settings
            .processors
            .iter()
            .map(|p| harim_policy::ProcessorRef {
                role: p.role,
                name: p.name.clone(),
            })
            .collect(),
        payment_gateways: settings.payment_gateways.clone(),
    }
}

fn inconsistency(i: &Inconsistency) -> Violation {
    // Messages name categories and kinds (our vocabulary), never a submitted name.
    match i {
        Inconsistency::UnnamedCategory {
            category,
            source_kind,
        } => Violation::new(
            "settings.customer_data",
            "unnamed_category",
            format!(
                "The platform stores {} ({source_kind}) but the policy does not name it.",
                category.key()
            ),
        ),
        Inconsistency::UnknownVaultField { .. } => Violation::new(
            "settings.customer_data",
            "unknown_vault_field",
            "The platform holds a field whose category is unknown.",
        ),
        Inconsistency::ProcessorNotConfigured { role, .. } => Violation::new(
            "settings.processors",
            "processor_not_configured",
            format!("A {} processor is named but not configured.", role.key()),
        ),
        Inconsistency::UnnamedProcessor { role, .. } => Violation::new(
            "settings.processors",
            "unnamed_processor",
            format!(
                "A configured {} processor is not named in the policy.",
                role.key()
            ),
        ),
        Inconsistency::GatewayNotConfigured { gateway } => Violation::new(
            "settings.payment_gateways",
            "gateway_not_configured",
            format!("Gateway {} is named but not configured.", gateway.key()),
        ),
        Inconsistency::RetentionShorterThanPlatform {
            category,
            promised: _,
            actual,
        } => Violation::new(
            format!("settings.retention.{}", category.retention_kind().field()),
            "shorter_than_platform",
            format!(
                "The platform keeps {} for {actual} days; the policy cannot promise less.",
                category.key()
            ),
        ),
        Inconsistency::UnnamedGateway { gateway } => Violation::new(
            "settings.payment_gateways",
            "unnamed_gateway",
            format!(
                "Gateway {} is configured but not named in the policy.",
                gateway.key()
            ),
        ),
    }
}

/// One rendered document, in the order the hash covers them.
struct Rendered {
    locale: Locale,
    format: DocumentFormat,
    body: String,
}

fn render_all(
    settings: &PrivacySettings,
    shop: &shop::Model,
    platform: &Platform,
    meta: &PolicyMeta,
) -> Result<Vec<Rendered>, StoreError> {
    let facts = ShopFacts {
        shop_name: shop.name.clone(),
        slug: shop.slug.clone(),
        platform_name: platform.name.clone(),
        public_url: None,
        // set from [platform] config by the lead
        platform_country: platform.hosting_country,
        backup_days: platform.backup_retention_days,
    };
    let doc = compile(settings, &facts);
    let published = settings.published_locales();
    let mut out = Vec::new();
    for locale in Locale::ALL.into_iter().filter(|l| published.contains(l)) {
        let fmt = settings.format_for(locale);
        let html = try_render_html(&doc, meta, locale, &fmt)
            .map_err(|e| StoreError::internal("render html", e.0.join("; ")))?;
        let md = try_render_markdown(&doc, meta, locale, &fmt)
            .map_err(|e| StoreError::internal("render markdown", e.0.join("; ")))?;
        let json = serde_json::to_string(&render_json(&doc, meta, locale, &fmt))
            .map_err(|e| StoreError::internal("render json", e))?;
        for (format, body) in [
            (DocumentFormat::Html, html),
            (DocumentFormat::Markdown, md),
            (DocumentFormat::JsonLd, json),
        ] {
            out.push(Rendered {
                locale,
                format,
                body,
            });
        }
    }
    Ok(out)
}

/// A version ready to write: its row and its documents, each with its compressed forms.
struct Prepared {
    model: policy_version::Model,
    docs: Vec<(Rendered, Vec<u8>, Vec<u8>)>,
}

/// What one publish request is: the same whichever version it lands on top of.
struct Draft<'a> {
    settings: &'a PrivacySettings,
    /// The operator's facts (`[platform]`).
    platform: &'a Platform,
    /// `canonical_json(settings)`.
    canonical: &'a str,
    shop: &'a shop::Model,
    effective_at: OffsetDateTime,
    now: OffsetDateTime,
    actor: &'a str,
}

/// The next version after `earlier` (every version of the shop, oldest first): refusals,
/// changes, history, rendering and hash. CPU only.
fn prepare(
    draft: &Draft<'_>,
    earlier: &[policy_version::Model],
) -> Result<(policy_version::Model, Vec<Rendered>), StoreError> {
    let Draft {
        settings,
        platform: _,
        canonical,
        shop,
        effective_at,
        now,
        actor,
    } = *draft;
    let previous = earlier.last();
    let changes = match previous {
        Some(p) => {
            if p.settings == canonical {
                return Err(StoreError::Conflict(
                    "The settings are unchanged since the latest version.",
                ));
            }
            if effective_at < p.effective_at {
                return Err(StoreError::rejected(
                    "effective_at",
                    "before_previous",
                    "A version cannot take effect before the version it replaces.",
                ));
            }
            diff(&parse_settings(&p.settings)?, settings)
        }
        None => Vec::new(),
    };
    let version = previous.map_or(1, |p| p.version + 1);
    let mut history = Vec::with_capacity(earlier.len() + 1);
    for e in earlier {
        history.push(history_entry(e.version, e.effective_at, &e.changes)?);
    }
    let version_u32 = u32::try_from(version).unwrap_or_default();
    history.push(HistoryEntry {
        version: version_u32,
        effective_at: effective_at.date(),
        changes: changes.clone(),
    });
    let previous_hash = previous.map(|p| p.hash.clone());
    // The default language first: it is the pages' `x-default`.
    let published = settings.published_locales();
    let alternates = std::iter::once(settings.default_locale)
        .chain(Locale::ALL)
        .filter(|l| published.contains(l))
        .fold(Vec::new(), |mut v, l| {
            if !v.contains(&l) {
                v.push(l);
            }
            v
        });
    let meta = PolicyMeta {
        version: version_u32,
        effective_at: effective_at.date(),
        history,
        alternates,
        previous_hash: previous_hash.clone(),
    };
    let docs = render_all(settings, shop, draft.platform, &meta)?;
    let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
    let hash = version_hash(previous_hash.as_deref(), canonical, &bodies);
    let locales: Vec<&str> = Locale::ALL
        .iter()
        .filter(|l| settings.published_locales().contains(l))
        .map(|l| l.tag())
        .collect();
    let model = policy_version::Model {
        tenant_id: shop.id,
        version,
        hash,
        previous_hash,
        settings: canonical.to_string(),
        changes: serde_json::to_string(&changes)
            .map_err(|e| StoreError::internal("policy changes", e))?,
        locales: locales.join(","),
        default_locale: settings.default_locale.tag().into(),
        effective_at,
        published_at: now,
        published_by: actor.to_string(),
    };
    Ok((model, docs))
}

/// How often a publish that met a concurrent one is prepared again before it gives up.
const PUBLISH_ATTEMPTS: usize = 3;

/// Publishes the current settings as a new, frozen version (owner only).
///
/// Refuses invalid settings and settings that fail the consistency check, a past
/// `effective_at` or one before the previous version's ([`StoreError::Rejected`]), and settings
/// identical to the latest version ([`StoreError::Conflict`]: nothing to publish).
///
/// Every document is rendered and compressed ([`encodings`]: gzip and brotli, ~25 ms per
/// document at brotli's best) *before* the transaction, off the async executor, so the
/// publishing transaction holds its locks (on SQLite the database's write lock) only to
/// write. The transaction then checks that the version it was prepared on is still the
/// latest; if another publish came first, it rolls back and prepares again.
pub async fn publish(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    platform: &Platform,
    effective_at: Option<OffsetDateTime>,
) -> Result<Version, StoreError> {
    scope.require_owner()?;
    let now = OffsetDateTime::now_utc();
    let effective_at = effective_at.unwrap_or(now).to_offset(UtcOffset::UTC);
    if effective_at < now - EFFECTIVE_AT_GRACE {
        return Err(StoreError::rejected(
            "effective_at",
            "in_the_past",
            "A policy cannot take effect in the past.",
        ));
    }
    let (shop, settings) = current(db, scope).await?;
    settings
        .validate()
        .map_err(|e| policy_violations("settings.", e))?;
    let mut found: Vec<Violation> =
        match check_consistency(&settings, &platform_facts(&settings, platform)) {
            Ok(()) => Vec::new(),
            Err(f) => f.iter().map(inconsistency).collect(),
        };
    // Data the shop already holds about its customers must be declared.
    let held = crate::customers::held_categories(db, scope.tenant_id()).await?;
    found.extend(crate::customers::undeclared(&settings, &held));
    if !found.is_empty() {
        return Err(StoreError::Rejected(found));
    }
    let canonical = canonical_json(&settings);
    let actor = scope.actor();
    let tenant_id = scope.tenant_id();
    for _ in 0..PUBLISH_ATTEMPTS {
        let earlier = policy_version::Entity::find()
            .filter(policy_version::Column::TenantId.eq(tenant_id))
            .order_by_asc(policy_version::Column::Version)
            .all(db)
            .await?;
        let draft = Draft {
            settings: &settings,
            platform,
            canonical: &canonical,
            shop: &shop,
            effective_at,
            now,
            actor: &actor,
        };
        let (model, docs) = prepare(&draft, &earlier)?;
        let docs = tokio::task::spawn_blocking(move || {
            docs.into_iter()
                .map(|d| {
                    let gzip = encodings::gzip(d.body.as_bytes())?;
                    let br = encodings::brotli(d.body.as_bytes())?;
                    Ok((d, gzip, br))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .await
        .map_err(|e| StoreError::internal("compressing policy documents", e))??;
        let prepared = Prepared { model, docs };
        let event = audit::Event {
            actor: actor.clone(),
            action: audit::Action::PolicyPublish,
            fields: Vec::new(),
            purpose: None,
            request_id: None,
        };
        let result = tx::audited(db, vault, tenant_id, event, move |txn| {
            Box::pin(async move {
                // The version this one was prepared on must still be the latest.
                let latest = policy_version::Entity::find()
                    .filter(policy_version::Column::TenantId.eq(tenant_id))
                    .order_by_desc(policy_version::Column::Version)
                    .one(txn)
                    .await?
                    .map(|p| p.hash);
                if latest != prepared.model.previous_hash {
                    return Ok(Finish::Rollback(None));
                }
                // Every replica's page cache drops the shop when this commits.
                crate::events::notify(txn, crate::events::Event::Tenant(tenant_id)).await?;
                let Prepared { model, docs } = prepared;
                let version = model.version;
                policy_version::ActiveModel::from(model.clone())
                    .insert(txn)
                    .await?;
                policy_document::Entity::insert_many(docs.into_iter().map(|(d, gzip, br)| {
                    policy_document::ActiveModel {
                        tenant_id: Set(tenant_id),
                        version: Set(version),
                        locale: Set(d.locale.tag().into()),
                        format: Set(d.format.as_str().into()),
                        body: Set(d.body),
                        body_gzip: Set(Some(gzip)),
                        body_br: Set(Some(br)),
                    }
                }))
                .exec(txn)
                .await?;
                crate::consent::mark_renewals(txn, tenant_id, version, &model.changes).await?;
                let changes: serde_json::Value = serde_json::from_str(&model.changes)
                    .map_err(|e| StoreError::internal("policy changes", e))?;
                crate::privacy_events::emit(
                    txn,
                    tenant_id,
                    crate::privacy_events::Topic::PolicyPublished,
                    None,
                    None,
                    serde_json::json!({
                        "version": version,
                        "hash": model.hash,
                        "effective_at": crate::customers::rfc3339_of(model.effective_at),
                        "changes": changes,
                    }),
                )
                .await?;
                Ok(Finish::Commit(Some(model)))
            })
        })
        .await;
        let model = match result {
            Ok(Some(m)) => m,
            // Another version came first: prepare on top of it.
            Ok(None) => continue,
            Err(e) if e.is_unique_violation() => continue,
            Err(e) => return Err(e),
        };
        let in_force = model.effective_at <= OffsetDateTime::now_utc();
        return version_of(&model, in_force);
    }
    Err(StoreError::Conflict(
        "Other versions were being published at the same time; retry.",
    ))
}

/// The scope's published versions, newest first.
pub async fn versions(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
) -> Result<Vec<Version>, StoreError> {
    let rows = policy_version::Entity::find()
        .filter(policy_version::Column::TenantId.eq(scope.tenant_id()))
        .order_by_desc(policy_version::Column::Version)
        .all(db)
        .await?;
    let in_force = in_force(rows.iter().map(|v| (v.version, v.effective_at)));
    rows.iter()
        .map(|v| version_of(v, Some(v.version) == in_force))
        .collect()
}

/// Of versions listed newest first, the one in force now: the newest whose date has passed.
pub(crate) fn in_force(newest_first: impl Iterator<Item = (i32, OffsetDateTime)>) -> Option<i32> {
    let now = OffsetDateTime::now_utc();
    newest_first
        .filter(|(_, effective_at)| *effective_at <= now)
        .map(|(version, _)| version)
        .next()
}

/// An earlier version as the update history shows it (`changes`: its stored JSON).
pub(crate) fn history_entry(
    version: i32,
    effective_at: OffsetDateTime,
    changes: &str,
) -> Result<HistoryEntry, StoreError> {
    Ok(HistoryEntry {
        version: u32::try_from(version).unwrap_or_default(),
        effective_at: effective_at.date(),
        changes: serde_json::from_str(changes)
            .map_err(|err| StoreError::internal("stored policy changes", err))?,
    })
}

/// The version a public page serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub tenant_id: Uuid,
    pub version: i32,
    /// The version's hash (names the exact bytes of every document of the version).
    pub hash: String,
    /// The locales it was published in.
    pub locales: Vec<Locale>,
    /// The settings' default locale, then the shop's.
    pub settings_default: Option<Locale>,
    pub shop_default: Option<Locale>,
}

/// Which version of shop `slug` a public page serves: version `n`, or the one in force.
///
/// Two statements, not one join: `shops` is a reference table on Citus and `policy_versions` is
/// distributed, so a join filtered by slug would ask every shard; with the shop's id in hand the
/// second statement goes to one. The page cache keeps the result, so the extra round trip is paid
/// once per shop, version and process.
pub async fn resolve(
    db: &impl ConnectionTrait,
    slug: &str,
    n: Option<i32>,
) -> Result<Resolved, StoreError> {
    let shop_row = shop::Entity::find()
        .select_only()
        .column(shop::Column::Id)
        .column(shop::Column::DefaultLocale)
        .filter(shop::Column::Slug.eq(slug))
        .into_tuple::<(Uuid, String)>()
        .one(db)
        .await?;
    let found = match shop_row {
        None => None,
        Some((tenant_id, shop_default)) => {
            let q = policy_version::Entity::find()
                .select_only()
                .column(policy_version::Column::Version)
                .column(policy_version::Column::Hash)
                .column(policy_version::Column::Locales)
                .column(policy_version::Column::DefaultLocale)
                .filter(policy_version::Column::TenantId.eq(tenant_id));
            let q = match n {
                Some(n) => q.filter(policy_version::Column::Version.eq(n)),
                None => {
                    q.filter(policy_version::Column::EffectiveAt.lte(OffsetDateTime::now_utc()))
                }
            };
            q.order_by_desc(policy_version::Column::Version)
                .limit(1)
                .into_tuple::<(i32, String, String, String)>()
                .one(db)
                .await?
                .map(|(version, hash, locales, settings_default)| {
                    (
                        tenant_id,
                        version,
                        hash,
                        locales,
                        settings_default,
                        shop_default,
                    )
                })
        }
    };
    let Some((tenant_id, version, hash, locales, settings_default, shop_default)) = found else {
        if crate::fence::slug_erased(db, slug).await? {
            return Err(StoreError::Gone("This shop was erased."));
        }
        return Err(StoreError::NotFound);
    };
    Ok(Resolved {
        tenant_id,
        version,
        hash,
        locales: split_locales(&locales).collect(),
        settings_default: Locale::from_tag(&settings_default),
        shop_default: Locale::from_tag(&shop_default),
    })
}

/// A JSON-LD document as the public pages serve it: the stored text with the version's hash
/// appended as its last member, `…,"hash":"<hex>"}`, in every coding.
///
/// The hash covers the stored text ([`version_hash`]), so it cannot be inside it; everything
/// else the reader needs to follow the chain (`version`, `previous_hash`) is. Removing exactly
/// the 74 bytes `,"hash":"<64 hex>"` before the final `}` gives the stored, hashed bytes back
/// (docs/API.md). The coded forms are made here (at read-time settings, about a millisecond),
/// so callers keep the result: the page cache makes this once per document and process.
pub async fn with_hash_member(stored: &Encoded, hash: &str) -> Result<Encoded, StoreError> {
    let text = std::str::from_utf8(&stored.identity)
        .map_err(|e| StoreError::internal("stored JSON-LD", e))?;
    // Checked, not trusted: the value is spliced into JSON unescaped.
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StoreError::internal("version hash", "not 64 hex digits"));
    }
    let Some(open) = text.strip_suffix('}') else {
        return Err(StoreError::internal("stored JSON-LD", "not a JSON object"));
    };
    let served = format!("{open},\"hash\":\"{hash}\"}}");
    tokio::task::spawn_blocking(move || Encoded::from_stored(served, None, None))
        .await
        .map_err(|e| StoreError::internal("compressing a policy document", e))?
}

/// One frozen document of a resolved version, in every content coding the public pages serve
/// ([`Encoded`]). A document published before the compressed forms were stored (their columns
/// are NULL) is compressed here, off the async executor, and not written back: the caller keeps
/// the result (the page cache).
pub async fn document(
    db: &impl ConnectionTrait,
    resolved: &Resolved,
    locale: Locale,
    format: DocumentFormat,
) -> Result<Encoded, StoreError> {
    let row = policy_document::Entity::find_by_id((
        resolved.tenant_id,
        resolved.version,
        locale.tag().to_string(),
        format.as_str().to_string(),
    ))
    .one(db)
    .await?
    .ok_or_else(|| StoreError::internal("policy document", "missing for a version"))?;
    Encoded::load(row.body, row.body_gzip, row.body_br).await
}

/// A published policy that contradicts the platform's facts as they are configured now.
#[derive(Debug, Clone)]
pub struct Contradiction {
    pub tenant_id: Uuid,
    /// The latest published version, the one that states the contradiction.
    pub version: i32,
    pub violations: Vec<Violation>,
}

/// Runs every shop's latest published settings through the consistency check against `platform`
/// (for an operator who changed `[platform]`: which shops must publish again). Reads the
/// versions table once, in pages of 500 shops.
pub async fn contradictions(
    db: &impl ConnectionTrait,
    platform: &Platform,
) -> Result<(u64, Vec<Contradiction>), StoreError> {
    const PAGE: u64 = 500;
    let mut checked = 0;
    let mut out = Vec::new();
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = policy_version::Entity::find()
            .select_only()
            .column(policy_version::Column::TenantId)
            .column_as(policy_version::Column::Version.max(), "version")
            .group_by(policy_version::Column::TenantId)
            .order_by_asc(policy_version::Column::TenantId)
            .limit(PAGE);
        if let Some(a) = after {
            q = q.filter(policy_version::Column::TenantId.gt(a));
        }
        let latest = q.into_tuple::<(Uuid, i32)>().all(db).await?;
        let Some(last) = latest.last() else { break };
        after = Some(last.0);
        for (tenant_id, version) in &latest {
            let Some(row) = policy_version::Entity::find_by_id((*tenant_id, *version))
                .one(db)
                .await?
            else {
                continue;
            };
            checked += 1;
            let settings = parse_settings(&row.settings)?;
            let mut violations: Vec<Violation> =
                match check_consistency(&settings, &platform_facts(&settings, platform)) {
                    Ok(()) => Vec::new(),
                    Err(found) => found.iter().map(inconsistency).collect(),
                };
            let held = crate::customers::held_categories(db, *tenant_id).await?;
            violations.extend(crate::customers::undeclared(&settings, &held));
            if !violations.is_empty() {
                out.push(Contradiction {
                    tenant_id: *tenant_id,
                    version: *version,
                    violations,
                });
            }
        }
        if (latest.len() as u64) < PAGE {
            break;
        }
    }
    Ok((checked, out))
}
