//! The one place where errors become HTTP: every failure leaves as `application/problem+json`
//! (RFC 9457) with a stable `type`.
//!
//! Database and internal errors are logged once, here, and answered with an opaque body: their
//! text can echo input values (PII) or schema details.

use axum::{
    Json,
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

/// Base of every problem `type`; the slug after it is the stable part clients match on.
pub const PROBLEM_BASE: &str = "https://harim.dev/problems/";

/// One invalid field of a request: `harim_violation::Violation`, the type every layer reports
/// with, named `FieldError` in the OpenAPI document.
pub use harim_violation::Violation;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<Violation>,
    /// The notification gate's refusal code (`not-enabled`, `no-consent`, `suppressed`,
    /// `quiet-hours`); the `type` ends with the same word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("authentication required")]
    Unauthorized,
    /// A callback whose signature matched no secret (401 with the reason).
    #[error("unsigned: {0}")]
    Unsigned(&'static str),
    #[error("not allowed")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// The notification gate refused a message (409 with a stable code).
    #[error("refused: {code}")]
    Refused {
        code: &'static str,
        detail: &'static str,
    },
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("invalid fields")]
    Validation(Vec<Violation>),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("dependency unavailable: {0}")]
    Unavailable(&'static str),
    /// The resource existed and was deliberately removed (a purged document).
    #[error("gone")]
    Gone(&'static str),
    /// A document refused for what its bytes contain: `slug` is `malformed-document` or
    /// `unsafe-document`.
    #[error("document refused")]
    DocumentRefused { slug: &'static str, detail: String },
    /// A stored document failed authentication or its checksum: tampering or storage damage.
    #[error("stored document corrupt")]
    DocumentCorrupt,
    #[error("request timed out")]
    Timeout,
    /// The cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
    /// A database failure (a `StoreError::Db`): 503 when the database is unreachable,
    /// otherwise an opaque 500.
    #[error("database error")]
    Db(#[source] harim_store::StoreError),
}

impl ApiError {
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        Self::Internal(format!("{context}: {err}"))
    }

    pub fn validation_one(field: &str, code: &str, message: &str) -> Self {
        Self::Validation(vec![Violation::new(field, code, message)])
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, String) {
        use ApiError::*;
        match self {
            BadRequest(d) => (
                StatusCode::BAD_REQUEST,
                "malformed-request",
                "Malformed request",
                d.clone(),
            ),
            Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                "Send a valid token as `Authorization: Bearer <token>`.".into(),
            ),
            Unsigned(d) => (
                StatusCode::UNAUTHORIZED,
                "bad-signature",
                "Signature required",
                (*d).into(),
            ),
            Forbidden(d) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                (*d).into(),
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "No such resource, or it is not yours.".into(),
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "This resource does not support that method.".into(),
            ),
            Conflict(d) => (StatusCode::CONFLICT, "conflict", "Conflict", (*d).into()),
            Refused { code, detail } => (
                StatusCode::CONFLICT,
                code,
                "Message refused",
                (*detail).into(),
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                "The request body exceeds the size limit.".into(),
            ),
            UnsupportedMediaType(d) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                d.clone(),
            ),
            Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid fields",
                "One or more fields are invalid; see `errors`.".into(),
            ),
            RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                "Slow down and retry after the time in `Retry-After`.".into(),
            ),
            Unavailable(d) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                (*d).into(),
            ),
            Gone(d) => (StatusCode::GONE, "gone", "Gone", (*d).into()),
            DocumentRefused { slug, detail } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                slug,
                "Document refused",
                detail.clone(),
            ),
            DocumentCorrupt => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "document-corrupt",
                "Stored document corrupt",
                "The stored document failed its integrity check; operators have been alerted."
                    .into(),
            ),
            Timeout => (
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "Request timed out",
                "The server did not finish in time; retry later.".into(),
            ),
            Db(e) if e.db_kind() == Some("connection") => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "The database is unavailable; retry later.".into(),
            ),
            Internal(_) | Db(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "Something went wrong on our side; the request id identifies it in our logs."
                    .into(),
            ),
        }
    }

    /// The RFC 9457 document for this error.
    pub fn problem(&self) -> Problem {
        let (status, slug, title, detail) = self.parts();
        Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail,
            instance: None,
            errors: match self {
                ApiError::Validation(errs) => errs.clone(),
                _ => Vec::new(),
            },
            code: match self {
                ApiError::Refused { code, .. } => Some(code),
                _ => None,
            },
        }
    }
}

pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            ApiError::DocumentCorrupt => {
                tracing::error!("a stored KYC document failed its integrity check")
            }
            // sqlx errors can quote bound values; only the variant is logged.
            ApiError::Db(e) => tracing::error!(kind = e.db_kind().unwrap_or("-"), "database error"),
            _ => {}
        }
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = (status, Json(problem)).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let ApiError::RateLimited { retry_after_secs } = self {
            resp.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        resp
    }
}

