//! Erasure fences: the mark an erased shop leaves behind. A fenced shop id can get no new tenant
//! key; a fenced slug answers 410 and cannot be taken again. A leaf of the floor, so keys,
//! audit, policies and shops ask it without knowing of the erasure use case.
//!
//! Each fence carries a MAC under the audit key ([`seal`]). Refusals (no new key, 410 for the
//! slug) trust any fence row: a database writer who plants one can deny service, which they
//! could do by deleting rows anyway, and failing closed loses nothing. Everything destructive
//! or evidence-skipping trusts only a fence whose MAC holds ([`verified`]): retention deletes a
//! chain, `audit verify` accepts a chain's absence and an erasure answers an earlier receipt
//! only on a verified fence.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use harim_vault::Vault;

use crate::{
    StoreError,
    entity::erasure_fence,
    evidence::{self, AuditKey},
};

/// Domain separation of a fence's MAC input.
const FENCE_LABEL: &[u8] = b"harim-erasure-fence-v1";

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

/// Whether shop `tenant_id` was erased, or a fence row says so (see the module's note).
pub async fn fenced(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<bool, StoreError> {
    Ok(erasure_fence::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .is_some())
}

/// The fence of shop `tenant_id`, MACed: the row to insert.
pub(crate) fn seal(
    key: &AuditKey,
    tenant_id: Uuid,
    erased_at: OffsetDateTime,
    request_id: Uuid,
    slug_digest: Vec<u8>,
) -> Result<erasure_fence::Model, StoreError> {
    let mac = evidence::tag(
        key,
        FENCE_LABEL,
        &[
            tenant_id.as_bytes(),
            &evidence::micros(erased_at),
            request_id.as_bytes(),
            &slug_digest,
        ],
    )?;
    Ok(erasure_fence::Model {
        tenant_id,
        erased_at,
        request_id,
        slug_digest,
        mac: Some(mac),
    })
}

/// Whether `fence` is one harim wrote.
pub(crate) fn authentic(key: &AuditKey, fence: &erasure_fence::Model) -> Result<bool, StoreError> {
    let Some(mac) = &fence.mac else {
        return Ok(false);
    };
    evidence::holds(
        key,
        FENCE_LABEL,
        &[
            fence.tenant_id.as_bytes(),
            &evidence::micros(fence.erased_at),
            fence.request_id.as_bytes(),
            &fence.slug_digest,
        ],
        mac,
    )
}

/// What the database says about a shop's fence, checked.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Fence {
    /// No fence row.
    None,
    /// A fence harim wrote.
    Verified(erasure_fence::Model),
    /// A fence row whose MAC does not hold (or that has none): counted and logged as tampering.
    Forged,
}

/// The fence of `tenant_id`, checked under the audit key.
pub(crate) async fn verified(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<Fence, StoreError> {
    let Some(f) = erasure_fence::Entity::find_by_id(tenant_id).one(db).await? else {
        return Ok(Fence::None);
    };
    let key = evidence::audit_key(db, vault).await?;
    if authentic(&key, &f)? {
        Ok(Fence::Verified(f))
    } else {
        evidence::tampering("erasure_fence", &format!("shop {tenant_id}"));
        Ok(Fence::Forged)
    }
}
