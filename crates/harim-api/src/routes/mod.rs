//! Route handlers: thin, each with its own request and response types.

use axum::extract::FromRequest;
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, error::ApiError};

pub use common::{Purpose, RequestId};

pub mod accounts;
mod assets;
mod common;
pub mod consent;
pub mod customers;
pub mod events;
pub mod identity;
pub mod keys;
pub mod kyc;
pub mod notifications;
pub mod ops;
pub mod policies;
pub mod requests;
pub mod rights;
pub mod shops;

/// `axum::Json` whose rejections are problem documents, and which refuses a declared charset
/// other than UTF-8 (415) instead of reading the bytes as UTF-8 anyway.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let charset = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(';')
                    .skip(1)
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| k.trim().eq_ignore_ascii_case("charset"))
                    .map(|(_, v)| v.trim().trim_matches('"').to_ascii_lowercase())
            });
        if let Some(cs) = charset
            && cs != "utf-8"
            && cs != "utf8"
        {
            return Err(ApiError::UnsupportedMediaType(
                "JSON bodies are UTF-8: send `Content-Type: application/json` (charset=utf-8, if any)."
                    .into(),
            ));
        }
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// A 201 answer: the new resource's path in `Location` (which is also how contract testers
/// link what a POST made to what reads it) and its representation.
pub type Created<T> = (
    axum::http::StatusCode,
    [(axum::http::HeaderName, String); 1],
    ApiJson<T>,
);

pub fn created<T>(location: String, body: T) -> Created<T> {
    (
        axum::http::StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        ApiJson(body),
    )
}

/// Every documented route. `split_for_parts` yields the axum router and the OpenAPI paths from
/// this one definition, so the two cannot drift apart. The document's frame (info, security
/// scheme) is added by `crate::openapi`, which depends on this module and not the reverse.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::router())
        .merge(shops::router())
        .merge(identity::router())
        .merge(customers::router())
        .merge(consent::router())
        .merge(notifications::router())
        .merge(events::router())
        .merge(requests::router())
        .merge(keys::router())
        .merge(kyc::router())
        .merge(policies::router())
        .merge(ops::router())
        .merge(rights::router())
        .merge(assets::router())
}
