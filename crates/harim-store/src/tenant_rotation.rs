//! Tenant-key rotation: a shop gets a new tenant key and its fields are re-encrypted under it.
//!
//! One shop is one transaction (write first: the audit entry), so a shop is either wholly on its
//! new key or wholly on its old one, whatever instant a worker dies at. The old tenant key row is
//! deleted in that same transaction, once nothing references it, which destroys the key: its
//! wrapped bytes are gone from the live database (backups keep them until the root version that
//! wrapped them is retired, see docs/operations.md).
//!
//! `--all` is a job in `key_rotation_jobs` (kind `tenant`): every shop whose current tenant key
//! is older than the job's `created_at` is rotated. A shop rotated already has a newer key, so a
//! killed job resumes by running again, and two workers never rotate one shop twice (the
//! per-shop transaction re-checks the key's age after taking the shop's audit lock).

use std::sync::Arc;

use harim_vault::{FieldContext, Vault, pii::IDENTITY_FIELDS};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    audit,
    entity::rotation_job::{JobKind, JobState},
    entity::{merchant_identity, rotation_job, tenant_key},
    error::StoreError,
    ids::{PLATFORM_TENANT, ShopId},
    scope::PlatformScope,
    tenant_keys,
    tx::{self, Finish},
};

const TABLE: &str = "merchant_identities";

/// What happened to one shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Rotated to this tenant-key version.
    Rotated(u32),
    /// Its key was already newer than the cutoff.
    AlreadyFresh,
}

/// Rotates one shop's tenant key if its current key was created before `cutoff`.
pub async fn rotate_shop(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    operator: &PlatformScope,
    shop: ShopId,
    cutoff: OffsetDateTime,
) -> Result<Outcome, StoreError> {
    operator.require_admin()?;
    rotate(db, vault, &operator.actor(), shop.uuid(), cutoff).await
}

/// [`rotate_shop`] once the operator is checked (the job's loop checks once, not per shop).
async fn rotate(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    actor: &str,
    tenant_id: Uuid,
    cutoff: OffsetDateTime,
) -> Result<Outcome, StoreError> {
    if tenant_id == PLATFORM_TENANT {
        // The platform's key derives the audit key; rotating it would orphan every link.
        return Ok(Outcome::AlreadyFresh);
    }
    let event = audit::Event {
        actor: actor.to_string(),
        action: audit::Action::KeysRotateTenant,
        fields: Vec::new(),
        purpose: None,
        request_id: None,
    };
    let v = vault.clone();
    let out = tx::audited(db, vault, tenant_id, event, move |txn| {
        Box::pin(async move {
            let vault = v;
            // Other replicas wipe the old tenant key from memory when this commits.
            crate::events::notify(txn, crate::events::Event::Tenant(tenant_id)).await?;
            let current = tenant_key::Entity::find()
                .filter(tenant_key::Column::TenantId.eq(tenant_id))
                .order_by_desc(tenant_key::Column::TkVersion)
                .one(txn)
                .await?
                .ok_or(StoreError::NotFound)?;
            if current.created_at >= cutoff {
                // Another worker rotated it: nothing to do, the audit entry rolls back.
                return Ok(Finish::Rollback(Outcome::AlreadyFresh));
            }
            let old = tenant_keys::wrapped(&current)?;
            let kek = tenant_keys::wrap_version(txn, &vault).await?;
            let new = vault.rotate_tenant_key_at(&old, kek)?;
            let new_version =
                i32::try_from(new.tk_version).map_err(|e| StoreError::internal("tk_version", e))?;
            let mut encryptions = 0i64;
            if let Some(row) = merchant_identity::Entity::find_by_id(tenant_id)
                .one(txn)
                .await?
            {
                let mut am: merchant_identity::ActiveModel = row.clone().into();
                for field in IDENTITY_FIELDS {
                    let Some(ct) = row.field(field) else { continue };
                    let ctx = FieldContext {
                        tenant_id,
                        table: TABLE,
                        record_id: tenant_id,
                        field,
                    };
                    am.set_field(field, vault.reencrypt_field(&old, &new, &ctx, ct)?)
                        .map_err(|_| StoreError::internal("rotate", "unknown field"))?;
                    encryptions += 1;
                }
                am.tk_version = Set(new_version);
                am.update(txn).await?;
            }
            // Document keys hang off the tenant key too.
            encryptions += crate::kyc::reencrypt_keys(txn, &vault, &old, &new).await?;
            encryptions += crate::rights::export::reencrypt_keys(txn, &vault, &old, &new).await?;
            // Customer keys too: re-wrapped, their lookups recomputed under the new key.
            encryptions += crate::customers::reencrypt_keys(txn, &vault, &old, &new).await?;
            let mut row = tenant_keys::new_row(new)?;
            row.encryptions = Set(encryptions);
            row.insert(txn).await?;
            // Nothing references the older keys any more: destroy them.
            tenant_key::Entity::delete_many()
                .filter(tenant_key::Column::TenantId.eq(tenant_id))
                .filter(tenant_key::Column::TkVersion.lt(new_version))
                .exec(txn)
                .await?;
            Ok(Finish::Commit(Outcome::Rotated(
                u32::try_from(new_version).unwrap_or(0),
            )))
        })
    })
    .await?;
    if let Outcome::Rotated(_) = out {
        // Drop the old unwrapped key from memory now (zeroized); the new one is unwrapped
        // again on first use.
        vault.forget_tenant(tenant_id);
        metrics::counter!("harim_tenant_keys_rotated_total").increment(1);
    }
    Ok(out)
}

