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

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

use harim_vault::Vault;

pub use crate::evidence::AUDIT_KEY_INFO;
use crate::{
    db::statement,
    entity::{audit_entry, audit_head, erasure_fence, shop},
    error::StoreError,
    evidence::{self, AuditKey, audit_key, mac, now_micros},
    ids::PLATFORM_TENANT,
};
/// Domain separation of a link's MAC input.
const LINK_LABEL: &[u8] = b"harim-audit-v2";
/// Domain separation of the exported heads' MAC input.
const HEADS_LABEL: &[u8] = b"harim-audit-heads-v1";
/// Domain separation of a pruning mark's MAC input.
const PRUNE_LABEL: &[u8] = b"harim-audit-pruned-v1";
const GENESIS: [u8; 32] = [0u8; 32];

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
    /// `audit.chain_purged`: retention deleted an erased shop's chain; the entry (in the
    /// platform chain) is the chain's purge record ([`PurgeRecord`]).
    AuditChainPurged,
    /// `customer.erase`
    CustomerErase,
    /// `customer.export`: a customer's own access request from the privacy page (their data is
    /// read to build their copy).
    CustomerExport,
    /// `customer.order`
    CustomerOrder,
    /// `customer_request.close`: the shop did what a correction request asked.
    CustomerRequestClose,
    /// `customer_request.extend`: a request's deadline extended, with the reason told.
    CustomerRequestExtend,
    /// `customer.reveal`
    CustomerReveal,
    /// `customer.write`
    CustomerWrite,
    /// `notification.queue`: a message passed the gate (the customer's contact is read to send).
    NotificationQueue,
    /// `webhook_endpoint.create` (platform chain)
    WebhookEndpointCreate,
    /// `webhook.replay` (platform chain)
    WebhookReplay,
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
    /// `platform_token.revoke`
    PlatformTokenRevoke,
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
            Action::AuditChainPurged => "audit.chain_purged",
            Action::ExportDownload => "export.download",
            Action::ExportReveal => "export.reveal",
            Action::IdentityReveal => "identity.reveal",
            Action::IdentitySearch => "identity.search",
            Action::IdentitySearchMatch => "identity.search_match",
            Action::IdentityWrite => "identity.write",
            Action::CustomerErase => "customer.erase",
            Action::CustomerExport => "customer.export",
            Action::CustomerOrder => "customer.order",
            Action::CustomerRequestClose => "customer_request.close",
            Action::CustomerRequestExtend => "customer_request.extend",
            Action::CustomerReveal => "customer.reveal",
            Action::CustomerWrite => "customer.write",
            Action::NotificationQueue => "notification.queue",
            Action::WebhookEndpointCreate => "webhook_endpoint.create",
            Action::WebhookReplay => "webhook.replay",
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
            Action::PlatformTokenRevoke => "platform_token.revoke",
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
    /// Every entry written at or before this time, in every chain, except purge records
    /// (they hold no personal data and let `verify` account for a deleted chain for ever).
    AtOrBefore(OffsetDateTime),
    /// Every entry of this actor (`account:<id>`, ...), in every chain, except its
    /// `account.erase` entry: that entry is what lets retention prune the rest (see
    /// [`erased_account`]), and names only a random id that leads to no one.
    Actor(&'a str),
}

/// Entries pruned per transaction: a long chain is pruned in bounded transactions, each
/// complete (content removed and mark written together), so a killed run leaves no entry
/// half pruned and the next run goes on where it stopped.
const PRUNE_BATCH: u64 = 500;

/// One entry [`prune`] considers, with what its predecessor says about it.
struct Candidate {
    entry: audit_entry::Model,
    /// The predecessor's `(hash, at)`, if the predecessor exists.
    before: Option<(Vec<u8>, OffsetDateTime)>,
}

/// Why an entry may not be pruned: pruning it would replace a failing check by a passing one.
fn unprunable(key: &AuditKey, c: &Candidate) -> Result<Option<&'static str>, StoreError> {
    let e = &c.entry;
    Ok(match &c.before {
        None if e.seq != 1 => Some("the entry before it is missing"),
        None if e.prev_hash != GENESIS => Some("the first entry does not start from the genesis"),
        Some((hash, _)) if *hash != e.prev_hash => {
            Some("prev_hash does not match the previous entry")
        }
        Some((_, at)) if e.at < *at => Some("the entry is dated before the previous one"),
        _ if link(key, &e.prev_hash, e)? != e.hash => {
            Some("the entry's content does not match its link")
        }
        _ => None,
    })
}

