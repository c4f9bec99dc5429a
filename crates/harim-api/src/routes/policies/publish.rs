//! Publishing: the current settings become a frozen, hash-chained version.

use std::sync::Arc;

use axum::{Extension, body::Bytes, extract::State, http::StatusCode};
use harim_policy::{Change, Locale};
use harim_store::policies;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::DocCache;
use crate::{AppState, error::ApiError, routes::ApiJson, scope::ShopCtx};

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct PublishIn {
    /// When this version takes effect (RFC 3339); default now. A future date gives customers
    /// notice: until then the previous version stays in force. A past date is refused.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub(crate) effective_at: Option<OffsetDateTime>,
}

impl PublishIn {
    /// An empty body, `{}` or `{"effective_at": ...}`; anything else is one 422.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        serde_json::from_slice(body).map_err(|_| {
            ApiError::validation_one(
                "effective_at",
                "invalid",
                "Send `{}` or `{\"effective_at\": \"<RFC 3339 date-time>\"}`.",
            )
        })
    }
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

impl From<policies::Version> for VersionOut {
    fn from(v: policies::Version) -> Self {
        Self {
            version: v.version,
            hash: v.hash,
            previous_hash: v.previous_hash,
            effective_at: v.effective_at,
            published_at: v.published_at,
            locales: v.locales.iter().map(|l| l.tag().to_string()).collect(),
            in_force: v.in_force,
            changes: v.changes.iter().map(change_out).collect(),
        }
    }
}

/// Publish the current settings as a new, frozen policy version (owner only).
///
/// Refuses invalid settings and settings that fail the consistency check (422), a past
/// `effective_at` or one before the previous version's (422), and settings identical to the
/// latest version (409: nothing to publish).
#[utoipa::path(post, path = "/v1/shops/{shop_id}/policies", tag = "policies",
    params(("shop_id" = Uuid, Path)),
    request_body(content = Option<PublishIn>, description = "optional; `{}` or no body is now, `{\"effective_at\": \"<RFC 3339>\"}` a later date"),
    responses((status = 201, body = VersionOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "nothing changed, or a concurrent publish", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn publish(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    ctx: ShopCtx,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<VersionOut>), ApiError> {
    ctx.require_owner()?;
    let input = PublishIn::parse(&body)?;
    let version = policies::publish(
        &state.db,
        &state.vault,
        &ctx,
        &state.config.platform,
        input.effective_at,
    )
    .await?;
    cache.forget_tenant(ctx.tenant_id());
    Ok((StatusCode::CREATED, ApiJson(version.into())))
}

/// Published versions, newest first.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/policies", tag = "policies",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = Vec<VersionOut>),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn list_versions(
    State(state): State<AppState>,
    ctx: ShopCtx,
) -> Result<ApiJson<Vec<VersionOut>>, ApiError> {
    let versions = policies::versions(&state.db, &ctx).await?;
    Ok(ApiJson(
        versions.into_iter().map(VersionOut::from).collect(),
    ))
}
