//! Erasure fences: the mark an erased shop leaves behind. A fenced shop id can get no new tenant
//! key and its chain no new entry; a fenced slug answers 410 and cannot be taken again. A leaf of
//! the floor, so keys, audit, policies and shops ask it without knowing of the erasure use case.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{StoreError, entity::erasure_fence};

/// The SHA-256 of a slug, as the fence keeps it.
pub fn slug_digest(slug: &str) -> Vec<u8> {
    Sha256::digest(slug.as_bytes()).to_vec()
}

/// Whether `slug` belonged to an erased shop.
pub async fn slug_erased(db: &impl ConnectionTrait, slug: &str) -> Result<bool, StoreError> {
    Ok(erasure_fence::Entity::find()
        .filter(erasure_fence::Column::SlugDigest.eq(slug_digest(slug)))
        .one(db)
        .await?
        .is_some())
}

/// Whether shop `tenant_id` was erased.
pub async fn fenced(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<bool, StoreError> {
    Ok(erasure_fence::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .is_some())
}
