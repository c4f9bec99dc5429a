//! `TenantCtx`: the only way a handler reaches a shop's data.
//!
//! It is built from an authenticated `Principal` plus the `{shop_id}` of the path, and exists
//! only if that principal may act in that shop. Every failure to build it, including "the shop
//! exists but belongs to someone else", answers 404, so a caller cannot learn which ids exist.

use axum::{
    extract::{FromRequestParts, RawPathParams},
    http::request::Parts,
};
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::{
    AppState,
    auth::{PlatformRole, Principal, ShopRole},
    entity::{membership, shop},
    error::ApiError,
};

/// What the caller is inside this shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantRole {
    /// A person with the owner role, or an owner-role API key.
    Owner,
    /// A staff member or staff-role API key: sees masks, cannot reveal or administer.
    Staff,
    /// A platform operator reaching into the shop for review or operations.
    Platform(PlatformRole),
}

/// A verified (principal, shop) pair.
#[derive(Debug, Clone)]
pub struct TenantCtx {
    pub tenant_id: Uuid,
    pub principal: Principal,
    pub role: TenantRole,
    /// True when `principal` is a signed-in person (not an API key or platform token).
    pub via_session: bool,
}

impl TenantCtx {
    pub fn actor(&self) -> String {
        self.principal.actor()
    }

    /// Owner-only actions answer 403 to staff: they can already see the shop exists.
    pub fn require_owner(&self) -> Result<(), ApiError> {
        match self.role {
            TenantRole::Owner => Ok(()),
            _ => Err(ApiError::Forbidden("Only the shop owner may do this.")),
        }
    }

    /// Owner acting through a session (not an API key): managing members and keys.
    pub fn require_owner_session(&self) -> Result<(), ApiError> {
        self.require_owner()?;
        if !self.via_session {
            return Err(ApiError::Forbidden(
                "API keys cannot manage members or keys.",
            ));
        }
        Ok(())
    }
}

fn shop_id_from_path(params: &RawPathParams) -> Result<Uuid, ApiError> {
    let raw = params
        .iter()
        .find(|(k, _)| *k == "shop_id")
        .map(|(_, v)| v)
        .ok_or_else(|| ApiError::internal("tenant scope", "route has no {shop_id}"))?;
    Uuid::parse_str(raw).map_err(|_| ApiError::NotFound)
}

impl FromRequestParts<AppState> for TenantCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        let tenant_id = shop_id_from_path(&params)?;
        let (role, via_session) = match &principal {
            Principal::Account { account_id, .. } => {
                let m = membership::Entity::find_by_id((tenant_id, *account_id))
                    .one(&state.db)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                let role = match ShopRole::parse(&m.role) {
                    Some(ShopRole::Owner) => TenantRole::Owner,
                    Some(ShopRole::Staff) => TenantRole::Staff,
                    None => return Err(ApiError::NotFound),
                };
                (role, true)
            }
            Principal::ApiKey {
                tenant_id: key_tenant,
                role,
                ..
            } => {
                if *key_tenant != tenant_id {
                    return Err(ApiError::NotFound);
                }
                let role = match role {
                    ShopRole::Owner => TenantRole::Owner,
                    ShopRole::Staff => TenantRole::Staff,
                };
                (role, false)
            }
            Principal::Platform { role, .. } => {
                shop::Entity::find_by_id(tenant_id)
                    .one(&state.db)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                (TenantRole::Platform(*role), false)
            }
        };
        Ok(TenantCtx {
            tenant_id,
            principal,
            role,
            via_session,
        })
    }
}