/// The one mapping from what the store says to what a client gets.
impl From<harim_store::StoreError> for ApiError {
    fn from(e: harim_store::StoreError) -> Self {
        use harim_store::StoreError as S;
        match e {
            S::NotFound => ApiError::NotFound,
            S::Forbidden(m) => ApiError::Forbidden(m),
            S::Unauthenticated(m) => ApiError::Unsigned(m),
            S::Rejected(v) => ApiError::Validation(v),
            S::Conflict(m) => ApiError::Conflict(m),
            S::Unavailable(m) => ApiError::Unavailable(m),
            S::Gone(m) => ApiError::Gone(m),
            S::RateLimited { retry_after_secs } => ApiError::RateLimited { retry_after_secs },
            S::Document(k) => k.into(),
            S::Vault(v) => v.into(),
            e @ S::Db(_) => ApiError::Db(e),
            S::Internal(m) => ApiError::Internal(m),
            // Logged once as an internal error; the body stays opaque.
            e @ S::PlatformKeyMissing => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<harim_vault::VaultError> for ApiError {
    fn from(e: harim_vault::VaultError) -> Self {
        match e {
            harim_vault::VaultError::EncryptionLimitReached { .. } => {
                tracing::error!(error = %e, "tenant key exhausted; rotate it");
                ApiError::Unavailable(
                    "This shop's encryption key must be rotated before new writes.",
                )
            }
            harim_vault::VaultError::ProviderUnavailable { .. } => {
                tracing::error!(error = %e, "key provider unavailable");
                ApiError::Unavailable("The key provider is unavailable; try again shortly.")
            }
            // VaultError's text never holds key bytes or plaintext (harim-vault's contract).
            other => ApiError::internal("vault", other),
        }
    }
}

impl From<harim_kyc::KycError> for ApiError {
    fn from(e: harim_kyc::KycError) -> Self {
        use harim_kyc::{KycError, SanitizeError};
        match e {
            KycError::TooLarge { .. } => ApiError::PayloadTooLarge,
            KycError::UnsupportedType => ApiError::UnsupportedMediaType(
                "Only JPEG, PNG and PDF documents are accepted; the type is read from the bytes."
                    .into(),
            ),
            KycError::Refused(SanitizeError::Malformed { kind, reason }) => {
                ApiError::DocumentRefused {
                    slug: "malformed-document",
                    detail: format!("The file is not a well-formed {kind}: {reason}."),
                }
            }
            KycError::Refused(SanitizeError::ActivePdf(what)) => ApiError::DocumentRefused {
                slug: "unsafe-document",
                detail: format!("PDFs with active content are refused; this one contains {what}."),
            },
            KycError::Body(_) => ApiError::BadRequest("The upload body could not be read.".into()),
            KycError::Corrupt(why) => {
                tracing::error!(reason = why, "KYC object failed to decrypt or verify");
                ApiError::DocumentCorrupt
            }
            KycError::ObjectMissing => {
                tracing::error!("KYC object missing for a live document row");
                ApiError::DocumentCorrupt
            }
            KycError::Store(e) => {
                tracing::error!(error = %e, "object store failure");
                ApiError::Unavailable("The document store is unavailable; retry later.")
            }
            e @ (KycError::Crypto(_) | KycError::Config(_)) => ApiError::internal("kyc", e),
        }
    }
}

impl From<harim_store::rotation::RotationError> for ApiError {
    fn from(e: harim_store::rotation::RotationError) -> Self {
        harim_store::StoreError::from(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonDataError(e) => {
                // serde's message names the field and the expected type; it quotes values only
                // for unknown enum variants, which are ours, not the client's secrets.
                ApiError::Validation(vec![Violation::new(
                    field_from_serde(&e.body_text()),
                    "invalid",
                    "The field is missing or has the wrong type or value.",
                )])
            }
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::BadRequest("The body is not valid JSON.".into())
            }
            JsonRejection::MissingJsonContentType(_) => {
                ApiError::UnsupportedMediaType("Send `Content-Type: application/json`.".into())
            }
            JsonRejection::BytesRejection(_) => ApiError::PayloadTooLarge,
            _ => ApiError::BadRequest("The body could not be read.".into()),
        }
    }
}

/// Pulls the field path out of axum's data-error text, which comes from `serde_path_to_error`:
/// `Failed to deserialize the JSON body into the target type: a.b: invalid type ...`.
/// Only the path is kept: serde's message may quote the submitted value.
fn field_from_serde(text: &str) -> String {
    let detail = text.split_once("target type: ").map_or(text, |(_, d)| d);
    let (path, msg) = detail.split_once(": ").unwrap_or((".", detail));
    // An error at the root (`null`, an array for an object) has no path: the text starts with
    // serde's own words ("invalid type"), which must not pass for a field name.
    let is_path = |p: &str| {
        p.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))
    };
    let (path, msg) = if is_path(path) {
        (path, msg)
    } else {
        (".", detail)
    };
    // For a missing field the path names its parent; for an unknown one, the field itself.
    if let Some(start) = msg.find("missing field `") {
        let rest = &msg[start + "missing field `".len()..];
        if let Some(end) = rest.find('`') {
            let leaf = &rest[..end];
            return if path == "." {
                leaf.to_string()
            } else {
                format!("{path}.{leaf}")
            };
        }
    }
    if path == "." {
        "body".into()
    } else {
        path.to_string()
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // A path segment that is not a valid id names nothing that exists.
        ApiError::NotFound
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::validation_one("query", "invalid", &r.body_text())
    }
}