/// Removes the content of the entries `which` selects, keeping their sequence number, time and
/// links, and writes each one's pruning mark. Returns how many entries were pruned.
///
/// An entry is pruned only if its own link verifies and it follows its predecessor (same
/// `prev_hash`, not dated before it): a pruned entry is checked by its mark instead of its
/// content, so pruning an entry someone edited (backdated, say) would bless the edit. Such an
/// entry is left as it is, counted and logged as tampering, and the run answers an error
/// naming how many were refused, so the retention rule shows as failed until someone looks.
pub async fn prune(
    db: &sea_orm::DatabaseConnection,
    vault: &Vault,
    which: Prune<'_>,
) -> Result<u64, StoreError> {
    let (condition, value): (&str, sea_orm::Value) = match which {
        Prune::AtOrBefore(t) => ("a.at <= $1 AND a.action <> 'audit.chain_purged'", t.into()),
        Prune::Actor(a) => (
            "a.actor = $1 AND a.action <> 'account.erase'",
            a.to_string().into(),
        ),
    };
    // Keyset order, so an entry refused once is not read again by this run.
    let select = format!(
        "SELECT a.tenant_id, a.seq, a.id, a.at, a.actor, a.action, a.fields, a.purpose, \
         a.request_id, a.prev_hash, a.hash, p.hash AS p_hash, p.at AS p_at \
         FROM audit_log a LEFT JOIN audit_log p ON p.tenant_id = a.tenant_id AND p.seq = a.seq - 1 \
         WHERE a.pruned_mac IS NULL AND {condition} AND (a.tenant_id > $2 OR (a.tenant_id = $2 AND a.seq > $3)) \
         ORDER BY a.tenant_id, a.seq LIMIT {PRUNE_BATCH}"
    );
    // The row is blanked only as it was verified: someone editing it between the read and this
    // statement makes it match nothing.
    const BLANK: &str = "UPDATE audit_log SET actor = '', action = '', fields = '[]', \
         purpose = NULL, request_id = NULL, pruned_mac = $1 \
         WHERE tenant_id = $2 AND seq = $3 AND pruned_mac IS NULL AND hash = $4 \
         AND prev_hash = $5 AND at = $6 AND actor = $7 AND action = $8 AND fields = $9 \
         AND purpose IS NOT DISTINCT FROM $10 AND request_id IS NOT DISTINCT FROM $11";
    let mut total = 0u64;
    let mut refused = 0u64;
    let mut after = (Uuid::nil(), 0i64);
    loop {
        let key = audit_key(db, vault).await?;
        let rows = db
            .query_all(statement(
                db,
                &select,
                [value.clone(), after.0.into(), after.1.into()],
            ))
            .await?;
        let mut prunable = Vec::with_capacity(rows.len());
        for r in &rows {
            let p_hash: Option<Vec<u8>> = r.try_get("", "p_hash")?;
            let p_at: Option<OffsetDateTime> = r.try_get("", "p_at")?;
            let c = Candidate {
                entry: audit_entry::Model {
                    tenant_id: r.try_get("", "tenant_id")?,
                    seq: r.try_get("", "seq")?,
                    id: r.try_get("", "id")?,
                    at: r.try_get("", "at")?,
                    actor: r.try_get("", "actor")?,
                    action: r.try_get("", "action")?,
                    fields: r.try_get("", "fields")?,
                    purpose: r.try_get("", "purpose")?,
                    request_id: r.try_get("", "request_id")?,
                    prev_hash: r.try_get("", "prev_hash")?,
                    hash: r.try_get("", "hash")?,
                    pruned_mac: None,
                },
                before: p_hash.zip(p_at),
            };
            after = (c.entry.tenant_id, c.entry.seq);
            match unprunable(&key, &c)? {
                Some(reason) => {
                    refused += 1;
                    evidence::tampering(
                        "audit_entry",
                        &format!(
                            "not pruned: chain {} seq {}: {reason}",
                            c.entry.tenant_id, c.entry.seq
                        ),
                    );
                }
                None => prunable.push(c.entry),
            }
        }
        if !prunable.is_empty() {
            use sea_orm::TransactionTrait;
            let txn = db.begin().await?;
            for e in prunable {
                let mark = prune_mark(&key, e.tenant_id, e.seq, e.at, &e.prev_hash, &e.hash)?;
                total += txn
                    .execute(statement(
                        &txn,
                        BLANK,
                        [
                            mark.into(),
                            e.tenant_id.into(),
                            e.seq.into(),
                            e.hash.into(),
                            e.prev_hash.into(),
                            e.at.into(),
                            e.actor.into(),
                            e.action.into(),
                            e.fields.into(),
                            e.purpose.into(),
                            e.request_id.into(),
                        ],
                    ))
                    .await?
                    .rows_affected();
            }
            txn.commit().await?;
        }
        if (rows.len() as u64) < PRUNE_BATCH {
            break;
        }
    }
    if refused > 0 {
        return Err(StoreError::Internal(format!(
            "{refused} audit entries were not pruned because their links do not verify; \
             run `harim audit verify`"
        )));
    }
    Ok(total)
}

