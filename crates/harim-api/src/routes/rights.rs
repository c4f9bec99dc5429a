//! Data-subject rights over HTTP: exports, erasure with signed receipts, the receipt keys, and
//! the admins' list of open requests. Each handler calls one `harim_store::rights` use case.

use std::sync::Arc;

use axum::{
    Extension,
    body::Body,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use harim_store::{
    ids::DataRequestId,
    rights::{self, RequestKind, RequestState, RequestView, erasure, export, receipt},
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, RequestId, policies::DocCache};
use crate::{
    AppState,
    auth::{Caller, Operator},
    error::ApiError,
    scope::ShopCtx,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_shop_export))
        .routes(routes!(shop_export))
        .routes(routes!(download_shop_export))
        .routes(routes!(request_account_export))
        .routes(routes!(account_export))
        .routes(routes!(download_account_export))
        .routes(routes!(erase_shop))
        .routes(routes!(erase_account))
        .routes(routes!(get_receipt))
        .routes(routes!(receipt_keys))
        .routes(routes!(open_requests))
}

/// An export request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportOut {
    id: Uuid,
    /// `pending`, `running`, `ready` or `expired`.
    state: String,
    /// When harim must have answered (the shop's `response_days`, calendar days, end of day UTC).
    #[serde(with = "time::serde::rfc3339")]
    due_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    requested_at: time::OffsetDateTime,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    ready_at: Option<time::OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    expires_at: Option<time::OffsetDateTime>,
    /// Bytes of the zip, once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<i64>,
    /// SHA-256 (hex) of the zip, once ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

fn state_name(s: RequestState) -> &'static str {
    match s {
        RequestState::Pending => "pending",
        RequestState::Running => "running",
        RequestState::Ready => "ready",
        RequestState::Expired => "expired",
        RequestState::Completed => "completed",
    }
}

impl From<RequestView> for ExportOut {
    fn from(v: RequestView) -> Self {
        Self {
            id: v.id,
            state: state_name(v.state).into(),
            due_at: v.due_at,
            requested_at: v.requested_at,
            ready_at: v.completed_at,
            expires_at: v.expires_at,
            size: v.size,
            sha256: v.sha256.map(hex::encode),
        }
    }
}

/// A request id from a path: anything that is not a UUID names no request (404, as an unknown
/// one does).
fn request_id_of(raw: &str) -> Result<DataRequestId, ApiError> {
    Uuid::parse_str(raw)
        .map(DataRequestId::from)
        .map_err(|_| ApiError::NotFound)
}

/// Ask for an export of everything the shop holds (owner only). Audited as a reveal with
/// purpose `data_subject_request` before anything is read.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/exports", tag = "rights",
    params(("shop_id" = Uuid, Path)),
    responses((status = 202, body = ExportOut)))]
async fn request_shop_export(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
) -> Result<(StatusCode, ApiJson<ExportOut>), ApiError> {
    let v = export::request_shop(&state.rights, &tenant, request_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(v.into())))
}

/// An export of the shop: its state, and when it is due, ready and deleted.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/exports/{export_id}", tag = "rights",
    params(("shop_id" = Uuid, Path), ("export_id" = Uuid, Path)),
    responses((status = 200, body = ExportOut)))]
async fn shop_export(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
) -> Result<ApiJson<ExportOut>, ApiError> {
    Ok(ApiJson(
        export::get_shop(&state.db, &tenant, request_id_of(&id)?)
            .await?
            .into(),
    ))
}

/// The answers of an export download, shop's or person's alike (for the OpenAPI document).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum DownloadAnswers {
    #[response(status = 200, content_type = "application/zip")]
    Ready(Vec<u8>),
    #[response(
        status = 409,
        description = "not ready yet",
        content_type = "application/problem+json"
    )]
    NotReady(crate::Problem),
    #[response(
        status = 410,
        description = "the archive was deleted after its time",
        content_type = "application/problem+json"
    )]
    Deleted(crate::Problem),
}

fn zip_response(view: &RequestView, archive: export::Archive) -> Response {
    let mut resp = Response::new(Body::from_stream(archive));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"harim-export-{}.zip\"",
        view.id
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Some(size) = view.size
        && let Ok(v) = HeaderValue::from_str(&size.to_string())
    {
        h.insert(header::CONTENT_LENGTH, v);
    }
    if let Some(sha) = &view.sha256 {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(sha);
        if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{b64}:")) {
            h.insert("repr-digest", v);
        }
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    resp
}

