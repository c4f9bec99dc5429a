//! The audit log: append-only, one keyed hash chain per tenant.
//!
//! Each link is an HMAC-SHA256, under the *audit key*, of the previous link and the entry's
//! content, so editing, deleting or reordering any entry breaks every later link, and someone
//! who can write the database but cannot unwrap the audit key cannot re-link a chain they
//! edited (Vault's audit device HMACs its entries for the same reason). `harim audit verify`
//! recomputes every chain and names the first broken link of each. Entries record who, what,
//! which fields, why, which request and when; never a value.
//!
//! The audit key is derived (HKDF, info [`AUDIT_KEY_INFO`]) from the platform's own tenant key:
//! the `tenant_keys` row of [`PLATFORM_TENANT`], wrapped under the root key like every tenant
//! key (root rotation re-wraps it; it is never rotated or shredded, so old links stay
//! verifiable). Deleting a chain's tail together with its head, or a whole chain, is caught by
//! comparing against *exported heads* ([`export_heads`], `harim audit heads`), which an operator
//! keeps outside the database; a shop whose head is missing is reported without one.
//!
//! Retention prunes entries ([`prune`]): their content (actor, action, fields, purpose,
//! request id) is removed and the row keeps its sequence number, time and both links, with a
//! *pruning mark*, a MAC under the audit key over exactly those. `verify` checks a pruned
//! entry's place in the chain and its mark instead of its content, so a chain with pruned
//! entries still verifies, the later entries' links still cover the pruned entries' links,
//! and someone without the audit key can neither prune an entry to hide an edit nor forge a
//! mark.
//!
//! Appends run inside the caller's transaction only (the type says so): the first statement
//! bumps the tenant's `audit_heads` row and returns the sequence number and previous link (a
//! row lock on PostgreSQL, the write lock on SQLite), so appends of one tenant are serialised
//! and the entry commits or rolls back with the work it describes. The head then moves to the
//! new link only from the sequence number this append took.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use secrecy::{ExposeSecret, SecretBox};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

use harim_vault::Vault;

use crate::{
    db::statement,
    entity::{audit_entry, audit_head, shop},
    error::StoreError,
    ids::PLATFORM_TENANT,
    tenant_keys,
};

/// HKDF info of the audit key (derived from the platform's tenant key).
pub const AUDIT_KEY_INFO: &[u8] = b"harim audit-chain v2";
/// Domain separation of a link's MAC input.
const LINK_LABEL: &[u8] = b"harim-audit-v2";
/// Domain separation of the exported heads' MAC input.
const HEADS_LABEL: &[u8] = b"harim-audit-heads-v1";
/// Domain separation of a pruning mark's MAC input.
const PRUNE_LABEL: &[u8] = b"harim-audit-pruned-v1";
const GENESIS: [u8; 32] = [0u8; 32];

type AuditKey = Arc<SecretBox<[u8; 32]>>;

/// What happened; the audit record of one action.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub actor: String,
    pub action: Action,
    pub fields: Vec<String>,
    pub purpose: Option<&'a str>,
    pub request_id: Option<String>,
}

/// Every action an audit entry can record. Stored by name (`Action::as_str`), which is part of
/// the chain's signed bytes: a name never changes once entries carry it; a new action is a new
/// variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `account.erase`
    AccountErase,
    /// `api_key.expire`
    ApiKeyExpire,
    /// `export.download`
    ExportDownload,
    /// `export.reveal`
    ExportReveal,
    /// `identity.reveal`
    IdentityReveal,
    /// `identity.search`
    IdentitySearch,
    /// `identity.search_match`
    IdentitySearchMatch,
    /// `identity.write`
    IdentityWrite,
    /// `keys.rotate_tenant`
    KeysRotateTenant,
    /// `keys.rotation_batch`
    KeysRotationBatch,
    /// `keys.rotation_finished`
    KeysRotationFinished,
    /// `keys.rotation_started`
    KeysRotationStarted,
    /// `keys.version_retired`
    KeysVersionRetired,
    /// `kyc.approve`
    KycApprove,
    /// `kyc.reject`
    KycReject,
    /// `kyc.download`
    KycDownload,
    /// `kyc.purge`
    KycPurge,
    /// `kyc.upload`
    KycUpload,
    /// `policy.publish`
    PolicyPublish,
    /// `shop.erase`
    ShopErase,
}

