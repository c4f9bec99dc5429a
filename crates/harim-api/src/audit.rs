//! The audit log: append-only, one SHA-256 hash chain per tenant.
//!
//! Each entry's hash covers the previous entry's hash and the entry's own content, so editing,
//! deleting or reordering any entry breaks every later link; `harim audit verify` recomputes
//! the chains and names the first broken link. Entries record who, what, which fields, why,
//! which request and when; never a value.
//!
//! Appends are serialised per tenant by first bumping the tenant's row in `audit_heads` (a row
//! lock on PostgreSQL, the write lock on SQLite), inside the caller's transaction: the entry
//! commits or rolls back with the work it describes.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    entity::{audit_entry, audit_head},
    error::ApiError,
};

/// What happened; the audit record of one action.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: String,
    pub action: &'a str,
    pub fields: Vec<String>,
    pub purpose: Option<&'a str>,
    pub request_id: Option<String>,
}

/// The bytes a link's hash covers. Field order is fixed by this struct.
#[derive(Serialize)]
struct Canonical<'a> {
    tenant_id: Uuid,
    seq: i64,
    id: Uuid,
    at: i128,
    actor: &'a str,
    action: &'a str,
    fields: &'a str,
    purpose: Option<&'a str>,
    request_id: Option<&'a str>,
}

fn link_hash(prev: &[u8], e: &audit_entry::Model) -> Result<Vec<u8>, ApiError> {
    let canonical = Canonical {
        tenant_id: e.tenant_id,
        seq: e.seq,
        id: e.id,
        // Microseconds: the precision both SQLite and PostgreSQL keep.
        at: e.at.unix_timestamp_nanos() / 1_000,
        actor: &e.actor,
        action: &e.action,
        fields: &e.fields,
        purpose: e.purpose.as_deref(),
        request_id: e.request_id.as_deref(),
    };
    let body =
        serde_json::to_vec(&canonical).map_err(|err| ApiError::internal("audit encode", err))?;
    let mut h = Sha256::new();
    h.update(b"harim-audit-v1");
    h.update((prev.len() as u32).to_be_bytes());
    h.update(prev);
    h.update(&body);
    Ok(h.finalize().to_vec())
}

const GENESIS: [u8; 32] = [0u8; 32];

/// Appends `event` to `tenant_id`'s chain on `db` (normally a transaction).
pub async fn append(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    event: Event<'_>,
) -> Result<(), ApiError> {
    // Take the per-tenant lock first. Shops get their head when they are created; for any
    // other chain (the platform's) it is created here, race-free, on first use.
    let bump = || {
        audit_head::Entity::update_many()
            .col_expr(
                audit_head::Column::Seq,
                Expr::col(audit_head::Column::Seq).add(1),
            )
            .filter(audit_head::Column::TenantId.eq(tenant_id))
            .exec(db)
    };
    if bump().await?.rows_affected == 0 {
        create_head(db, tenant_id).await?;
        if bump().await?.rows_affected == 0 {
            return Err(ApiError::internal("audit", "head missing"));
        }
    }
    let head = audit_head::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal("audit", "head vanished"))?;

    let now = OffsetDateTime::now_utc();
    let at = now
        .replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now);
    let fields =
        serde_json::to_string(&event.fields).map_err(|e| ApiError::internal("audit fields", e))?;
    let mut entry = audit_entry::Model {
        tenant_id,
        seq: head.seq,
        id: Uuid::now_v7(),
        at,
        actor: event.actor,
        action: event.action.to_string(),
        fields,
        purpose: event.purpose.map(str::to_string),
        request_id: event.request_id,
        prev_hash: head.hash.clone(),
        hash: Vec::new(),
    };
    entry.hash = link_hash(&head.hash, &entry)?;
    let hash = entry.hash.clone();
    audit_entry::ActiveModel::from(entry).insert(db).await?;
    audit_head::ActiveModel {
        tenant_id: Set(tenant_id),
        seq: Set(head.seq),
        hash: Set(hash),
    }
    .update(db)
    .await?;
    Ok(())
}

/// Creates a tenant's chain head (seq 0) unless it exists.
pub async fn create_head(db: &impl ConnectionTrait, tenant_id: Uuid) -> Result<(), ApiError> {
    use sea_orm::sea_query::OnConflict;
    audit_head::Entity::insert(audit_head::ActiveModel {
        tenant_id: Set(tenant_id),
        seq: Set(0),
        hash: Set(GENESIS.to_vec()),
    })
    .on_conflict(
        OnConflict::column(audit_head::Column::TenantId)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

/// Entries of one tenant, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, ApiError> {
    use sea_orm::QuerySelect;
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::TenantId.eq(tenant_id))
        .order_by_desc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub tenant_id: Uuid,
    pub seq: i64,
    pub reason: &'static str,
}

/// Result of verifying every chain.
#[derive(Debug, Default)]
pub struct Verification {
    pub tenants: usize,
    pub entries: usize,
    pub broken: Vec<BrokenLink>,
}

/// Recomputes every tenant's chain, reporting the first broken link of each.
pub async fn verify(db: &impl ConnectionTrait) -> Result<Verification, ApiError> {
    let mut out = Verification::default();
    let heads = audit_head::Entity::find().all(db).await?;
    let mut tenants: Vec<Uuid> = heads.iter().map(|h| h.tenant_id).collect();
    // Entries whose head was deleted are checked too.
    let orphan_tenants: Vec<Uuid> = {
        use sea_orm::QuerySelect;
        audit_entry::Entity::find()
            .select_only()
            .column(audit_entry::Column::TenantId)
            .distinct()
            .into_tuple()
            .all(db)
            .await?
    };
    for t in orphan_tenants {
        if !tenants.contains(&t) {
            tenants.push(t);
        }
    }
    for tenant in tenants {
        out.tenants += 1;
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::TenantId.eq(tenant))
            .order_by_asc(audit_entry::Column::Seq)
            .all(db)
            .await?;
        let mut prev = GENESIS.to_vec();
        let mut expected_seq = 1;
        let mut broken = None;
        for e in &entries {
            out.entries += 1;
            if broken.is_some() {
                continue;
            }
            let reason = if e.seq != expected_seq {
                Some("an entry is missing before this one")
            } else if e.prev_hash != prev {
                Some("prev_hash does not match the previous entry")
            } else if link_hash(&prev, e)? != e.hash {
                Some("the entry's content does not match its hash")
            } else {
                None
            };
            if let Some(reason) = reason {
                broken = Some(BrokenLink {
                    tenant_id: tenant,
                    seq: e.seq,
                    reason,
                });
            }
            prev = e.hash.clone();
            expected_seq = e.seq + 1;
        }
        let head = heads.iter().find(|h| h.tenant_id == tenant);
        if let Some(head) = head.filter(|_| broken.is_none())
            && (head.seq != expected_seq - 1 || head.hash != prev)
        {
            broken = Some(BrokenLink {
                tenant_id: tenant,
                seq: head.seq,
                reason: "entries after this one were removed",
            });
        }
        out.broken.extend(broken);
    }
    Ok(out)
}
