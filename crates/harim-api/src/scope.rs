//! `ShopCtx`: the extractor that makes a `harim_store::scope::ShopScope` from the caller and
//! the `{shop_id}` of the path. It exists only if that caller may act in that shop; every failure,
//! including "the shop exists but belongs to someone else", answers 404.
//!
//! When no earlier extractor authenticated the request, the token and the shop are checked in
//! one statement (`ShopScope::authenticate`); an unknown or expired token is still 401 and a
//! valid one that may not act in the shop 404, as with `Caller` followed by `resolve`.

use std::ops::Deref;

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};
use harim_store::{ids::ShopId, scope::ShopScope};
use uuid::Uuid;

use crate::{
    AppState,
    auth::{Caller, bearer},
    error::ApiError,
};

/// A verified (principal, shop) pair for a handler.
#[derive(Debug, Clone)]
pub struct ShopCtx(pub ShopScope);

impl Deref for ShopCtx {
    type Target = ShopScope;
    fn deref(&self) -> &ShopScope {
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

async fn shop_from_parts(parts: &mut Parts, state: &AppState) -> Result<ShopId, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::NotFound)?;
    shop_id_from_path(&params)
}

impl FromRequestParts<AppState> for ShopCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(Caller(principal)) = parts.extensions.get::<Caller>().cloned() {
            let shop = shop_from_parts(parts, state).await?;
            let scope = ShopScope::resolve(&state.db, principal, shop).await?;
            within_key_scopes(parts, &scope)?;
            return Ok(ShopCtx(scope));
        }
        let shop = shop_from_parts(parts, state).await;
        let token = bearer(parts)?;
        let shop = match shop {
            Ok(shop) => shop,
            Err(e) => {
                // No shop to join: authenticate alone, so a bad token is 401 before the 404.
                Caller::from_request_parts(parts, state).await?;
                return Err(e);
            }
        };
        let scope = ShopScope::authenticate(&state.db, token, shop)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        // Later extractors (and handlers taking a `Caller`) reuse the principal.
        parts.extensions.insert(Caller(scope.principal().clone()));
        within_key_scopes(parts, &scope)?;
        Ok(ShopCtx(scope))
    }
}

/// An API key limited to the customer routes reaches `/v1/shops/{id}/customers...` only: the
/// courier integration that holds it cannot read the merchant's identity, documents or exports.
/// Checked after the shop resolved, so another shop's id still answers 404.
fn within_key_scopes(parts: &Parts, scope: &ShopScope) -> Result<(), ApiError> {
    let harim_store::auth::Principal::ApiKey { limits, .. } = scope.principal() else {
        return Ok(());
    };
    if !limits.customers_only {
        return Ok(());
    }
    let customers = format!("/v1/shops/{}/customers", scope.tenant_id());
    let path = parts.uri.path();
    if path == customers || path.starts_with(&format!("{customers}/")) {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        "This API key is limited to the customer routes.",
    ))
}