impl Action {
    /// The name stored in `audit_log.action`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::AccountErase => "account.erase",
            Action::ApiKeyExpire => "api_key.expire",
            Action::ExportDownload => "export.download",
            Action::ExportReveal => "export.reveal",
            Action::IdentityReveal => "identity.reveal",
            Action::IdentitySearch => "identity.search",
            Action::IdentitySearchMatch => "identity.search_match",
            Action::IdentityWrite => "identity.write",
            Action::KeysRotateTenant => "keys.rotate_tenant",
            Action::KeysRotationBatch => "keys.rotation_batch",
            Action::KeysRotationFinished => "keys.rotation_finished",
            Action::KeysRotationStarted => "keys.rotation_started",
            Action::KeysVersionRetired => "keys.version_retired",
            Action::KycApprove => "kyc.approve",
            Action::KycReject => "kyc.reject",
            Action::KycDownload => "kyc.download",
            Action::KycPurge => "kyc.purge",
            Action::KycUpload => "kyc.upload",
            Action::PolicyPublish => "policy.publish",
            Action::ShopErase => "shop.erase",
        }
    }
}

/// The bytes a link covers. Field order is fixed by this struct.
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

fn mac(key: &AuditKey) -> Result<Hmac<Sha256>, StoreError> {
    <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .map_err(|e| StoreError::internal("audit key", e))
}

fn link(key: &AuditKey, prev: &[u8], e: &audit_entry::Model) -> Result<Vec<u8>, StoreError> {
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
        serde_json::to_vec(&canonical).map_err(|err| StoreError::internal("audit encode", err))?;
    let mut m = mac(key)?;
    m.update(LINK_LABEL);
    m.update(&(prev.len() as u32).to_be_bytes());
    m.update(prev);
    m.update(&body);
    Ok(m.finalize().into_bytes().to_vec())
}

/// The pruning mark of an entry: what a pruned row keeps, MACed.
fn prune_mark(
    key: &AuditKey,
    tenant_id: Uuid,
    seq: i64,
    at: OffsetDateTime,
    prev: &[u8],
    hash: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let mut m = mac(key)?;
    m.update(PRUNE_LABEL);
    m.update(tenant_id.as_bytes());
    m.update(&seq.to_be_bytes());
    m.update(&(at.unix_timestamp_nanos() / 1_000).to_be_bytes());
    m.update(&(prev.len() as u32).to_be_bytes());
    m.update(prev);
    m.update(hash);
    Ok(m.finalize().into_bytes().to_vec())
}

/// Which entries [`prune`] removes the content of.
#[derive(Debug, Clone, Copy)]
pub enum Prune<'a> {
    /// Every entry written at or before this time, in every chain.
    AtOrBefore(OffsetDateTime),
    /// Every entry of this actor (`account:<id>`, ...), in every chain.
    Actor(&'a str),
}

/// Entries pruned per transaction: a long chain is pruned in bounded transactions, each
/// complete (content removed and mark written together), so a killed run leaves no entry
/// half pruned and the next run goes on where it stopped.
const PRUNE_BATCH: usize = 500;

/// Removes the content of the entries `which` selects, keeping their sequence number, time and
/// links, and writes each one's pruning mark. Returns how many entries were pruned.
pub async fn prune(
    db: &impl sea_orm::TransactionTrait,
    vault: &Vault,
    which: Prune<'_>,
) -> Result<u64, StoreError> {
    let (condition, value): (&str, sea_orm::Value) = match which {
        Prune::AtOrBefore(t) => ("at <= $1", t.into()),
        Prune::Actor(a) => ("actor = $1", a.to_string().into()),
    };
    // The first statement writes, so on SQLite the transaction holds the write lock before it
    // reads (see `tx`), and on PostgreSQL the rows are locked by the update itself.
    let sql = format!(
        "UPDATE audit_log SET actor = '', action = '', fields = '[]', purpose = NULL, \
         request_id = NULL WHERE (tenant_id, seq) IN (SELECT tenant_id, seq FROM audit_log \
         WHERE pruned_mac IS NULL AND {condition} LIMIT {PRUNE_BATCH}) \
         RETURNING tenant_id, seq, at, prev_hash, hash"
    );
    let mut total = 0u64;
    loop {
        let txn = db.begin().await?;
        let key = audit_key(&txn, vault).await?;
        let rows = txn
            .query_all(statement(&txn, &sql, [value.clone()]))
            .await?;
        for r in &rows {
            let tenant_id: Uuid = r.try_get("", "tenant_id")?;
            let seq: i64 = r.try_get("", "seq")?;
            let at: OffsetDateTime = r.try_get("", "at")?;
            let prev: Vec<u8> = r.try_get("", "prev_hash")?;
            let hash: Vec<u8> = r.try_get("", "hash")?;
            let mark = prune_mark(&key, tenant_id, seq, at, &prev, &hash)?;
            txn.execute(statement(
                &txn,
                "UPDATE audit_log SET pruned_mac = $1 WHERE tenant_id = $2 AND seq = $3",
                [mark.into(), tenant_id.into(), seq.into()],
            ))
            .await?;
        }
        txn.commit().await?;
        total += rows.len() as u64;
        if rows.len() < PRUNE_BATCH {
            return Ok(total);
        }
    }
}

