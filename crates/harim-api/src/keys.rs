//! Persistence of tenant keys: the vault makes and wraps them, this module stores and loads them.

use harim_vault::{Vault, VaultError, WrappedTenantKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{entity::tenant_key, error::ApiError};

impl From<VaultError> for ApiError {
    fn from(e: VaultError) -> Self {
        match e {
            VaultError::EncryptionLimitReached { .. } => {
                tracing::error!(error = %e, "tenant key exhausted; rotate it");
                ApiError::Unavailable(
                    "This shop's encryption key must be rotated before new writes.",
                )
            }
            // VaultError's text never holds key bytes or plaintext (harim-vault's contract).
            other => ApiError::internal("vault", other),
        }
    }
}

fn u32_of(v: i32) -> Result<u32, ApiError> {
    u32::try_from(v).map_err(|_| ApiError::internal("tenant key", "negative version"))
}

fn i32_of(v: u32) -> Result<i32, ApiError> {
    i32::try_from(v).map_err(|_| ApiError::internal("tenant key", "version overflow"))
}

pub fn wrapped(row: &tenant_key::Model) -> Result<WrappedTenantKey, ApiError> {
    Ok(WrappedTenantKey {
        tenant_id: row.tenant_id,
        tk_version: u32_of(row.tk_version)?,
        kek_version: u32_of(row.kek_version)?,
        wrapped: row.wrapped.clone(),
    })
}

/// Creates and stores the first tenant key of a new shop.
pub async fn create(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<(), ApiError> {
    let wk = vault.create_tenant_key(tenant_id)?;
    tenant_key::ActiveModel {
        tenant_id: Set(tenant_id),
        tk_version: Set(i32_of(wk.tk_version)?),
        kek_version: Set(i32_of(wk.kek_version)?),
        wrapped: Set(wk.wrapped),
        encryptions: Set(0),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The newest tenant key of a shop, with the vault's counter seeded from the stored count.
pub async fn current(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<WrappedTenantKey, ApiError> {
    let row = tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(tenant_id))
        .order_by_desc(tenant_key::Column::TkVersion)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal("tenant key", "shop has no tenant key"))?;
    vault.record_persisted_count(
        tenant_id,
        u32_of(row.tk_version)?,
        u64::try_from(row.encryptions).unwrap_or(0),
    );
    wrapped(&row)
}

/// A given version of a shop's tenant key (the one a stored ciphertext names).
pub async fn version(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    tk_version: i32,
) -> Result<WrappedTenantKey, ApiError> {
    let row = tenant_key::Entity::find_by_id((tenant_id, tk_version))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal("tenant key", "referenced version missing"))?;
    wrapped(&row)
}

/// Adds `n` to the stored encryption count (same transaction as the write it counts).
pub async fn count_encryptions(
    db: &impl ConnectionTrait,
    wk: &WrappedTenantKey,
    n: u64,
) -> Result<(), ApiError> {
    let n = i64::try_from(n).map_err(|_| ApiError::internal("tenant key", "count overflow"))?;
    tenant_key::Entity::update_many()
        .col_expr(
            tenant_key::Column::Encryptions,
            Expr::col(tenant_key::Column::Encryptions).add(n),
        )
        .filter(tenant_key::Column::TenantId.eq(wk.tenant_id))
        .filter(tenant_key::Column::TkVersion.eq(i32_of(wk.tk_version)?))
        .exec(db)
        .await?;
    Ok(())
}
