//! Privacy settings, published policy versions and the public policy pages.
//!
//! The owner edits one [`PrivacySettings`] value (`PUT .../privacy-settings`). Publishing
//! (`POST .../policies`) validates it, runs the consistency check against what the platform
//! does, renders every published locale as HTML, Markdown and JSON-LD, and freezes the lot as
//! an append-only version whose hash chains to the previous one. Public pages serve those frozen
//! documents as stored; nothing is rendered on the read path.
//!
//! Version in force: the highest version whose `effective_at` has passed. A version published
//! with a future date gives customers notice; until then the previous one stays in force (it is
//! already readable at `/shops/{slug}/privacy/versions/{n}`).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use harim_policy::{
    Change, HistoryEntry, Inconsistency, Locale, PlatformFacts, PolicyMeta, PrivacySettings,
    ShopFacts, canonical_json, check_consistency, compile, diff, negotiate, render_json,
    try_render_html, try_render_markdown, version_hash,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationTrait, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::{OffsetDateTime, UtcOffset};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState,
    entity::{policy_document, policy_version, privacy_settings, shop},
    error::{ApiError, FieldError},
    tenant::TenantCtx,
};

/// Name of the platform as it appears in policies (it is a processor of every shop).
pub const PLATFORM_NAME: &str = "Harim";

/// `Cache-Control` of the public pages. Documents are frozen, but the version in force changes
/// when a new one is published or takes effect, so caches revalidate after five minutes.
const PUBLIC_CACHE_CONTROL: &str = "public, max-age=300";

/// A published version's date may lie this far in the past (clock skew between client and us).
const EFFECTIVE_AT_GRACE: time::Duration = time::Duration::minutes(5);

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(publish, list_versions))
        .routes(routes!(public_html))
        .routes(routes!(public_json))
        .routes(routes!(public_markdown))
        .routes(routes!(public_version_html))
        .layer(Extension(Arc::new(DocCache::default())))
}

// ---------------------------------------------------------------------------------------------
// Settings

/// A shop's privacy settings (`harim_policy::PrivacySettings`). Unknown fields are refused.
#[derive(Serialize, Deserialize)]
#[serde(transparent)]
pub struct SettingsBody(PrivacySettings);

impl utoipa::PartialSchema for SettingsBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .description(Some(
                "harim_policy::PrivacySettings: customer_data, notifications {order_email, \
                 order_sms}, analytics, payment_gateways, processors, retention (days per kind), \
                 response_days, contact {email, phone?, address?}, controller, minimum_age, \
                 locales [{locale, calendar, digits}], default_locale.",
            ))
            .examples([json!(harim_policy::examples::iranian_shop().0)])
            .into()
    }
}

impl ToSchema for SettingsBody {}