/// Whether `e`'s link holds over its own `prev_hash`: harim wrote this entry, whatever
/// happened to the entries around it (a link cannot be made without the audit key, and it
/// covers the chain and the sequence number, so an entry cannot be copied elsewhere).
fn authentic(key: &AuditKey, e: &audit_entry::Model) -> Result<bool, StoreError> {
    Ok(e.pruned_mac.is_none() && link(key, &e.prev_hash, e)? == e.hash)
}

/// The authentic `account.erase` entry of the platform chain for `account`, if there is one:
/// the only evidence of an account's erasure that retention acts on (a `data_requests` row can
/// be inserted by anyone who can write the database; a link cannot be made without the key).
pub(crate) async fn erased_account(
    db: &impl ConnectionTrait,
    vault: &Vault,
    account: Uuid,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let key = audit_key(db, vault).await?;
    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::TenantId.eq(PLATFORM_TENANT))
        .filter(audit_entry::Column::Action.eq(Action::AccountErase.as_str()))
        .filter(audit_entry::Column::Actor.eq(format!("account:{account}")))
        .all(db)
        .await?;
    for e in entries {
        if authentic(&key, &e)? {
            return Ok(Some(e.at));
        }
        evidence::tampering(
            "audit_entry",
            &format!("an account.erase entry (seq {}) does not verify", e.seq),
        );
    }
    Ok(None)
}

/// What an erased shop's chain was when retention deleted it: kept in the platform chain as an
/// `audit.chain_purged` entry, so `verify` accepts the chain's absence only on its word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PurgeRecord {
    pub tenant_id: Uuid,
    /// The chain's last sequence number and link.
    pub seq: i64,
    pub hash: Vec<u8>,
    /// When it was purged (the entry's time).
    pub at: OffsetDateTime,
}

impl PurgeRecord {
    /// The platform-chain event recording a purge of `tenant_id`'s chain at head `(seq, hash)`.
    pub(crate) fn event(tenant_id: Uuid, seq: i64, hash: &[u8]) -> Event<'static> {
        Event {
            actor: "system:retention".into(),
            action: Action::AuditChainPurged,
            fields: vec![
                format!("tenant:{tenant_id}"),
                format!("seq:{seq}"),
                format!("hash:{}", hex::encode(hash)),
            ],
            purpose: None,
            request_id: None,
        }
    }

    fn parse(e: &audit_entry::Model) -> Option<Self> {
        let fields: Vec<String> = serde_json::from_str(&e.fields).ok()?;
        let [t, n, h] = fields.as_slice() else {
            return None;
        };
        Some(Self {
            tenant_id: Uuid::parse_str(t.strip_prefix("tenant:")?).ok()?,
            seq: n.strip_prefix("seq:")?.parse().ok()?,
            hash: hex::decode(h.strip_prefix("hash:")?).ok()?,
            at: e.at,
        })
    }
}

/// The head of `tenant_id`'s chain, `(seq, hash)`, if it has one.
pub(crate) async fn head(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    Ok(audit_head::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .map(|h| (h.seq, h.hash)))
}

