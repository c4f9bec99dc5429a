//! What several routes share: the request id for audit entries, the purpose of an access and
//! the field list of a reveal.

use axum::{extract::FromRequestParts, http::request::Parts};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::middleware::REQUEST_ID;

/// The `x-request-id` of this request, for audit entries.
#[derive(Debug, Clone)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .headers
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ))
    }
}

/// Why plaintext is needed; recorded in the audit log.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    KycReview,
    Payout,
    LegalObligation,
    DataSubjectRequest,
    Support,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::KycReview => "kyc_review",
            Purpose::Payout => "payout",
            Purpose::LegalObligation => "legal_obligation",
            Purpose::DataSubjectRequest => "data_subject_request",
            Purpose::Support => "support",
        }
    }
}

/// The field names a reveal asks for, each once, in the order first named: at least one, every
/// one in `allowed`; each unknown name is refused (422) with `unknown`, never ignored.
pub fn reveal_fields(
    raw: &[String],
    allowed: &[&str],
    unknown: &str,
) -> Result<Vec<String>, crate::error::ApiError> {
    let mut errs = crate::validate::Errors::default();
    if raw.is_empty() {
        errs.add("fields", "required", "Name at least one field.");
    }
    let mut fields: Vec<String> = Vec::new();
    for (i, f) in raw.iter().enumerate() {
        if !allowed.contains(&f.as_str()) {
            errs.add(&format!("fields[{i}]"), "unknown_field", unknown);
        } else if !fields.contains(f) {
            fields.push(f.clone());
        }
    }
    errs.finish()?;
    Ok(fields)
}