/// The audit key, from the vault's memory or derived from the platform's tenant key, which is
/// created (race-free) on first use.
async fn audit_key(db: &impl ConnectionTrait, vault: &Vault) -> Result<AuditKey, StoreError> {
    if let Some(k) = vault.cached_derived_key(PLATFORM_TENANT, AUDIT_KEY_INFO) {
        return Ok(k);
    }
    let wk = tenant_keys::platform(db, vault).await?;
    Ok(vault.derive_key_cached(&wk, AUDIT_KEY_INFO)?)
}

/// Takes the tenant's lock and the next sequence number: `(seq, previous link)`.
async fn bump(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let row = txn
        .query_one(statement(
            txn,
            "UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash",
            [tenant_id.into()],
        ))
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some((r.try_get("", "seq")?, r.try_get("", "hash")?))),
    }
}

/// Appends `event` to `tenant_id`'s chain inside `txn`.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    vault: &Vault,
    tenant_id: Uuid,
    event: Event<'_>,
) -> Result<(), StoreError> {
    // Shops get their head when they are created; any other chain (the platform's) gets it
    // here, race-free, on first use.
    let (seq, prev) = match bump(txn, tenant_id).await? {
        Some(h) => h,
        None => {
            create_head(txn, tenant_id).await?;
            bump(txn, tenant_id)
                .await?
                .ok_or_else(|| StoreError::internal("audit", "head missing"))?
        }
    };
    crate::checkpoint::reached("audit.append.head_read", tenant_id).await;
    let key = audit_key(txn, vault).await?;
    let entry = linked(&key, tenant_id, seq, now_micros(), event, prev)?;
    let hash = entry.hash.clone();
    audit_entry::Entity::insert(audit_entry::ActiveModel::from(entry))
        .exec_without_returning(txn)
        .await?;
    move_head(txn, tenant_id, seq, hash).await
}

/// Now, at the microsecond precision both SQLite and PostgreSQL keep (so a link recomputed from
/// the stored row matches).
fn now_micros() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.nanosecond() / 1_000 * 1_000)
        .unwrap_or(now)
}

/// The entry for `event` at `seq` after `prev`, with its link.
fn linked(
    key: &AuditKey,
    tenant_id: Uuid,
    seq: i64,
    at: OffsetDateTime,
    event: Event<'_>,
    prev: Vec<u8>,
) -> Result<audit_entry::Model, StoreError> {
    let fields = serde_json::to_string(&event.fields)
        .map_err(|e| StoreError::internal("audit fields", e))?;
    let mut entry = audit_entry::Model {
        tenant_id,
        seq,
        id: Uuid::now_v7(),
        at,
        actor: event.actor,
        action: event.action.as_str().to_string(),
        fields,
        purpose: event.purpose.map(str::to_string),
        request_id: event.request_id,
        prev_hash: prev,
        hash: Vec::new(),
        pruned_mac: None,
    };
    entry.hash = link(key, &entry.prev_hash, &entry)?;
    Ok(entry)
}

/// Moves the head to `hash`, only from the sequence number this append took: anything else
/// means the lock did not hold, and a fork is refused rather than written.
async fn move_head(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    seq: i64,
    hash: Vec<u8>,
) -> Result<(), StoreError> {
    let moved = txn
        .execute(statement(
            txn,
            "UPDATE audit_heads SET hash = $1 WHERE tenant_id = $2 AND seq = $3",
            [hash.into(), tenant_id.into(), seq.into()],
        ))
        .await?
        .rows_affected();
    if moved != 1 {
        return Err(StoreError::internal(
            "audit",
            "the chain head moved during an append",
        ));
    }
    Ok(())
}

