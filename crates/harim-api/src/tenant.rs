//! `TenantCtx`: the extractor that makes a `harim_store::scope::TenantScope` from the caller and
//! the `{shop_id}` of the path. It exists only if that caller may act in that shop; every failure,
//! including "the shop exists but belongs to someone else", answers 404.

use std::ops::Deref;

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};
use harim_store::{ids::ShopId, scope::TenantScope};
use uuid::Uuid;

use crate::{AppState, auth::Caller, error::ApiError};

/// A verified (principal, shop) pair for a handler.
#[derive(Debug, Clone)]
pub struct TenantCtx(pub TenantScope);

impl Deref for TenantCtx {
    type Target = TenantScope;
    fn deref(&self) -> &TenantScope {
        &self.0
    }
}

fn shop_id_from_path(params: &RawPathParams) -> Result<ShopId, ApiError> {
    let raw = params
        .iter()
        .find(|(k, _)| *k == "shop_id")
        .map(|(_, v)| v)
        .ok_or_else(|| ApiError::internal("tenant scope", "route has no {shop_id}"))?;
    Uuid::parse_str(raw)
        .map(ShopId::from)
        .map_err(|_| ApiError::NotFound)
}

impl FromRequestParts<AppState> for TenantCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Caller(principal) = Caller::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let shop = shop_id_from_path(&params)?;
        Ok(TenantCtx(
            TenantScope::resolve(&state.db, principal, shop).await?,
        ))
    }
}
