//! Route handlers: thin, each with its own request and response types.

use axum::extract::FromRequest;
use utoipa_axum::router::OpenApiRouter;

use crate::{AppState, error::ApiError};

pub use common::{Purpose, RequestId};

pub mod accounts;
mod common;
pub mod identity;
pub mod keys;
pub mod kyc;
pub mod ops;
pub mod policies;
pub mod shops;

/// `axum::Json` whose rejections are problem documents.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Every documented route. `split_for_parts` yields the axum router and the OpenAPI document
/// from this one definition, so the two cannot drift apart.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(crate::openapi::base())
        .merge(accounts::router())
        .merge(shops::router())
        .merge(identity::router())
        .merge(keys::router())
        .merge(kyc::router())
        .merge(policies::router())
        .merge(ops::router())
}