/// Appends several events to `tenant_id`'s chain inside `txn`, in order: one head bump for all
/// of them, multi-row inserts, one head move. The links are the same as [`append`]'s, so
/// `verify` cannot tell the two apart; it exists for work that records many events at once
/// (the benchmark builds its million-entry chains with it, through the real link code).
#[cfg(feature = "testkit")]
pub(crate) async fn append_many(
    txn: &DatabaseTransaction,
    vault: &Vault,
    tenant_id: Uuid,
    events: Vec<Event<'_>>,
) -> Result<(), StoreError> {
    let n = i64::try_from(events.len()).map_err(|e| StoreError::internal("audit", e))?;
    if n == 0 {
        return Ok(());
    }
    create_head(txn, tenant_id).await?;
    let row = txn
        .query_one(statement(
            txn,
            "UPDATE audit_heads SET seq = seq + $1 WHERE tenant_id = $2 RETURNING seq, hash",
            [n.into(), tenant_id.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::internal("audit", "head missing"))?;
    let last: i64 = row.try_get("", "seq")?;
    let mut prev: Vec<u8> = row.try_get("", "hash")?;
    let key = audit_key(txn, vault).await?;
    let at = now_micros();
    let mut batch = Vec::with_capacity(500);
    for (i, event) in events.into_iter().enumerate() {
        let seq = last - n + 1 + i64::try_from(i).map_err(|e| StoreError::internal("audit", e))?;
        let entry = linked(&key, tenant_id, seq, at, event, std::mem::take(&mut prev))?;
        prev.clone_from(&entry.hash);
        batch.push(audit_entry::ActiveModel::from(entry));
        if batch.len() == 500 {
            audit_entry::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        audit_entry::Entity::insert_many(batch)
            .exec_without_returning(txn)
            .await?;
    }
    move_head(txn, tenant_id, last, prev).await
}

/// Creates a tenant's chain head (seq 0) unless it exists.
pub(crate) async fn create_head(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<(), StoreError> {
    use sea_orm::{Set, sea_query::OnConflict};
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
pub(crate) async fn list(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    limit: u64,
) -> Result<Vec<audit_entry::Model>, StoreError> {
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::TenantId.eq(tenant_id))
        .order_by_desc(audit_entry::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// One audit entry as a shop's owner reads it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub seq: i64,
    pub id: Uuid,
    pub at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub fields: Vec<String>,
    pub purpose: Option<String>,
    pub request_id: Option<String>,
    /// This entry's link of the chain.
    pub hash: Vec<u8>,
}

impl From<audit_entry::Model> for Entry {
    fn from(e: audit_entry::Model) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            fields: serde_json::from_str(&e.fields).unwrap_or_default(),
            purpose: e.purpose,
            request_id: e.request_id,
            hash: e.hash,
        }
    }
}

/// Who accessed the scope's shop: its newest `limit` entries (owner and platform operators;
/// staff are refused).
pub async fn list_for(
    db: &impl ConnectionTrait,
    scope: &crate::scope::ShopScope,
    limit: u64,
) -> Result<Vec<Entry>, StoreError> {
    if scope.role() == crate::scope::ShopAccess::Staff {
        return Err(StoreError::Forbidden(
            "Only the shop owner and platform operators may read the audit log.",
        ));
    }
    Ok(list(db, scope.tenant_id(), limit)
        .await?
        .into_iter()
        .map(Entry::from)
        .collect())
}

/// One chain's head as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedHead {
    pub tenant_id: Uuid,
    pub seq: i64,
    /// The head's link, hex.
    pub hash: String,
}

/// Every chain's head at one instant, with a MAC under the audit key, for safekeeping outside
/// the database (`harim audit heads`). `verify` checks the chains still contain every exported
/// head.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedHeads {
    pub format: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub exported_at: OffsetDateTime,
    pub heads: Vec<ExportedHead>,
    /// HMAC-SHA256 (hex) over the label, the export time and the heads.
    pub mac: String,
}

fn heads_mac(
    key: &AuditKey,
    exported_at: OffsetDateTime,
    heads: &[ExportedHead],
) -> Result<Hmac<Sha256>, StoreError> {
    let body = serde_json::to_vec(&(exported_at.unix_timestamp(), heads))
        .map_err(|e| StoreError::internal("audit heads", e))?;
    let mut m = mac(key)?;
    m.update(HEADS_LABEL);
    m.update(&body);
    Ok(m)
}

/// Every chain's head, MACed. Read in one transaction so the heads are of one instant.
pub async fn export_heads(
    db: &impl ConnectionTrait,
    vault: &Vault,
) -> Result<SignedHeads, StoreError> {
    let key = audit_key(db, vault).await?;
    let now = OffsetDateTime::now_utc();
    let exported_at = now.replace_nanosecond(0).unwrap_or(now);
    let heads: Vec<ExportedHead> = audit_head::Entity::find()
        .order_by_asc(audit_head::Column::TenantId)
        .all(db)
        .await?
        .into_iter()
        .map(|h| ExportedHead {
            tenant_id: h.tenant_id,
            seq: h.seq,
            hash: hex::encode(&h.hash),
        })
        .collect();
    let mac = hex::encode(
        heads_mac(&key, exported_at, &heads)?
            .finalize()
            .into_bytes(),
    );
    Ok(SignedHeads {
        format: 1,
        exported_at,
        heads,
        mac,
    })
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
    /// Entries whose content retention removed (their place and mark were checked).
    pub pruned: usize,
    pub broken: Vec<BrokenLink>,
    /// Set when exported heads were given: whether their MAC holds (if not, nothing was
    /// compared against them).
    pub heads_authentic: Option<bool>,
}

/// Recomputes every tenant's chain, reporting the first broken link of each; with `heads`,
/// also that every exported head is still in its chain.
pub async fn verify(
    db: &impl ConnectionTrait,
    vault: &Vault,
    heads: Option<&SignedHeads>,
) -> Result<Verification, StoreError> {
    let key = audit_key(db, vault).await?;
    let mut out = Verification::default();
    let exported: Vec<ExportedHead> = match heads {
        None => Vec::new(),
        Some(h) => {
            let ok = hex::decode(&h.mac).is_ok_and(|tag| {
                heads_mac(&key, h.exported_at, &h.heads)
                    .map(|m| m.verify_slice(&tag).is_ok())
                    .unwrap_or(false)
            });
            out.heads_authentic = Some(ok);
            if ok { h.heads.clone() } else { Vec::new() }
        }
    };
    let stored_heads = audit_head::Entity::find().all(db).await?;
    let mut tenants: Vec<Uuid> = stored_heads.iter().map(|h| h.tenant_id).collect();
    let entry_tenants: Vec<Uuid> = audit_entry::Entity::find()
        .select_only()
        .column(audit_entry::Column::TenantId)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let shops: Vec<Uuid> = shop::Entity::find()
        .select_only()
        .column(shop::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    // A chain is checked if anything says it should exist: its head, its entries, its shop, or
    // the exported heads.
    for t in entry_tenants
        .iter()
        .chain(&shops)
        .chain(exported.iter().map(|h| &h.tenant_id))
    {
        if !tenants.contains(t) {
            tenants.push(*t);
        }
    }
    for tenant in tenants {
        out.tenants += 1;
        let entries = audit_entry::Entity::find()
            .filter(audit_entry::Column::TenantId.eq(tenant))
            .order_by_asc(audit_entry::Column::Seq)
            .all(db)
            .await?;
        // An erased shop's chain purged when its retention ran out is gone on purpose (the
        // fence records the erasure), not deleted by someone covering their tracks.
        if entries.is_empty()
            && !stored_heads.iter().any(|h| h.tenant_id == tenant)
            && crate::fence::fenced(db, tenant).await?
        {
            out.tenants -= 1;
            continue;
        }
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
            } else if let Some(mark) = &e.pruned_mac {
                out.pruned += 1;
                if !(e.actor.is_empty()
                    && e.action.is_empty()
                    && e.fields == "[]"
                    && e.purpose.is_none()
                    && e.request_id.is_none())
                {
                    Some("a pruned entry has content")
                } else if prune_mark(&key, tenant, e.seq, e.at, &e.prev_hash, &e.hash)? != *mark {
                    Some("the entry's pruning mark does not match")
                } else {
                    None
                }
            } else if link(&key, &prev, e)? != e.hash {
                Some("the entry's content does not match its link")
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
        if broken.is_none() {
            match stored_heads.iter().find(|h| h.tenant_id == tenant) {
                None => {
                    broken = Some(BrokenLink {
                        tenant_id: tenant,
                        seq: 0,
                        reason: "the chain's head is missing",
                    })
                }
                Some(head) if head.seq != expected_seq - 1 || head.hash != prev => {
                    broken = Some(BrokenLink {
                        tenant_id: tenant,
                        seq: head.seq,
                        reason: "the head does not match the last entry",
                    })
                }
                Some(_) => {}
            }
        }
        if broken.is_none()
            && let Some(x) = exported.iter().find(|h| h.tenant_id == tenant && h.seq > 0)
        {
            match entries.iter().find(|e| e.seq == x.seq) {
                None => {
                    broken = Some(BrokenLink {
                        tenant_id: tenant,
                        seq: x.seq,
                        reason: "an entry recorded in the exported heads is gone",
                    })
                }
                Some(e) if hex::encode(&e.hash) != x.hash => {
                    broken = Some(BrokenLink {
                        tenant_id: tenant,
                        seq: x.seq,
                        reason: "an entry differs from the exported heads",
                    })
                }
                Some(_) => {}
            }
        }
        out.broken.extend(broken);
    }
    Ok(out)
}
