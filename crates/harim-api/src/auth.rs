//! Bearer tokens at the HTTP edge: the extractors that turn an `Authorization` header into a
//! [`Caller`] (any principal) or an [`Operator`] (a platform operator). What a token is and whose
//! it is lives in `harim_store::auth`; this module only reads the header.

use std::ops::Deref;

use axum::{extract::FromRequestParts, http::request::Parts};
use harim_store::{auth::Principal, scope::PlatformScope};

use crate::{AppState, error::ApiError};

/// The authenticated principal of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

/// The token of `Authorization: Bearer <token>`, if it has the shape of one of ours.
pub(crate) fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?
        .to_str()
        .map_err(|_| ApiError::Unauthorized)?;
    let (scheme, token) = value.split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::Unauthorized);
    }
    let token = token.trim();
    // 3-byte prefix + 43 base64url characters; anything else cannot be ours.
    if token.len() != 46 || !token.is_ascii() {
        return Err(ApiError::Unauthorized);
    }
    Ok(token)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Caller>() {
            return Ok(p.clone());
        }
        let token = bearer(parts)?;
        let principal = harim_store::auth::authenticate(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let caller = Caller(principal);
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

/// A platform operator, required by `/v1/admin/*` routes.
#[derive(Debug, Clone, Copy)]
pub struct Operator(pub PlatformScope);

impl Deref for Operator {
    type Target = PlatformScope;
    fn deref(&self) -> &PlatformScope {
        &self.0
    }
}

impl Operator {
    /// Refuses every operator but a platform admin (403), with the one message all admin-only
    /// routes give.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        Ok(self.require(
            harim_store::auth::PlatformRole::Admin,
            "Platform admins only.",
        )?)
    }
}

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        PlatformScope::of(&caller)
            .map(Operator)
            .ok_or(ApiError::Forbidden("Platform operators only."))
    }
}
