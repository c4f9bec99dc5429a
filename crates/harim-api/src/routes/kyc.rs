//! KYC documents: merchants upload, reviewers decide, downloads are audited like reveals.

use axum::{
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use harim_kyc::{BodyError, Decision, DocumentKind, RejectionReason};
use harim_store::{ids::DocumentId, kyc};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, Purpose, RequestId};
use crate::{
    AppState,
    auth::Operator,
    error::{ApiError, Violation},
    scope::ShopCtx,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload_document, list_documents))
        .routes(routes!(get_document))
        .routes(routes!(get_content))
        .routes(routes!(review_queue))
        .routes(routes!(decide))
}

/// A document's metadata (never its bytes).
#[derive(Serialize, ToSchema)]
pub struct DocumentOut {
    id: Uuid,
    shop_id: Uuid,
    /// national_id_front, national_id_back, selfie or business_license.
    kind: String,
    /// pending, approved or rejected.
    status: String,
    /// As decided from the bytes: image/jpeg, image/png or application/pdf.
    content_type: String,
    /// Bytes of the stored (metadata-stripped) document.
    size: i64,
    /// Hex SHA-256 of the stored document, as a download returns it.
    sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    uploaded_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    decided_at: Option<OffsetDateTime>,
    /// The reviewer's reason (required for rejections).
    reason: Option<String>,
    /// Set once retention has removed the document; the row stays as a tombstone.
    #[serde(with = "time::serde::rfc3339::option")]
    purged_at: Option<OffsetDateTime>,
}

