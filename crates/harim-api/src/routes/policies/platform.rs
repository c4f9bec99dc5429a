//! The platform's own privacy policy for merchants (`harim_store::platform_policy`): published
//! by an admin, served at `/privacy` like a shop's policy (same negotiation, codings, ETags,
//! cache and OpenAPI description of the answers, through [`public::serve`]).

use std::sync::Arc;

use axum::{
    Extension,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use harim_policy::platform::RightsRoutes;
use harim_store::{
    ids::PLATFORM_TENANT,
    platform_policy::{self, Context},
    policies::DocumentFormat,
};

use super::{
    DocCache,
    public::{self, LangQuery, PageHeaders, PageRequest, Source},
    publish::{PublishIn, VersionOut},
};
use crate::{AppState, auth::Operator, error::ApiError, routes::ApiJson};

/// The requests the platform policy names for each right. A test checks each is a route of
/// the OpenAPI document, so the policy cannot name a request that does not exist.
pub const RIGHTS_ROUTES: [(&str, &str); 6] = [
    ("post", "/v1/account/exports"),
    ("post", "/v1/shops/{shop_id}/exports"),
    ("delete", "/v1/account"),
    ("delete", "/v1/shops/{shop_id}"),
    ("put", "/v1/shops/{shop_id}/identity"),
    ("get", "/v1/receipts/{receipt_id}"),
];

/// The rights' requests as the policy names them (`POST /v1/account/exports`, ...).
#[must_use]
pub fn rights_routes() -> RightsRoutes {
    let r = |i: usize| {
        let (m, p) = RIGHTS_ROUTES[i];
        format!("{} {p}", m.to_ascii_uppercase())
    };
    RightsRoutes {
        account_export: r(0),
        shop_export: r(1),
        account_erasure: r(2),
        shop_erasure: r(3),
        identity_update: r(4),
        receipt: r(5),
    }
}

/// What the installation states about itself, from its configuration and key provider.
pub(crate) fn context(state: &AppState) -> Context {
    Context {
        platform: state.config.platform.clone(),
        periods: state.config.retention,
        response_days: state.config.account_response_days,
        keys_in_hsm: state.vault.provider().kind() == "pkcs11",
        routes: rights_routes(),
    }
}

/// Publishes the platform policy as the configuration and the data map stand now (admin).
/// Refuses invalid `[platform]` facts (422), a past `effective_at` (422) and nothing changed
/// since the latest version (409).
#[utoipa::path(post, path = "/v1/admin/platform-policy", tag = "admin",
    request_body(content = Option<PublishIn>, description = "optional; `{}` or no body is now, `{\"effective_at\": \"<RFC 3339>\"}` a later date"),
    responses((status = 201, body = VersionOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn publish_platform(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    operator: Operator,
    body: Bytes,
) -> Result<(StatusCode, ApiJson<VersionOut>), ApiError> {
    operator.require(
        harim_store::roles::PlatformRole::Admin,
        "Only platform admins publish the platform policy.",
    )?;
    let input = PublishIn::parse(&body)?;
    let version =
        platform_policy::publish(&state.db, &operator, &context(&state), input.effective_at)
            .await?;
    cache.forget_tenant(PLATFORM_TENANT);
    Ok((StatusCode::CREATED, ApiJson(version.into())))
}

/// Published versions of the platform policy, newest first (admin).
#[utoipa::path(get, path = "/v1/admin/platform-policy", tag = "admin",
    responses((status = 200, body = Vec<VersionOut>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn list_platform_versions(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<ApiJson<Vec<VersionOut>>, ApiError> {
    operator.require_admin()?;
    let versions = platform_policy::versions(&state.db).await?;
    Ok(ApiJson(
        versions.into_iter().map(VersionOut::from).collect(),
    ))
}

/// The platform's privacy policy for merchants in force, as HTML. Language: `?lang=`, then
/// `Accept-Language`, then Persian. Same headers, codings and 304s as a shop's page.
#[utoipa::path(get, path = "/privacy", tag = "public", security(()),
    params(LangQuery, PageHeaders),
    responses(public::HtmlPage,
                (status = 404, description = "not published yet", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn platform_html(page: PageRequest) -> Result<Response, ApiError> {
    page.serve(Source::Platform, None, DocumentFormat::Html)
        .await
}

/// The platform policy in force as JSON-LD, with `version`, `hash` and `previous_hash`.
#[utoipa::path(get, path = "/privacy.json", tag = "public", security(()),
    params(LangQuery, PageHeaders),
    responses(public::JsonLdPage,
                (status = 404, description = "not published yet", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn platform_json(page: PageRequest) -> Result<Response, ApiError> {
    page.serve(Source::Platform, None, DocumentFormat::JsonLd)
        .await
}

/// The platform policy in force as Markdown.
#[utoipa::path(get, path = "/privacy.md", tag = "public", security(()),
    params(LangQuery, PageHeaders),
    responses(public::MarkdownPage,
                (status = 404, description = "not published yet", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn platform_markdown(page: PageRequest) -> Result<Response, ApiError> {
    page.serve(Source::Platform, None, DocumentFormat::Markdown)
        .await
}

/// One published version of the platform policy as HTML (also one not in force yet).
#[utoipa::path(get, path = "/privacy/versions/{n}", tag = "public", security(()),
    params(("n" = u32, Path), LangQuery, PageHeaders),
    responses(public::HtmlPage,
                (status = 404, description = "unknown version", body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn platform_version_html(
    Path(n): Path<String>,
    page: PageRequest,
) -> Result<Response, ApiError> {
    let n = public::version_number(&n)?;
    page.serve(Source::Platform, Some(n), DocumentFormat::Html)
        .await
}

/// One broken rule of a published policy.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContradictionError {
    field: String,
    code: String,
    message: String,
}

/// A shop whose latest published policy contradicts the platform's facts.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ContradictionOut {
    shop_id: uuid::Uuid,
    version: i32,
    errors: Vec<ContradictionError>,
}

/// What the consistency check found over every shop.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ConsistencyOut {
    /// Shops with a published policy that were checked.
    checked: u64,
    /// The shops whose latest published policy contradicts the facts as configured now; each
    /// must publish again (publishing refuses the same contradictions).
    inconsistent: Vec<ContradictionOut>,
}

/// Runs every shop's latest published policy through the consistency check against the
/// platform's facts as configured now (admin): after a change to `[platform]`, which shops'
/// policies have become untrue.
#[utoipa::path(get, path = "/v1/admin/policy-consistency", tag = "admin",
    responses((status = 200, body = ConsistencyOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
pub(super) async fn policy_consistency(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<ApiJson<ConsistencyOut>, ApiError> {
    operator.require_admin()?;
    let (checked, found) =
        harim_store::policies::contradictions(&state.db, &state.config.platform).await?;
    Ok(ApiJson(ConsistencyOut {
        checked,
        inconsistent: found
            .into_iter()
            .map(|c| ContradictionOut {
                shop_id: c.tenant_id,
                version: c.version,
                errors: c
                    .violations
                    .into_iter()
                    .map(|v| ContradictionError {
                        field: v.field,
                        code: v.code,
                        message: v.message,
                    })
                    .collect(),
            })
            .collect(),
    }))
}