/// Starts a rotate-every-shop job, or returns the unfinished one (to resume it).
pub async fn start_all(
    db: &DatabaseConnection,
    operator: &PlatformScope,
) -> Result<rotation_job::Model, StoreError> {
    operator.require_admin()?;
    if let Some(j) = crate::rotation::unfinished_of(db, JobKind::Tenant).await? {
        return Ok(j);
    }
    let now = OffsetDateTime::now_utc();
    let total = tenant_key::Entity::find()
        .filter(tenant_key::Column::CreatedAt.lt(now))
        .filter(tenant_key::Column::TenantId.ne(PLATFORM_TENANT))
        .select_only()
        .column(tenant_key::Column::TenantId)
        .distinct()
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .len();
    Ok(rotation_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(JobKind::Tenant),
        target_kek_version: Set(0),
        state: Set(JobState::Pending),
        total: Set(i64::try_from(total).unwrap_or(i64::MAX)),
        done: Set(0),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    }
    .insert(db)
    .await?)
}

/// Runs a rotate-every-shop job to the end; `progress(done, total)` after each shop.
pub async fn run_all(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    operator: &PlatformScope,
    job: rotation_job::Model,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<rotation_job::Model, StoreError> {
    operator.require_admin()?;
    let actor = &operator.actor();
    let cutoff = job.created_at;
    let mut am: rotation_job::ActiveModel = job.into();
    am.state = Set(JobState::Running);
    let mut job = am.update(db).await?;
    loop {
        // Shops still on a key older than the cutoff; rotated shops drop out of this query.
        let batch: Vec<Uuid> = tenant_key::Entity::find()
            .filter(tenant_key::Column::CreatedAt.lt(cutoff))
            .filter(tenant_key::Column::TenantId.ne(PLATFORM_TENANT))
            .select_only()
            .column(tenant_key::Column::TenantId)
            .distinct()
            .limit(100)
            .into_tuple()
            .all(db)
            .await?;
        if batch.is_empty() {
            break;
        }
        for tenant in batch {
            if let Outcome::Rotated(_) = rotate(db, vault, actor, tenant, cutoff).await? {
                let mut am: rotation_job::ActiveModel = job.clone().into();
                am.done = Set(job.done + 1);
                am.updated_at = Set(OffsetDateTime::now_utc());
                job = am.update(db).await?;
            }
            progress(
                u64::try_from(job.done).unwrap_or(0),
                u64::try_from(job.total).unwrap_or(0),
            );
        }
    }
    let now = OffsetDateTime::now_utc();
    let mut am: rotation_job::ActiveModel = job.into();
    am.state = Set(JobState::Done);
    am.updated_at = Set(now);
    am.finished_at = Set(Some(now));
    Ok(am.update(db).await?)
}