impl From<kyc::Document> for DocumentOut {
    fn from(r: kyc::Document) -> Self {
        Self {
            id: r.id.uuid(),
            shop_id: r.shop.uuid(),
            kind: r.kind.as_str().into(),
            status: r.status.as_str().into(),
            content_type: r.content_type,
            size: r.size,
            sha256: hex::encode(&r.sha256),
            uploaded_at: r.uploaded_at,
            decided_at: r.decided_at,
            reason: r.reason,
            purged_at: r.purged_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// national_id_front, national_id_back, selfie or business_license.
    kind: Option<String>,
}

/// Upload a document as the raw request body. The type is read from the bytes (JPEG, PNG or
/// PDF), whatever `Content-Type` says; images lose their EXIF/XMP/IPTC/text metadata without
/// re-encoding; PDFs with active content are refused. The document is encrypted before it
/// leaves the process.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/kyc/documents", tag = "kyc",
    params(("shop_id" = Uuid, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file's bytes (image/jpeg, image/png or application/pdf)"),
    responses(
        (status = 201, body = DocumentOut, headers(("location" = String, description = "the new document: `/v1/shops/{shop_id}/kyc/documents/{id}`"))),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 413, description = "larger than the limit (10 MiB by default); nothing stored", body = crate::Problem, content_type = "application/problem+json"),
        (status = 415, description = "not a JPEG, PNG or PDF by its bytes", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`malformed-document`, `unsafe-document` or an invalid `kind`", body = crate::Problem, content_type = "application/problem+json")))]
async fn upload_document(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<super::Created<DocumentOut>, ApiError> {
    tenant.require_owner()?;
    let kind = q
        .kind
        .as_deref()
        .and_then(DocumentKind::parse)
        .ok_or_else(|| {
            ApiError::validation_one(
                "kind",
                "invalid",
                "Use national_id_front, national_id_back, selfie or business_license.",
            )
        })?;
    let limit = state.config.kyc_upload_limit_bytes;
    // A declared length over the limit is refused before a byte is read.
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit
    {
        return Err(ApiError::PayloadTooLarge);
    }
    // Waits (within the request timeout) when too many uploads are in flight.
    let _permit = state
        .upload_permits
        .acquire()
        .await
        .map_err(|_| ApiError::Unavailable("The document store is shutting down."))?;
    let saved = kyc::upload(
        &state.db,
        &state.vault,
        &state.documents,
        &tenant,
        kyc::Upload {
            kind,
            limit,
            request_id,
        },
        futures::TryStreamExt::map_err(body.into_data_stream(), body_error),
    )
    .await?;
    let out: DocumentOut = saved.into();
    let location = format!("/v1/shops/{}/kyc/documents/{}", out.shop_id, out.id);
    Ok(super::created(location, out))
}

/// Tells the transport's size limit apart from a broken body.
fn body_error(e: axum::Error) -> BodyError {
    let inner = e.into_inner();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(inner.as_ref());
    while let Some(err) = cur {
        if err.is::<http_body_util::LengthLimitError>() {
            return BodyError::TooLarge;
        }
        cur = err.source();
    }
    BodyError::Other(inner.to_string())
}

/// The shop's documents, newest first (owner, staff and platform operators; metadata only).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/kyc/documents", tag = "kyc",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = Vec<DocumentOut>), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn list_documents(
    State(state): State<AppState>,
    tenant: ShopCtx,
) -> Result<ApiJson<Vec<DocumentOut>>, ApiError> {
    let docs = kyc::list(&state.db, &tenant).await?;
    Ok(ApiJson(docs.into_iter().map(DocumentOut::from).collect()))
}

/// A document id from the path; anything that is not one is simply not found.
fn document_id(raw: &str) -> Result<DocumentId, ApiError> {
    Uuid::parse_str(raw)
        .map(DocumentId::from)
        .map_err(|_| ApiError::NotFound)
}

/// One document's metadata, with its review status and reason.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/kyc/documents/{doc_id}", tag = "kyc",
    params(("shop_id" = Uuid, Path), ("doc_id" = Uuid, Path)),
    responses((status = 200, body = DocumentOut), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_document(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, doc_id)): Path<(String, String)>,
) -> Result<ApiJson<DocumentOut>, ApiError> {
    Ok(ApiJson(
        kyc::get(&state.db, &tenant, document_id(&doc_id)?)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContentQuery {
    /// Why the document is needed; recorded in the audit log.
    purpose: Option<String>,
}

/// Download the document (owner or platform reviewer, with a `purpose`). The access is written
/// to the shop's audit chain before the document key is unwrapped.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/kyc/documents/{doc_id}/content", tag = "kyc",
    params(("shop_id" = Uuid, Path), ("doc_id" = Uuid, Path), ContentQuery),
    responses(
        (status = 200, description = "the stored document", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 410, description = "purged by retention", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "missing or unknown purpose", body = crate::Problem, content_type = "application/problem+json")))]
async fn get_content(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    Path((_, doc_id)): Path<(String, String)>,
    Query(q): Query<ContentQuery>,
) -> Result<Response, ApiError> {
    let purpose: Purpose = q
        .purpose
        .as_deref()
        .and_then(|p| serde_json::from_value(serde_json::Value::String(p.into())).ok())
        .ok_or_else(|| {
            ApiError::validation_one(
                "purpose",
                "invalid",
                "Use kyc_review, payout, legal_obligation, data_subject_request or support.",
            )
        })?;
    let (row, bytes) = kyc::download(
        &state.db,
        &state.vault,
        &state.documents,
        &tenant,
        document_id(&doc_id)?,
        purpose.as_str(),
        request_id,
    )
    .await?;
    let mut resp = Response::new(Body::from(bytes.to_vec()));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&row.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let ext = match row.content_type.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "pdf",
    };
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}.{ext}\"",
        row.kind.as_str()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // Never cached, never sniffed, never run as a page.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("sha-256=:{}:", b64(&row.sha256))) {
        h.insert("repr-digest", v);
    }
    Ok((StatusCode::OK, resp).into_response())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// At most this many (1–500, default 100), oldest first.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u64>,
}

/// Pending documents across all shops, oldest first (platform reviewers and admins).
#[utoipa::path(get, path = "/v1/admin/kyc/queue", tag = "kyc",
    params(QueueQuery),
    responses((status = 200, body = Vec<DocumentOut>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` outside 1–500", body = crate::Problem, content_type = "application/problem+json")))]
async fn review_queue(
    State(state): State<AppState>,
    operator: Operator,
    Query(q): Query<QueueQuery>,
) -> Result<ApiJson<Vec<DocumentOut>>, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation_one(
            "limit",
            "out_of_range",
            "Ask for 1 to 500 documents.",
        ));
    }
    let docs = kyc::review_queue(&state.db, &operator, limit).await?;
    Ok(ApiJson(docs.into_iter().map(DocumentOut::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approved,
    Rejected,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    decision: DecisionKind,
    /// Required for a rejection (shown to the merchant); optional note for an approval.
    reason: Option<String>,
}

/// Approve or reject a pending document (platform reviewers). A decision is final: the
/// merchant uploads a new document after a rejection.
#[utoipa::path(post, path = "/v1/admin/kyc/documents/{doc_id}/decision", tag = "kyc",
    params(("doc_id" = Uuid, Path)), request_body = DecisionIn,
    responses(
        (status = 200, body = DocumentOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "already decided", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn decide(
    State(state): State<AppState>,
    operator: Operator,
    RequestId(request_id): RequestId,
    Path(doc_id): Path<String>,
    ApiJson(input): ApiJson<DecisionIn>,
) -> Result<ApiJson<DocumentOut>, ApiError> {
    // Refused before the body is looked at, like every other role check.
    operator.require(
        harim_store::roles::PlatformRole::Reviewer,
        "Only KYC reviewers decide on documents.",
    )?;
    let id = document_id(&doc_id)?;
    let decision = match input.decision {
        DecisionKind::Approved => Decision::Approve {
            note: match input.reason.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(r) => Some(
                    RejectionReason::parse(r)
                        .ok_or_else(|| {
                            ApiError::Validation(vec![Violation::new(
                                "reason",
                                "invalid",
                                "At most 500 characters, no control characters.",
                            )])
                        })?
                        .as_str()
                        .to_string(),
                ),
            },
        },
        DecisionKind::Rejected => Decision::Reject(
            input
                .reason
                .as_deref()
                .and_then(RejectionReason::parse)
                .ok_or_else(|| {
                    ApiError::validation_one(
                        "reason",
                        "required",
                        "A rejection needs a reason of 1 to 500 characters; the merchant sees it.",
                    )
                })?,
        ),
    };
    let saved = kyc::decide(&state.db, &state.vault, &operator, id, decision, request_id).await?;
    Ok(ApiJson(saved.into()))
}