/// Download a ready export: `application/zip`, `manifest.json` first (every file with its size
/// and SHA-256, the data-map version). Audited before a byte is served.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/exports/{export_id}/download", tag = "rights",
    params(("shop_id" = Uuid, Path), ("export_id" = Uuid, Path)),
    responses(DownloadAnswers))]
async fn download_shop_export(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
    RequestId(request_id): RequestId,
) -> Result<Response, ApiError> {
    let (view, archive) =
        export::download_shop(&state.rights, &tenant, request_id_of(&id)?, request_id).await?;
    Ok(zip_response(&view, archive))
}

/// Ask for an export of everything about the signed-in person, across every shop.
#[utoipa::path(post, path = "/v1/account/exports", tag = "rights",
    responses((status = 202, body = ExportOut)))]
async fn request_account_export(
    State(state): State<AppState>,
    caller: Caller,
    RequestId(request_id): RequestId,
) -> Result<(StatusCode, ApiJson<ExportOut>), ApiError> {
    let v = export::request_account(&state.rights, &caller, request_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(v.into())))
}

/// An export of the signed-in person.
#[utoipa::path(get, path = "/v1/account/exports/{export_id}", tag = "rights",
    params(("export_id" = Uuid, Path)),
    responses((status = 200, body = ExportOut)))]
async fn account_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<ApiJson<ExportOut>, ApiError> {
    Ok(ApiJson(
        export::get_account(&state.db, &caller, request_id_of(&id)?)
            .await?
            .into(),
    ))
}

/// Download a ready export of the signed-in person.
#[utoipa::path(get, path = "/v1/account/exports/{export_id}/download", tag = "rights",
    params(("export_id" = Uuid, Path)),
    responses(DownloadAnswers))]
async fn download_account_export(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RequestId(request_id): RequestId,
) -> Result<Response, ApiError> {
    let (view, archive) =
        export::download_account(&state.rights, &caller, request_id_of(&id)?, request_id).await?;
    Ok(zip_response(&view, archive))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseShopIn {
    /// The shop's slug, typed out: erasure cannot be undone.
    #[schema(min_length = 1, max_length = 63)]
    confirm: String,
    /// The owner's password, re-entered: a session left open must not be enough to erase a
    /// shop. Attempts are limited per account (5 a minute, then 429).
    #[schema(value_type = String, min_length = 1, max_length = 1024)]
    password: SecretString,
}

/// A signed erasure receipt: no personal data; verify it with the key of
/// `/.well-known/harim/receipt-keys` or `harim receipts verify FILE`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptOut {
    /// The receipt (see docs/API.md for its fields).
    #[schema(value_type = Object)]
    receipt: serde_json::Value,
    /// Base64 Ed25519 signature over the canonical JSON of `receipt` (keys sorted, no spaces).
    signature: String,
    key_id: String,
}

impl From<receipt::SignedReceipt> for ReceiptOut {
    fn from(s: receipt::SignedReceipt) -> Self {
        Self {
            receipt: s.receipt,
            signature: s.signature,
            key_id: s.key_id,
        }
    }
}

/// Erase the shop (its owner, signed in): its keys are destroyed at once, so nothing it stored
/// can be decrypted, and its rows go in the same transaction; a job then deletes its objects.
/// Answers the signed receipt; afterwards every route of the shop answers 404 and its public
/// pages 410.
#[utoipa::path(delete, path = "/v1/shops/{shop_id}", tag = "rights",
    params(("shop_id" = Uuid, Path)),
    request_body = EraseShopIn,
    responses(
        (status = 202, body = ReceiptOut),
        (status = 403, description = "the password is wrong, or the caller is not the owner signed in; nothing is erased", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`confirm` does not match the slug, or `password` is missing", body = crate::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many password attempts; see `Retry-After`", body = crate::Problem, content_type = "application/problem+json")))]