/// The first broken link of `tenant_id`'s chain (its entries in order, and its head), if any.
pub(crate) async fn check_chain(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<Option<BrokenLink>, StoreError> {
    let key = audit_key(db, vault).await?;
    let entries = chain_entries(db, tenant_id).await?;
    let head = head(db, tenant_id).await?;
    let mut pruned = 0;
    Ok(check(&key, tenant_id, &entries, head.as_ref(), &mut pruned)?.map(|(b, _)| b))
}

async fn chain_entries(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<Vec<audit_entry::Model>, StoreError> {
    Ok(audit_entry::Entity::find()
        .filter(audit_entry::Column::TenantId.eq(tenant_id))
        .order_by_asc(audit_entry::Column::Seq)
        .all(db)
        .await?)
}

/// The tenant's head as an append takes it: the new sequence number, the previous link, and
/// the time the new entry must not be dated before.
struct Bumped {
    seq: i64,
    prev: Vec<u8>,
    not_before: Option<OffsetDateTime>,
}

impl Bumped {
    /// The new entry's time: now, or the previous entry's if this machine's clock is behind
    /// the one that wrote it.
    fn at(&self) -> OffsetDateTime {
        let now = now_micros();
        self.not_before.map_or(now, |t| now.max(t))
    }
}

/// Takes the tenant's lock and `by` sequence numbers.
async fn bump(
    txn: &DatabaseTransaction,
    tenant_id: Uuid,
    by: i64,
) -> Result<Option<Bumped>, StoreError> {
    let row = txn
        .query_one(statement(
            txn,
            "UPDATE audit_heads SET seq = seq + $1 WHERE tenant_id = $2 RETURNING seq, hash, at",
            [by.into(), tenant_id.into()],
        ))
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(Bumped {
            seq: r.try_get("", "seq")?,
            prev: r.try_get("", "hash")?,
            not_before: r.try_get("", "at")?,
        })),
    }
}