fn policy_errors(prefix: &str, errs: Vec<harim_policy::FieldError>) -> ApiError {
    ApiError::Validation(
        errs.into_iter()
            .map(|e| FieldError::new(format!("{prefix}{}", e.field), e.code, e.message))
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

async fn current_settings(
    db: &impl ConnectionTrait,
    ctx: &TenantCtx,
) -> Result<(shop::Model, PrivacySettings), ApiError> {
    let shop = super::shops::find_shop(db, ctx).await?;
    let row = privacy_settings::Entity::find_by_id(ctx.tenant_id)
        .one(db)
        .await?;
    let settings = match row {
        Some(r) => parse_settings(&r.settings)?,
        None => default_settings(&shop),
    };
    Ok((shop, settings))
}

fn parse_settings(stored: &str) -> Result<PrivacySettings, ApiError> {
    serde_json::from_str(stored).map_err(|e| ApiError::internal("stored privacy settings", e))
}

/// The shop's privacy settings; the platform defaults if the owner never saved any (they do
/// not validate until contact and controller are filled in).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/privacy-settings", tag = "policies",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = SettingsBody),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_settings(
    State(state): State<AppState>,
    ctx: TenantCtx,
) -> Result<ApiJson<SettingsBody>, ApiError> {
    let (_, settings) = current_settings(&state.db, &ctx).await?;
    Ok(ApiJson(SettingsBody(settings)))
}

/// Replace the privacy settings (owner only). Every invalid field is named in one 422.
#[utoipa::path(put, path = "/v1/shops/{shop_id}/privacy-settings", tag = "policies",
    params(("shop_id" = Uuid, Path)), request_body = SettingsBody,
    responses((status = 200, body = SettingsBody),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn put_settings(
    State(state): State<AppState>,
    ctx: TenantCtx,
    ApiJson(SettingsBody(settings)): ApiJson<SettingsBody>,
) -> Result<ApiJson<SettingsBody>, ApiError> {
    ctx.require_owner()?;
    settings.validate().map_err(|e| policy_errors("", e))?;
    let row = privacy_settings::ActiveModel {
        tenant_id: Set(ctx.tenant_id),
        settings: Set(canonical_json(&settings)),
        updated_at: Set(OffsetDateTime::now_utc()),
        updated_by: Set(ctx.actor()),
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
        .exec(&state.db)
        .await?;
    Ok(ApiJson(SettingsBody(settings)))
}

// ---------------------------------------------------------------------------------------------
// Publishing

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishIn {
    /// When this version takes effect (RFC 3339); default now. A future date gives customers
    /// notice: until then the previous version stays in force. A past date is refused.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    effective_at: Option<OffsetDateTime>,
}

/// One change against the previous version, worded in every supported language.
#[derive(Serialize, ToSchema)]
pub struct ChangeOut {
    /// The typed change (`type` plus its fields, e.g. `{"type": "notification_sms_enabled"}`).
    #[schema(value_type = Object)]
    change: Value,
    /// `{en, fa, ar, sq}`: one sentence per language.
    #[schema(value_type = Object)]
    text: Value,
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    version: u32,
    /// Hex SHA-256 over the previous hash, the canonical settings and every rendered document.
    hash: String,
    previous_hash: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    effective_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    published_at: OffsetDateTime,
    /// Languages the documents were rendered in.
    locales: Vec<String>,
    /// True for the version customers see now (the newest whose `effective_at` has passed).
    in_force: bool,
    changes: Vec<ChangeOut>,
}

fn change_out(c: &Change) -> ChangeOut {
    let text: serde_json::Map<String, Value> = Locale::ALL
        .iter()
        .map(|l| (l.tag().to_string(), Value::String(c.describe(*l))))
        .collect();
    ChangeOut {
        change: serde_json::to_value(c).unwrap_or(Value::Null),
        text: Value::Object(text),
    }
}

fn version_out(v: &policy_version::Model, in_force: bool) -> Result<VersionOut, ApiError> {
    let changes: Vec<Change> = serde_json::from_str(&v.changes)
        .map_err(|e| ApiError::internal("stored policy changes", e))?;
    Ok(VersionOut {
        version: u32::try_from(v.version).unwrap_or_default(),
        hash: v.hash.clone(),
        previous_hash: v.previous_hash.clone(),
        effective_at: v.effective_at,
        published_at: v.published_at,
        locales: split_locales(&v.locales)
            .map(|l| l.tag().to_string())
            .collect(),
        in_force,
        changes: changes.iter().map(change_out).collect(),
    })
}

fn split_locales(s: &str) -> impl Iterator<Item = Locale> + '_ {
    s.split(',').filter_map(Locale::from_tag)
}

/// What the platform really stores and uses for this shop's customers, for
/// [`check_consistency`]. The storefront always keeps orders and logs client addresses;
/// gateways and processors are configured *by* these settings (they drive the platform), so
/// they are taken from them. Merchant identity and KYC belong to the platform's own policy, not
/// the shop's. When customer records reach harim, their categories are added here.
fn platform_facts(settings: &PrivacySettings) -> PlatformFacts {
    use harim_policy::CustomerDataCategory as C;
    PlatformFacts {
        customer_data: vec![C::OrderHistory, C::IpAddress],
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

fn inconsistency_error(i: &Inconsistency) -> FieldError {
    // Messages name categories and kinds (our vocabulary), never a submitted name.
    match i {
        Inconsistency::UnnamedCategory {
            category,
            source_kind,
        } => FieldError::new(
            "settings.customer_data",
            "unnamed_category",
            format!(
                "The platform stores {} ({source_kind}) but the policy does not name it.",
                category.key()
            ),
        ),
        Inconsistency::UnknownVaultField { .. } => FieldError::new(
            "settings.customer_data",
            "unknown_vault_field",
            "The platform holds a field whose category is unknown.",
        ),
        Inconsistency::ProcessorNotConfigured { role, .. } => FieldError::new(
            "settings.processors",
            "processor_not_configured",
            format!("A {} processor is named but not configured.", role.key()),
        ),
        Inconsistency::UnnamedProcessor { role, .. } => FieldError::new(
            "settings.processors",
            "unnamed_processor",
            format!(
                "A configured {} processor is not named in the policy.",
                role.key()
            ),
        ),
        Inconsistency::GatewayNotConfigured { gateway } => FieldError::new(
            "settings.payment_gateways",
            "gateway_not_configured",
            format!("Gateway {} is named but not configured.", gateway.key()),
        ),
        Inconsistency::UnnamedGateway { gateway } => FieldError::new(
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
    format: Format,
    body: String,
}

fn render_all(
    settings: &PrivacySettings,
    shop: &shop::Model,
    meta: &PolicyMeta,
) -> Result<Vec<Rendered>, ApiError> {
    let facts = ShopFacts {
        shop_name: shop.name.clone(),
        slug: shop.slug.clone(),
        platform_name: PLATFORM_NAME.into(),
        public_url: None,
    };
    let doc = compile(settings, &facts);
    let published = settings.published_locales();
    let mut out = Vec::new();
    for locale in Locale::ALL.into_iter().filter(|l| published.contains(l)) {
        let fmt = settings.format_for(locale);
        let html = try_render_html(&doc, meta, locale, &fmt)
            .map_err(|e| ApiError::internal("render html", e.0.join("; ")))?;
        let md = try_render_markdown(&doc, meta, locale, &fmt)
            .map_err(|e| ApiError::internal("render markdown", e.0.join("; ")))?;
        let json = serde_json::to_string(&render_json(&doc, meta, locale, &fmt))
            .map_err(|e| ApiError::internal("render json", e))?;
        for (format, body) in [(Format::Html, html), (Format::Md, md), (Format::Json, json)] {
            out.push(Rendered {
                locale,
                format,
                body,
            });
        }
    }
    Ok(out)
}

/// Publish the current settings as a new, frozen policy version (owner only).
///
/// Refuses invalid settings and settings that fail the consistency check (422), a past
/// `effective_at` or one before the previous version's (422), and settings identical to the
/// latest version (409: nothing to publish).
#[utoipa::path(post, path = "/v1/shops/{shop_id}/policies", tag = "policies",
    params(("shop_id" = Uuid, Path)), request_body = PublishIn,
    responses((status = 201, body = VersionOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "nothing changed, or a concurrent publish", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn publish(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    ctx: TenantCtx,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<VersionOut>), ApiError> {
    ctx.require_owner()?;
    let input: PublishIn = if body.iter().all(u8::is_ascii_whitespace) {
        PublishIn::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            ApiError::validation_one(
                "effective_at",
                "invalid",
                "Send `{}` or `{\"effective_at\": \"<RFC 3339 date-time>\"}`.",
            )
        })?
    };
    let now = OffsetDateTime::now_utc();
    let effective_at = input.effective_at.unwrap_or(now).to_offset(UtcOffset::UTC);
    if effective_at < now - EFFECTIVE_AT_GRACE {
        return Err(ApiError::validation_one(
            "effective_at",
            "in_the_past",
            "A policy cannot take effect in the past.",
        ));
    }

    let (shop, settings) = current_settings(&state.db, &ctx).await?;
    settings
        .validate()
        .map_err(|e| policy_errors("settings.", e))?;
    if let Err(found) = check_consistency(&settings, &platform_facts(&settings)) {
        return Err(ApiError::Validation(
            found.iter().map(inconsistency_error).collect(),
        ));
    }
    let canonical = canonical_json(&settings);
    let actor = ctx.actor();
    let tenant_id = ctx.tenant_id;

    let vault = state.vault.clone();
    let result = state
        .db
        .transaction::<_, policy_version::Model, ApiError>(|txn| {
            Box::pin(async move {
                // Write first (SQLite: take the write lock before reading, or a concurrent
                // writer's commit fails this transaction with BUSY_SNAPSHOT), and record who
                // published in the shop's audit chain.
                crate::audit::append(
                    txn,
                    &vault,
                    tenant_id,
                    crate::audit::Event {
                        actor: actor.clone(),
                        action: "policy.publish",
                        fields: Vec::new(),
                        purpose: None,
                        request_id: None,
                    },
                )
                .await?;
                let earlier = policy_version::Entity::find()
                    .filter(policy_version::Column::TenantId.eq(tenant_id))
                    .order_by_asc(policy_version::Column::Version)
                    .all(txn)
                    .await?;
                let previous = earlier.last();
                let changes = match previous {
                    Some(p) => {
                        if p.settings == canonical {
                            return Err(ApiError::Conflict(
                                "The settings are unchanged since the latest version.",
                            ));
                        }
                        if effective_at < p.effective_at {
                            return Err(ApiError::validation_one(
                                "effective_at",
                                "before_previous",
                                "A version cannot take effect before the version it replaces.",
                            ));
                        }
                        diff(&parse_settings(&p.settings)?, &settings)
                    }
                    None => Vec::new(),
                };
                let version = previous.map_or(1, |p| p.version + 1);
                let mut history = Vec::with_capacity(earlier.len() + 1);
                for e in &earlier {
                    history.push(HistoryEntry {
                        version: u32::try_from(e.version).unwrap_or_default(),
                        effective_at: e.effective_at.date(),
                        changes: serde_json::from_str(&e.changes)
                            .map_err(|err| ApiError::internal("stored policy changes", err))?,
                    });
                }
                let version_u32 = u32::try_from(version).unwrap_or_default();
                history.push(HistoryEntry {
                    version: version_u32,
                    effective_at: effective_at.date(),
                    changes: changes.clone(),
                });
                let meta = PolicyMeta {
                    version: version_u32,
                    effective_at: effective_at.date(),
                    history,
                };
                let docs = render_all(&settings, &shop, &meta)?;
                let previous_hash = previous.map(|p| p.hash.clone());
                let bodies: Vec<&str> = docs.iter().map(|d| d.body.as_str()).collect();
                let hash = version_hash(previous_hash.as_deref(), &canonical, &bodies);
                let locales: Vec<&str> = Locale::ALL
                    .iter()
                    .filter(|l| settings.published_locales().contains(l))
                    .map(|l| l.tag())
                    .collect();
                let model = policy_version::Model {
                    tenant_id,
                    version,
                    hash,
                    previous_hash,
                    settings: canonical,
                    changes: serde_json::to_string(&changes)
                        .map_err(|e| ApiError::internal("policy changes", e))?,
                    locales: locales.join(","),
                    default_locale: settings.default_locale.tag().into(),
                    effective_at,
                    published_at: now,
                    published_by: actor,
                };
                policy_version::ActiveModel::from(model.clone())
                    .insert(txn)
                    .await?;
                policy_document::Entity::insert_many(docs.into_iter().map(|d| {
                    policy_document::ActiveModel {
                        tenant_id: Set(tenant_id),
                        version: Set(version),
                        locale: Set(d.locale.tag().into()),
                        format: Set(d.format.as_str().into()),
                        body: Set(d.body),
                    }
                }))
                .exec(txn)
                .await?;
                Ok(model)
            })
        })
        .await;
    let model = match result.map_err(ApiError::from) {
        Ok(m) => m,
        Err(e) if e.is_unique_violation() => {
            return Err(ApiError::Conflict(
                "Another version was published at the same time; retry.",
            ));
        }
        Err(e) => return Err(e),
    };
    cache.forget_tenant(tenant_id);
    let in_force = model.effective_at <= OffsetDateTime::now_utc();
    Ok((StatusCode::CREATED, ApiJson(version_out(&model, in_force)?)))
}

/// Published versions, newest first.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/policies", tag = "policies",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = Vec<VersionOut>),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn list_versions(
    State(state): State<AppState>,
    ctx: TenantCtx,
) -> Result<ApiJson<Vec<VersionOut>>, ApiError> {
    let rows = policy_version::Entity::find()
        .filter(policy_version::Column::TenantId.eq(ctx.tenant_id))
        .order_by_desc(policy_version::Column::Version)
        .all(&state.db)
        .await?;
    let now = OffsetDateTime::now_utc();
    let in_force = rows
        .iter()
        .find(|v| v.effective_at <= now)
        .map(|v| v.version);
    let out = rows
        .iter()
        .map(|v| version_out(v, Some(v.version) == in_force))
        .collect::<Result<_, _>>()?;
    Ok(ApiJson(out))
}

// ---------------------------------------------------------------------------------------------
// Public pages

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Format {
    Html,
    Md,
    Json,
}

impl Format {
    fn as_str(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Md => "md",
            Format::Json => "json",
        }
    }
    fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Md => "text/markdown; charset=utf-8",
            Format::Json => "application/ld+json",
        }
    }
}

/// Read-path caches of one application instance.
///
/// - Frozen documents by (tenant, version, locale, format). They never go stale: a published
///   document never changes.
/// - Which version a (slug, requested version) resolves to, kept [`RESOLVE_TTL`]. Publishing
///   drops the shop's entries at once; the TTL bounds how late a future version takes over when
///   its date arrives and how long a deleted shop's page outlives it (the public
///   `Cache-Control` already allows clients five minutes).
///
/// Both maps are bounded by clearing them when full.
#[derive(Debug, Default)]
pub struct DocCache {
    docs: RwLock<HashMap<(Uuid, i32, Locale, Format), Bytes>>,
    resolved: RwLock<HashMap<ResolveKey, (Resolved, std::time::Instant)>>,
}

/// (slug, requested version; `None` = the version in force).
type ResolveKey = (String, Option<i32>);

const DOC_CACHE_ENTRIES: usize = 2048;
const RESOLVE_CACHE_ENTRIES: usize = 4096;
/// How long a slug's resolution to a version is reused.
pub const RESOLVE_TTL: std::time::Duration = std::time::Duration::from_secs(1);

impl DocCache {
    fn get(&self, key: &(Uuid, i32, Locale, Format)) -> Option<Bytes> {
        self.docs.read().ok()?.get(key).cloned()
    }
    fn put(&self, key: (Uuid, i32, Locale, Format), body: Bytes) {
        if let Ok(mut m) = self.docs.write() {
            if m.len() >= DOC_CACHE_ENTRIES {
                m.clear();
            }
            m.insert(key, body);
        }
    }
    fn forget_tenant(&self, tenant: Uuid) {
        if let Ok(mut m) = self.resolved.write() {
            m.retain(|_, (r, _)| r.0 != tenant);
        }
    }
    fn resolved(&self, slug: &str, version: Option<i32>) -> Option<Resolved> {
        let m = self.resolved.read().ok()?;
        let (r, at) = m.get(&(slug.to_string(), version))?;
        (at.elapsed() < RESOLVE_TTL).then(|| r.clone())
    }
    fn put_resolved(&self, slug: &str, version: Option<i32>, r: Resolved) {
        if let Ok(mut m) = self.resolved.write() {
            if m.len() >= RESOLVE_CACHE_ENTRIES {
                m.clear();
            }
            m.insert((slug.to_string(), version), (r, std::time::Instant::now()));
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Language (`en`, `fa`, `ar`, `sq`); beats `Accept-Language`. Ignored if the version was
    /// not published in it.
    lang: Option<String>,
}

/// The version to serve: (tenant, version, hash, locales, settings default, shop default).
type Resolved = (Uuid, i32, String, String, String, String);

async fn resolve(
    db: &impl ConnectionTrait,
    slug: &str,
    version: Option<i32>,
) -> Result<Resolved, ApiError> {
    let q = policy_version::Entity::find()
        .select_only()
        .column(policy_version::Column::TenantId)
        .column(policy_version::Column::Version)
        .column(policy_version::Column::Hash)
        .column(policy_version::Column::Locales)
        .column(policy_version::Column::DefaultLocale)
        .column_as(shop::Column::DefaultLocale, "shop_default_locale")
        .join(JoinType::InnerJoin, policy_version::Relation::Shop.def())
        .filter(shop::Column::Slug.eq(slug));
    let q = match version {
        Some(n) => q.filter(policy_version::Column::Version.eq(n)),
        None => q.filter(policy_version::Column::EffectiveAt.lte(OffsetDateTime::now_utc())),
    };
    q.order_by_desc(policy_version::Column::Version)
        .limit(1)
        .into_tuple::<Resolved>()
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

async fn serve(
    state: &AppState,
    cache: &DocCache,
    slug: &str,
    version: Option<i32>,
    format: Format,
    lang: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let resolved = match cache.resolved(slug, version) {
        Some(r) => r,
        None => {
            let r = resolve(&state.db, slug, version).await?;
            cache.put_resolved(slug, version, r.clone());
            r
        }
    };
    let (tenant, version, hash, locales, settings_default, shop_default) = resolved;
    let available: Vec<Locale> = split_locales(&locales).collect();
    let default = Locale::from_tag(&shop_default)
        .filter(|l| available.contains(l))
        .or_else(|| Locale::from_tag(&settings_default))
        .or_else(|| available.first().copied())
        .unwrap_or(Locale::En);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let locale = negotiate(lang, accept, &available, default);

    // Strong: the version hash names the exact bytes of every document of that version.
    let etag = format!(
        "\"{}-{}-{}\"",
        hash.get(..32).unwrap_or(&hash),
        locale.tag(),
        format.as_str()
    );
    let mut out = HeaderMap::new();
    fn set(out: &mut HeaderMap, name: header::HeaderName, value: &str) {
        if let Ok(v) = HeaderValue::from_str(value) {
            out.insert(name, v);
        }
    }
    set(&mut out, header::ETAG, &etag);
    set(&mut out, header::CACHE_CONTROL, PUBLIC_CACHE_CONTROL);
    set(&mut out, header::VARY, "Accept-Language");
    set(&mut out, header::CONTENT_LANGUAGE, locale.tag());
    if if_none_match(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    set(&mut out, header::CONTENT_TYPE, format.content_type());
    set(&mut out, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if format == Format::Html {
        // The page has inline CSS and nothing else; even a mistake in escaping cannot run script.
        set(
            &mut out,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        );
    }

    let key = (tenant, version, locale, format);
    let body = match cache.get(&key) {
        Some(b) => b,
        None => {
            let doc = policy_document::Entity::find_by_id((
                tenant,
                version,
                locale.tag().to_string(),
                format.as_str().to_string(),
            ))
            .one(&state.db)
            .await?
            .ok_or_else(|| ApiError::internal("policy document", "missing for a version"))?;
            let b = Bytes::from(doc.body);
            cache.put(key, b.clone());
            b
        }
    };
    Ok((StatusCode::OK, out, body).into_response())
}

/// The privacy policy in force, as an HTML page. Language: `?lang=`, then `Accept-Language`,
/// then the shop's default. Answers 304 to a matching `If-None-Match`.
#[utoipa::path(get, path = "/shops/{slug}/privacy", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "HTML page", content_type = "text/html; charset=utf-8", body = String),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
async fn public_html(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &cache,
        &slug,
        None,
        Format::Html,
        q.lang.as_deref(),
        &headers,
    )
    .await
}

/// The policy in force as JSON-LD (W3C DPV terms, clause ids and localised text).
#[utoipa::path(get, path = "/shops/{slug}/privacy.json", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "JSON-LD", content_type = "application/ld+json", body = Object),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
async fn public_json(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &cache,
        &slug,
        None,
        Format::Json,
        q.lang.as_deref(),
        &headers,
    )
    .await
}

/// The policy in force as Markdown.
#[utoipa::path(get, path = "/shops/{slug}/privacy.md", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "Markdown", content_type = "text/markdown; charset=utf-8", body = String),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or nothing published", body = crate::Problem, content_type = "application/problem+json")))]
async fn public_markdown(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    serve(
        &state,
        &cache,
        &slug,
        None,
        Format::Md,
        q.lang.as_deref(),
        &headers,
    )
    .await
}

/// One published version as HTML, including a version that has not taken effect yet.
#[utoipa::path(get, path = "/shops/{slug}/privacy/versions/{n}", tag = "public", security(()),
    params(("slug" = String, Path), ("n" = u32, Path), LangQuery,
        ("Accept-Language" = Option<String>, Header),
        ("If-None-Match" = Option<String>, Header)),
    responses((status = 200, description = "HTML page", content_type = "text/html; charset=utf-8", body = String),
        (status = 304, description = "not modified"),
        (status = 404, description = "unknown shop or version", body = crate::Problem, content_type = "application/problem+json")))]
async fn public_version_html(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    Path((slug, n)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let n: i32 = n
        .parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(ApiError::NotFound)?;
    serve(
        &state,
        &cache,
        &slug,
        Some(n),
        Format::Html,
        q.lang.as_deref(),
        &headers,
    )
    .await
}