async fn erase_shop(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<EraseShopIn>,
) -> Result<(StatusCode, ApiJson<ReceiptOut>), ApiError> {
    let signed = erasure::erase_shop(
        &state.rights,
        &state.passwords,
        &tenant,
        &body.confirm,
        body.password,
        request_id,
    )
    .await?;
    cache.forget_tenant(tenant.tenant_id());
    Ok((StatusCode::ACCEPTED, ApiJson(signed.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EraseAccountIn {
    /// The account's password, to confirm it is its owner asking.
    #[schema(min_length = 1, max_length = 1024)]
    password: String,
}

/// Erase the signed-in account: every shop it solely owns is erased as by
/// `DELETE /v1/shops/{shop_id}`, it leaves every other shop, and its sessions go at once.
#[utoipa::path(delete, path = "/v1/account", tag = "rights",
    request_body = EraseAccountIn,
    responses(
        (status = 202, body = ReceiptOut),
        (status = 403, description = "the password is wrong; nothing is erased", body = crate::Problem, content_type = "application/problem+json"),
        (status = 429, description = "too many password attempts; see `Retry-After`", body = crate::Problem, content_type = "application/problem+json")))]
async fn erase_account(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<DocCache>>,
    caller: Caller,
    RequestId(request_id): RequestId,
    ApiJson(body): ApiJson<EraseAccountIn>,
) -> Result<(StatusCode, ApiJson<ReceiptOut>), ApiError> {
    let signed = erasure::erase_account(
        &state.rights,
        &state.passwords,
        &caller,
        SecretString::from(body.password),
        request_id,
    )
    .await?;
    cache.forget_all();
    Ok((StatusCode::ACCEPTED, ApiJson(signed.into())))
}

/// The latest signed receipt of an erasure (public: it holds no personal data).
#[utoipa::path(get, path = "/v1/receipts/{receipt_id}", tag = "rights", security(()),
    params(("receipt_id" = Uuid, Path)),
    responses((status = 200, body = ReceiptOut)))]
async fn get_receipt(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<ApiJson<ReceiptOut>, ApiError> {
    let id = request_id_of(&id)?;
    Ok(ApiJson(
        erasure::receipt(&state.db, &state.vault, id).await?.into(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptKeysOut {
    keys: Vec<ReceiptKey>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptKey {
    key_id: String,
    /// `Ed25519`.
    alg: String,
    /// Base64 of the 32-byte public key.
    public_key: String,
}

/// Every public key erasure receipts were ever signed with, oldest first (the current one
/// last): a receipt signed before a change of key still verifies.
#[utoipa::path(get, path = "/.well-known/harim/receipt-keys", tag = "rights", security(()),
    responses((status = 200, body = ReceiptKeysOut)))]
async fn receipt_keys(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state
        .receipt_keys
        .get_or_try_init(|| receipt::published_keys(&state.db, &state.vault))
        .await?;
    let mut resp = ApiJson(ReceiptKeysOut {
        keys: keys
            .iter()
            .map(|k| ReceiptKey {
                key_id: k.key_id.clone(),
                alg: k.alg.clone(),
                public_key: k.public_key.clone(),
            })
            .collect(),
    })
    .into_response();
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(resp)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpenRequest {
    id: Uuid,
    /// The shop, or the nil id for a request about an account.
    shop_id: Uuid,
    /// `export_shop`, `export_account`, `erase_shop` or `erase_account`.
    kind: String,
    /// `pending` or `running`.
    state: String,
    #[serde(with = "time::serde::rfc3339")]
    requested_at: time::OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    due_at: time::OffsetDateTime,
    overdue: bool,
}

/// Open data-subject requests, soonest due first (platform admins).
#[utoipa::path(get, path = "/v1/admin/requests", tag = "admin",
    responses((status = 200, body = Vec<OpenRequest>)))]
async fn open_requests(
    State(state): State<AppState>,
    operator: Operator,
) -> Result<ApiJson<Vec<OpenRequest>>, ApiError> {
    operator.require_admin()?;
    let now = time::OffsetDateTime::now_utc();
    Ok(ApiJson(
        rights::open_requests(&state.db)
            .await?
            .into_iter()
            .map(|v| OpenRequest {
                id: v.id,
                shop_id: v.tenant_id,
                kind: match v.kind {
                    RequestKind::ExportShop => "export_shop",
                    RequestKind::ExportAccount => "export_account",
                    RequestKind::EraseShop => "erase_shop",
                    RequestKind::EraseAccount => "erase_account",
                    RequestKind::EraseCustomer => "erase_customer",
                }
                .into(),
                state: state_name(v.state).into(),
                requested_at: v.requested_at,
                overdue: v.due_at < now,
                due_at: v.due_at,
            })
            .collect(),
    ))
}