/// Appends `event` to `tenant_id`'s chain inside `txn`.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    vault: &Vault,
    tenant_id: Uuid,
    event: Event<'_>,
) -> Result<(), StoreError> {
    append_many(txn, vault, tenant_id, vec![event]).await
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
    at: OffsetDateTime,
) -> Result<(), StoreError> {
    let moved = txn
        .execute(statement(
            txn,
            "UPDATE audit_heads SET hash = $1, at = $2 WHERE tenant_id = $3 AND seq = $4",
            [hash.into(), at.into(), tenant_id.into(), seq.into()],
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

/// Appends `events` to `tenant_id`'s chain inside `txn`, in order: one head bump for all of
/// them, multi-row inserts (500 rows each), one head move. The links are the same as one append
/// after another, so `verify` cannot tell the two apart.
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
    // Shops get their head when they are created; any other chain (the platform's) gets it
    // here, race-free, on first use.
    let bumped = match bump(txn, tenant_id, n).await? {
        Some(h) => h,
        None => {
            create_head(txn, tenant_id).await?;
            bump(txn, tenant_id, n)
                .await?
                .ok_or_else(|| StoreError::internal("audit", "head missing"))?
        }
    };
    crate::checkpoint::reached("audit.append.head_read", tenant_id).await;
    let last = bumped.seq;
    let at = bumped.at();
    let mut prev = bumped.prev;
    let key = audit_key(txn, vault).await?;
    let mut batch = Vec::with_capacity(events.len().min(500));
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
    move_head(txn, tenant_id, last, prev, at).await
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
        at: Set(None),
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

/// The first broken link of one chain, given its entries in order and its head; `pruned`
/// counts the pruned entries checked. With the broken link, the sequence number the chain was
/// checked up to.
fn check(
    key: &AuditKey,
    tenant: Uuid,
    entries: &[audit_entry::Model],
    head: Option<&(i64, Vec<u8>)>,
    pruned: &mut usize,
) -> Result<Option<(BrokenLink, i64)>, StoreError> {
    let mut prev = GENESIS.to_vec();
    let mut prev_at: Option<OffsetDateTime> = None;
    let mut expected_seq = 1;
    for e in entries {
        let reason = if e.seq != expected_seq {
            Some("an entry is missing before this one")
        } else if e.prev_hash != prev {
            Some("prev_hash does not match the previous entry")
        } else if prev_at.is_some_and(|at| e.at < at) {
            Some("the entry is dated before the previous one")
        } else if let Some(mark) = &e.pruned_mac {
            *pruned += 1;
            if !(e.actor.is_empty()
                && e.action.is_empty()
                && e.fields == "[]"
                && e.purpose.is_none()
                && e.request_id.is_none())
            {
                Some("a pruned entry has content")
            } else if prune_mark(key, tenant, e.seq, e.at, &e.prev_hash, &e.hash)? != *mark {
                Some("the entry's pruning mark does not match")
            } else {
                None
            }
        } else if link(key, &prev, e)? != e.hash {
            Some("the entry's content does not match its link")
        } else {
            None
        };
        if let Some(reason) = reason {
            let b = BrokenLink {
                tenant_id: tenant,
                seq: e.seq,
                reason,
            };
            return Ok(Some((b, e.seq)));
        }
        prev.clone_from(&e.hash);
        prev_at = Some(e.at);
        expected_seq = e.seq + 1;
    }
    let last = expected_seq - 1;
    Ok(match head {
        None => Some(BrokenLink {
            tenant_id: tenant,
            seq: 0,
            reason: "the chain's head is missing",
        }),
        Some((seq, hash)) if *seq != last || *hash != prev => Some(BrokenLink {
            tenant_id: tenant,
            seq: *seq,
            reason: "the head does not match the last entry",
        }),
        Some(_) => None,
    }
    .map(|b| (b, last)))
}

/// Recomputes every tenant's chain, reporting the first broken link of each; with `heads`,
/// also that every exported head is still in its chain.
///
/// A chain is checked if anything says it should exist: its head, its entries, its shop, an
/// erasure fence, or the exported heads. A chain that is wholly gone passes only when an
/// authentic purge record in the platform chain accounts for it, for a shop whose fence
/// verifies and whose chain's retention had run out when it was purged; exported heads are
/// then compared with the record.
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
    let stored_heads: HashMap<Uuid, (i64, Vec<u8>)> = audit_head::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.tenant_id, (h.seq, h.hash)))
        .collect();
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
    let fences: HashMap<Uuid, erasure_fence::Model> = erasure_fence::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.tenant_id, f))
        .collect();
    let purges = purge_records(db, &key).await?;
    let mut tenants: Vec<Uuid> = stored_heads.keys().copied().collect();
    tenants.sort();
    for t in entry_tenants
        .iter()
        .chain(&shops)
        .chain(fences.keys())
        .chain(exported.iter().map(|h| &h.tenant_id))
    {
        if !tenants.contains(t) {
            tenants.push(*t);
        }
    }
    for tenant in tenants {
        out.tenants += 1;
        let entries = chain_entries(db, tenant).await?;
        let head = stored_heads.get(&tenant);
        let exported_head = exported.iter().find(|h| h.tenant_id == tenant && h.seq > 0);
        if entries.is_empty()
            && head.is_none()
            && let Some(p) = purges.get(&tenant)
        {
            let broken = purged_chain(&key, p, fences.get(&tenant), exported_head)?;
            match broken {
                None => out.tenants -= 1,
                Some(reason) => out.broken.push(BrokenLink {
                    tenant_id: tenant,
                    seq: p.seq,
                    reason,
                }),
            }
            continue;
        }
        out.entries += entries.len();
        let mut broken = check(&key, tenant, &entries, head, &mut out.pruned)?.map(|(b, _)| b);
        if broken.is_none()
            && let Some(x) = exported_head
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

/// Every authentic purge record of the platform chain, by purged chain.
async fn purge_records(
    db: &impl ConnectionTrait,
    key: &AuditKey,
) -> Result<HashMap<Uuid, PurgeRecord>, StoreError> {
    let entries = audit_entry::Entity::find()
        .filter(audit_entry::Column::TenantId.eq(PLATFORM_TENANT))
        .filter(audit_entry::Column::Action.eq(Action::AuditChainPurged.as_str()))
        .all(db)
        .await?;
    let mut out = HashMap::new();
    for e in entries {
        if !authentic(key, &e)? {
            // `verify` reports the platform chain's broken link itself.
            continue;
        }
        if let Some(p) = PurgeRecord::parse(&e) {
            out.insert(p.tenant_id, p);
        }
    }
    Ok(out)
}

/// Why a chain gone with purge record `p` should not be gone, if it should not.
fn purged_chain(
    key: &AuditKey,
    p: &PurgeRecord,
    fence: Option<&erasure_fence::Model>,
    exported: Option<&ExportedHead>,
) -> Result<Option<&'static str>, StoreError> {
    let Some(fence) = fence else {
        return Ok(Some(
            "the chain was purged but its shop has no erasure fence",
        ));
    };
    if !crate::fence::authentic(key, fence)? {
        return Ok(Some("the chain was purged on a fence harim did not write"));
    }
    let due =
        fence.erased_at + time::Duration::days(i64::from(crate::datamap::AUDIT_DAYS_AFTER_ERASURE));
    if p.at < due {
        return Ok(Some("the chain was purged before its retention ran out"));
    }
    Ok(match exported {
        Some(x) if x.seq > p.seq => Some("an exported head is later than the chain's purge record"),
        Some(x) if x.seq == p.seq && x.hash != hex::encode(&p.hash) => {
            Some("an exported head differs from the chain's purge record")
        }
        _ => None,
    })
}
