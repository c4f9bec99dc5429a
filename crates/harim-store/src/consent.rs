//! Customers' choices: consent events, one hash-chained stream per shop, each naming the exact
//! policy version (number, content hash, language) the person was shown. The current state of a
//! purpose is a fold of the events; nothing is ever updated in place except the emptying of an
//! erased customer's events, which keeps the chain verifiable (see [`erase_customer`]).
//!
//! Why a chain of its own rather than the audit chain: consent events are the evidence a shop
//! shows a regulator ("this person agreed to marketing SMS on this date, under this text"), are
//! written by anonymous visitors through the banner at page-view rates, and must be exportable
//! and erasable per customer; the audit chain records what the shop's people and keys did.
//! Both are linked with MACs under the audit key, so a database writer can delete (and is
//! caught by the broken link) but cannot forge or reorder.
//!
//! Record structure follows ISO/IEC TS 27560:2023 (header, processing, parties, events); the
//! receipt each event answers with carries those parts and is signed with the installation's
//! Ed25519 receipt key (`harim receipts verify`).

use std::collections::BTreeMap;

use harim_policy::{PrivacySettings, consent as purposes};
use harim_vault::Vault;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    StoreError,
    db::statement,
    entity::{
        consent_event, consent_head, consent_link, consent_renewal, customer_key, policy_version,
        shop,
    },
    evidence::{self, AuditKey},
    ids::CustomerId,
    rights::receipt::{ReceiptSigner, SignedReceipt},
    scope::{ShopAccess, ShopScope},
    tx::{self, Finish},
};

const LINK_LABEL: &[u8] = b"harim-consent-link-v1";
const ERASED_LABEL: &[u8] = b"harim-consent-erased-v1";
const GENESIS: [u8; 32] = [0; 32];
/// How long a given consent stands before it expires and must be asked again (two years: the
/// period supervisory guidance most often names for marketing consent; shorter never hurts).
pub const VALIDITY: Duration = Duration::days(730);
/// The receipt's schema tag.
pub const RECEIPT_SCHEMA: &str = "harim-consent-receipt/v1 (ISO/IEC TS 27560:2023)";

/// What a person chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Given,
    Refused,
    Withdrawn,
    /// Only derived (validity over) or written by harim; never accepted from a client.
    Expired,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Given => "given",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
            Self::Expired => "expired",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "given" => Self::Given,
            "refused" => Self::Refused,
            "withdrawn" => Self::Withdrawn,
            "expired" => Self::Expired,
            _ => return None,
        })
    }
}

/// How the choice was collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    Banner,
    Checkout,
    Api,
    SmsReply,
}

impl Collection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
            Self::Checkout => "checkout",
            Self::Api => "api",
            Self::SmsReply => "sms_reply",
        }
    }
}

/// A visitor known only by the random first-party id the banner made (`v_` and 32 lowercase
/// hex digits). Only its SHA-256 is stored: the id is 128 random bits, so the digest cannot be
/// walked back, and a database reader cannot match it to a browser's storage.
#[derive(Clone, PartialEq, Eq)]
pub struct VisitorId(String);

impl std::fmt::Debug for VisitorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VisitorId(..)")
    }
}

impl VisitorId {
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.strip_prefix("v_")?;
        (hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        .then(|| Self(s.to_string()))
    }

    fn digest(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

/// Whose choice it is.
#[derive(Debug, Clone)]
pub enum Subject {
    Customer(CustomerId),
    Visitor(VisitorId),
}

/// One choice to record.
#[derive(Debug, Clone)]
pub struct Choice {
    pub purpose: String,
    pub state: State,
}

/// What a client asks to record: choices of one subject under one policy version.
#[derive(Debug, Clone)]
pub struct Input {
    pub subject: Subject,
    pub choices: Vec<Choice>,
    pub policy_version: i32,
    pub language: String,
    pub collection: Collection,
}

/// One stored event, as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: Uuid,
    pub seq: i64,
    pub purpose: String,
    pub state: State,
    pub policy_version: i32,
    pub policy_hash: String,
    pub language: String,
    pub collection: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub valid_until: Option<OffsetDateTime>,
    /// `customer` or `visitor` (a visitor's events joined to the customer by a link).
    pub recorded_as: &'static str,
}

/// What recording answers: the events written and one signed receipt covering them.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub events: Vec<Event>,
    pub receipt: SignedReceipt,
    /// The receipt's id: its human-readable page is `/shops/{slug}/consent/receipts/{id}`.
    pub receipt_id: Uuid,
    pub slug: String,
}

/// A customer's consents: the current state per purpose and every event, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct Consents {
    /// `given`, `refused`, `withdrawn`, `expired`, or `renewal_needed` (given under a version a
    /// later change touched for this purpose).
    pub current: BTreeMap<String, String>,
    pub events: Vec<Event>,
}

fn require_member(scope: &ShopScope) -> Result<(), StoreError> {
    match scope.role() {
        ShopAccess::Owner | ShopAccess::Staff => Ok(()),
        ShopAccess::Platform(_) => Err(StoreError::Forbidden(
            "Platform operators do not read or record a shop's customers' consents.",
        )),
    }
}

/// The published version `n` of a shop, with its settings.
pub(crate) async fn version(
    db: &impl ConnectionTrait,
    t: Uuid,
    n: i32,
) -> Result<(policy_version::Model, PrivacySettings), StoreError> {
    let Some(v) = policy_version::Entity::find_by_id((t, n)).one(db).await? else {
        return Err(StoreError::rejected(
            "policy_version",
            "unknown_version",
            "The shop has published no policy version with this number.",
        ));
    };
    let s: PrivacySettings = serde_json::from_str(&v.settings)
        .map_err(|e| StoreError::internal("published settings", e))?;
    Ok((v, s))
}

/// Checks the choices against what version `v` of the policy says.
fn check(input: &Input, v: &policy_version::Model, s: &PrivacySettings) -> Result<(), StoreError> {
    let mut broken = Vec::new();
    if !v.locales.split(',').any(|l| l == input.language) {
        broken.push(harim_violation::Violation::new(
            "language",
            "not_published",
            "The policy version was not published in this language.",
        ));
    }
    if input.choices.is_empty() {
        broken.push(harim_violation::Violation::new(
            "purpose",
            "required",
            "Name at least one purpose.",
        ));
    }
    let named = purposes::purposes(s);
    for (i, c) in input.choices.iter().enumerate() {
        let field = if input.choices.len() == 1 {
            "purpose".to_string()
        } else {
            format!("choices.{}", c.purpose.escape_default())
        };
        if !purposes::is_purpose(&c.purpose) {
            broken.push(harim_violation::Violation::new(
                field,
                "unknown_purpose",
                "Purposes are order_sms, order_email, marketing_sms, marketing_email, analytics and analytics:<service>.",
            ));
        } else if !named.contains(&c.purpose) {
            broken.push(harim_violation::Violation::new(
                field,
                "not_in_policy",
                "This policy version does not name the purpose, so there is nothing to consent to.",
            ));
        } else if input.choices[..i].iter().any(|o| o.purpose == c.purpose) {
            broken.push(harim_violation::Violation::new(
                field,
                "duplicate",
                "Each purpose once.",
            ));
        }
        if c.state == State::Expired {
            broken.push(harim_violation::Violation::new(
                "state",
                "invalid",
                "A client records given, refused or withdrawn; expiry is harim's.",
            ));
        }
    }
    if broken.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Rejected(broken))
    }
}

/// The canonical content a link covers (every column but the chain's own).
#[derive(Serialize)]
struct Canonical<'a> {
    tenant_id: Uuid,
    seq: i64,
    id: Uuid,
    receipt_id: Option<Uuid>,
    customer_id: Option<Uuid>,
    visitor_hash: Option<String>,
    purpose: Option<&'a str>,
    state: Option<&'a str>,
    policy_version: Option<i32>,
    policy_hash: Option<&'a str>,
    language: Option<&'a str>,
    collection: Option<&'a str>,
    actor: Option<&'a str>,
    at: i128,
    valid_until: Option<i128>,
}

fn micros(t: OffsetDateTime) -> i128 {
    t.unix_timestamp_nanos() / 1_000
}

fn link(key: &AuditKey, prev: &[u8], e: &consent_event::Model) -> Result<Vec<u8>, StoreError> {
    let c = Canonical {
        tenant_id: e.tenant_id,
        seq: e.seq,
        id: e.id,
        receipt_id: e.receipt_id,
        customer_id: e.customer_id,
        visitor_hash: e.visitor_hash.as_ref().map(hex::encode),
        purpose: e.purpose.as_deref(),
        state: e.state.as_deref(),
        policy_version: e.policy_version,
        policy_hash: e.policy_hash.as_deref(),
        language: e.language.as_deref(),
        collection: e.collection.as_deref(),
        actor: e.actor.as_deref(),
        at: micros(e.at),
        valid_until: e.valid_until.map(micros),
    };
    let body = serde_json::to_vec(&c).map_err(|err| StoreError::internal("consent encode", err))?;
    evidence::tag(key, LINK_LABEL, &[prev, &body])
}

fn erased_mark(key: &AuditKey, e: &consent_event::Model) -> Result<Vec<u8>, StoreError> {
    evidence::tag(
        key,
        ERASED_LABEL,
        &[
            e.tenant_id.as_bytes(),
            &e.seq.to_be_bytes(),
            &e.prev_hash,
            &e.hash,
        ],
    )
}

/// Takes the next `n` sequence numbers of the shop's stream (creating its head on first use),
/// returning the last one before them and its hash. The first statement is a write, so on
/// SQLite the transaction holds the write lock before it reads.
async fn bump(txn: &impl ConnectionTrait, t: Uuid, n: i64) -> Result<(i64, Vec<u8>), StoreError> {
    let q = || {
        statement(
            txn,
            "UPDATE consent_heads SET seq = seq + $1 WHERE tenant_id = $2 RETURNING seq, hash",
            [n.into(), t.into()],
        )
    };
    let row = match txn.query_one(q()).await? {
        Some(r) => r,
        None => {
            txn.execute(statement(
                txn,
                "INSERT INTO consent_heads (tenant_id, seq, hash) VALUES ($1, 0, $2) \
                 ON CONFLICT (tenant_id) DO NOTHING",
                [t.into(), GENESIS.to_vec().into()],
            ))
            .await?;
            txn.query_one(q())
                .await?
                .ok_or_else(|| StoreError::internal("consent", "head missing"))?
        }
    };
    let seq: i64 = row.try_get("", "seq")?;
    Ok((seq - n, row.try_get("", "hash")?))
}

/// Appends events to the shop's stream in `txn`: one head bump, one multi-row insert, one head
/// move (from the sequence number this append took, so a fork is refused, not written).
async fn append(
    txn: &impl ConnectionTrait,
    key: &AuditKey,
    t: Uuid,
    mut rows: Vec<consent_event::Model>,
) -> Result<Vec<consent_event::Model>, StoreError> {
    let n = i64::try_from(rows.len()).map_err(|e| StoreError::internal("consent", e))?;
    let (before, mut prev) = bump(txn, t, n).await?;
    for (i, row) in rows.iter_mut().enumerate() {
        row.seq = before + 1 + i64::try_from(i).map_err(|e| StoreError::internal("consent", e))?;
        row.prev_hash = std::mem::take(&mut prev);
        row.hash = link(key, &row.prev_hash, row)?;
        prev.clone_from(&row.hash);
    }
    consent_event::Entity::insert_many(
        rows.iter()
            .cloned()
            .map(consent_event::ActiveModel::from)
            .collect::<Vec<_>>(),
    )
    .exec_without_returning(txn)
    .await?;
    let moved = txn
        .execute(statement(
            txn,
            "UPDATE consent_heads SET hash = $1 WHERE tenant_id = $2 AND seq = $3",
            [prev.into(), t.into(), (before + n).into()],
        ))
        .await?
        .rows_affected();
    if moved != 1 {
        return Err(StoreError::internal(
            "consent",
            "the stream head moved during an append",
        ));
    }
    Ok(rows)
}

fn event_of(row: &consent_event::Model) -> Option<Event> {
    Some(Event {
        id: row.id,
        seq: row.seq,
        purpose: row.purpose.clone()?,
        state: State::parse(row.state.as_deref()?)?,
        policy_version: row.policy_version?,
        policy_hash: row.policy_hash.clone()?,
        language: row.language.clone()?,
        collection: row.collection.clone()?,
        at: row.at,
        valid_until: row.valid_until,
        recorded_as: if row.customer_id.is_some() {
            "customer"
        } else {
            "visitor"
        },
    })
}

/// The ISO/IEC TS 27560 parts of a receipt for `events` of one subject.
fn receipt_body(
    shop: &shop::Model,
    v: &policy_version::Model,
    s: &PrivacySettings,
    principal: &str,
    actor: &str,
    events: &[consent_event::Model],
) -> Value {
    let recipients: Vec<Value> = s
        .processors
        .iter()
        .map(|p| json!({"name": p.name, "role": p.role.key(), "country": p.country}))
        .chain(
            s.analytics
                .iter()
                .map(|a| json!({"name": a.name(), "role": "analytics", "country": a.country()})),
        )
        .collect();
    let first = events.first();
    json!({
        "schema": RECEIPT_SCHEMA,
        "header": {
            "record_id": first.and_then(|e| e.receipt_id).map(|id| id.to_string()),
            "pii_principal_id": principal,
            "shop": shop.id.to_string(),
        },
        "processing": {
            "privacy_notice": {
                "url": format!("/shops/{}/privacy/versions/{}?lang={}", shop.slug, v.version, first.and_then(|e| e.language.clone()).unwrap_or_default()),
                "version": v.version,
                "hash": v.hash,
                "language": first.and_then(|e| e.language.clone()),
            },
            "purposes": events.iter().filter_map(|e| e.purpose.clone()).collect::<Vec<_>>(),
            "lawful_basis": "consent",
            "pii_categories": s.customer_data.iter().map(|d| d.category.key()).collect::<Vec<_>>(),
            "jurisdiction": s.controller.country,
            "retention": {"customer_accounts_days": s.retention.customer_accounts_days},
            "third_party_recipients": recipients,
            "withdrawal_method": "the shop's consent banner, its privacy page, or a reply keyword to a marketing text message",
            "collection_method": first.and_then(|e| e.collection.clone()),
        },
        "parties": [{
            "type": "controller",
            "name": s.controller.legal_name,
            "country": s.controller.country,
            "contact": s.contact.email,
        }],
        "events": events.iter().map(|e| json!({
            "seq": e.seq,
            "id": e.id.to_string(),
            "purpose": e.purpose,
            "event_type": "consent",
            "event_state": e.state,
            "time": crate::customers::rfc3339_of(e.at),
            "validity_until": e.valid_until.map(crate::customers::rfc3339_of),
            "entity_id": actor,
            "link": hex::encode(&e.hash),
        })).collect::<Vec<_>>(),
    })
}

/// Records `input` under `actor` (already authorised); one event per choice, one receipt.
async fn record_as(
    db: &DatabaseConnection,
    vault: &Vault,
    t: Uuid,
    actor: String,
    input: Input,
) -> Result<Recorded, StoreError> {
    let (v, s) = version(db, t, input.policy_version).await?;
    check(&input, &v, &s)?;
    let shop = shop::Entity::find_by_id(t)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let key = evidence::audit_key(db, vault).await?;
    let signer = ReceiptSigner::load(db, vault).await?;
    let (customer_id, visitor_hash, principal) = match &input.subject {
        Subject::Customer(c) => (Some(c.uuid()), None, c.public()),
        Subject::Visitor(vis) => {
            let d = vis.digest();
            let p = format!("visitor:{}", hex::encode(&d));
            (None, Some(d), p)
        }
    };
    let now = crate::evidence::now_micros();
    let receipt_id = Uuid::new_v4();
    let rows: Vec<consent_event::Model> = input
        .choices
        .iter()
        .map(|c| consent_event::Model {
            tenant_id: t,
            seq: 0,
            id: Uuid::new_v4(),
            receipt_id: Some(receipt_id),
            customer_id,
            visitor_hash: visitor_hash.clone(),
            purpose: Some(c.purpose.clone()),
            state: Some(c.state.as_str().to_string()),
            policy_version: Some(v.version),
            policy_hash: Some(v.hash.clone()),
            language: Some(input.language.clone()),
            collection: Some(input.collection.as_str().to_string()),
            actor: Some(actor.clone()),
            at: now,
            valid_until: (c.state == State::Given).then(|| now + VALIDITY),
            prev_hash: Vec::new(),
            hash: Vec::new(),
            erased_mac: None,
        })
        .collect();
    let key2 = key.clone();
    let subject_name = principal.clone();
    let written = tx::gated(db, move |txn| {
        Box::pin(async move {
            // The append's first statement is a write (the SQLite rule); the customer is
            // checked after it, in the same transaction: one erased a moment ago gets no event.
            let written = append(txn, &key2, t, rows).await?;
            if let Some(c) = customer_id
                && customer_key::Entity::find_by_id((t, c))
                    .one(txn)
                    .await?
                    .is_none()
            {
                return Err(StoreError::NotFound);
            }
            crate::privacy_events::emit(
                txn,
                t,
                crate::privacy_events::Topic::ConsentChanged,
                None,
                None,
                json!({
                    "subject": subject_name,
                    "policy_version": written.first().and_then(|e| e.policy_version),
                    "collection": written.first().and_then(|e| e.collection.clone()),
                    "choices": written.iter().map(|e| json!({
                        "purpose": e.purpose, "state": e.state, "seq": e.seq,
                    })).collect::<Vec<_>>(),
                }),
            )
            .await?;
            Ok(Finish::Commit(written))
        })
    })
    .await?;
    let receipt = signer.sign(receipt_body(&shop, &v, &s, &principal, &actor, &written));
    Ok(Recorded {
        events: written.iter().filter_map(event_of).collect(),
        receipt,
        receipt_id,
        slug: shop.slug,
    })
}

/// Records consent choices for a customer or visitor of the scope's shop (owner, staff, API key).
pub async fn record(
    db: &DatabaseConnection,
    vault: &Vault,
    scope: &ShopScope,
    input: Input,
) -> Result<Recorded, StoreError> {
    require_member(scope)?;
    record_as(db, vault, scope.tenant_id(), scope.actor(), input).await
}

/// What the public banner sends: one choice per purpose it showed.
#[derive(Debug, Clone)]
pub struct BannerInput {
    pub visitor: VisitorId,
    pub choices: BTreeMap<String, bool>,
    pub policy_version: i32,
    pub language: String,
    /// The browser sent `Sec-GPC: 1`: marketing is refused whatever was clicked.
    pub global_privacy_control: bool,
}

/// Records a banner's choices for shop `slug` (public; no principal). Only the purposes the
/// banner asks about may be named; `true` is `given`, `false` `refused`; with Global Privacy
/// Control marketing purposes are recorded as refused.
pub async fn record_from_banner(
    db: &DatabaseConnection,
    vault: &Vault,
    slug: &str,
    input: BannerInput,
) -> Result<Recorded, StoreError> {
    let shop = shop::Entity::find()
        .filter(shop::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (_, s) = version(db, shop.id, input.policy_version).await?;
    let asked = purposes::banner_purposes(&s);
    if let Some(p) = input.choices.keys().find(|p| !asked.contains(p)) {
        let _ = p;
        return Err(StoreError::rejected(
            "choices",
            "not_in_banner",
            "The banner of this policy version does not ask about this purpose.",
        ));
    }
    let choices = input
        .choices
        .into_iter()
        .map(|(purpose, yes)| {
            let marketing = purpose.starts_with("marketing_");
            let state = if yes && !(marketing && input.global_privacy_control) {
                State::Given
            } else {
                State::Refused
            };
            Choice { purpose, state }
        })
        .collect();
    record_as(
        db,
        vault,
        shop.id,
        "banner".to_string(),
        Input {
            subject: Subject::Visitor(input.visitor),
            choices,
            policy_version: input.policy_version,
            language: input.language,
            collection: Collection::Banner,
        },
    )
    .await
}

/// Records harim's own event for a customer (an SMS "stop" reply): `withdrawn` for `purpose`
/// under the shop's latest published version.
pub(crate) async fn withdraw_for(
    db: &DatabaseConnection,
    vault: &Vault,
    t: Uuid,
    customer: CustomerId,
    purpose: &str,
    collection: Collection,
) -> Result<(), StoreError> {
    let Some(v) = policy_version::Entity::find()
        .filter(policy_version::Column::TenantId.eq(t))
        .order_by_desc(policy_version::Column::Version)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let language = v.default_locale.clone();
    let input = Input {
        subject: Subject::Customer(customer),
        choices: vec![Choice {
            purpose: purpose.to_string(),
            state: State::Withdrawn,
        }],
        policy_version: v.version,
        language,
        collection,
    };
    match record_as(db, vault, t, collection.as_str().to_string(), input).await {
        // The purpose is not in the policy (marketing switched off): nothing to withdraw.
        Ok(_) | Err(StoreError::Rejected(_)) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Ties a visitor id to a customer: the visitor's events count as the customer's from now on.
pub async fn link_visitor(
    db: &DatabaseConnection,
    scope: &ShopScope,
    customer: CustomerId,
    visitor: &VisitorId,
) -> Result<(), StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    if customer_key::Entity::find_by_id((t, customer.uuid()))
        .one(db)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    let digest = visitor.digest();
    if let Some(l) = consent_link::Entity::find_by_id((t, digest.clone()))
        .one(db)
        .await?
    {
        return if l.customer_id == customer.uuid() {
            Ok(())
        } else {
            Err(StoreError::Conflict(
                "This visitor is already linked to another customer.",
            ))
        };
    }
    consent_link::ActiveModel {
        tenant_id: Set(t),
        visitor_hash: Set(digest),
        customer_id: Set(customer.uuid()),
        linked_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Every event of a customer and of the visitors linked to them, oldest first.
pub(crate) async fn events_of(
    db: &impl ConnectionTrait,
    t: Uuid,
    customer: Uuid,
) -> Result<Vec<consent_event::Model>, StoreError> {
    let visitors: Vec<Vec<u8>> = consent_link::Entity::find()
        .filter(consent_link::Column::TenantId.eq(t))
        .filter(consent_link::Column::CustomerId.eq(customer))
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.visitor_hash)
        .collect();
    let mut who = Condition::any().add(consent_event::Column::CustomerId.eq(customer));
    if !visitors.is_empty() {
        who = who.add(consent_event::Column::VisitorHash.is_in(visitors));
    }
    Ok(consent_event::Entity::find()
        .filter(consent_event::Column::TenantId.eq(t))
        .filter(who)
        .order_by_asc(consent_event::Column::Seq)
        .all(db)
        .await?)
}

/// The renewal marks of a shop: purpose -> first version that needs consents renewed.
async fn renewals(db: &impl ConnectionTrait, t: Uuid) -> Result<BTreeMap<String, i32>, StoreError> {
    Ok(consent_renewal::Entity::find()
        .filter(consent_renewal::Column::TenantId.eq(t))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.purpose, r.since_version))
        .collect())
}

/// The current state per purpose: the last event decides; a `given` past its validity is
/// `expired`, one given under a version older than a renewal mark is `renewal_needed`.
fn fold(
    events: &[Event],
    renewals: &BTreeMap<String, i32>,
    now: OffsetDateTime,
) -> BTreeMap<String, String> {
    let mut last: BTreeMap<&str, &Event> = BTreeMap::new();
    for e in events {
        last.insert(&e.purpose, e);
    }
    last.into_iter()
        .map(|(p, e)| {
            let state = match e.state {
                State::Given if e.valid_until.is_some_and(|u| u <= now) => "expired",
                State::Given if renewals.get(p).is_some_and(|&v| e.policy_version < v) => {
                    "renewal_needed"
                }
                s => s.as_str(),
            };
            (p.to_string(), state.to_string())
        })
        .collect()
}

/// A customer's consents (owner, staff, API key).
pub async fn of_customer(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    customer: CustomerId,
) -> Result<Consents, StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    if customer_key::Entity::find_by_id((t, customer.uuid()))
        .one(db)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    consents(db, t, customer.uuid()).await
}

pub(crate) async fn consents(
    db: &impl ConnectionTrait,
    t: Uuid,
    customer: Uuid,
) -> Result<Consents, StoreError> {
    let events: Vec<Event> = events_of(db, t, customer)
        .await?
        .iter()
        .filter_map(event_of)
        .collect();
    let current = fold(&events, &renewals(db, t).await?, OffsetDateTime::now_utc());
    Ok(Consents { current, events })
}

/// Whether the customer's consent allows `purpose` now: opt-in purposes need a current `given`;
/// order messages go unless refused or withdrawn.
pub(crate) async fn allows(
    db: &impl ConnectionTrait,
    t: Uuid,
    customer: Uuid,
    purpose: &str,
) -> Result<bool, StoreError> {
    let c = consents(db, t, customer).await?;
    let state = c.current.get(purpose).map(String::as_str);
    Ok(if purposes::needs_opt_in(purpose) {
        state == Some("given")
    } else {
        !matches!(state, Some("refused") | Some("withdrawn"))
    })
}

/// After version `version` is published with `changes` (JSON of `harim_policy::Change`): the
/// touched purposes' older consents need renewal. Runs in the publishing transaction.
pub(crate) async fn mark_renewals(
    txn: &impl ConnectionTrait,
    t: Uuid,
    version: i32,
    changes: &str,
) -> Result<(), StoreError> {
    let changes: Vec<harim_policy::Change> =
        serde_json::from_str(changes).map_err(|e| StoreError::internal("policy changes", e))?;
    let now = OffsetDateTime::now_utc();
    for purpose in purposes::touched_purposes(&changes) {
        txn.execute(statement(
            txn,
            "INSERT INTO consent_renewals (tenant_id, purpose, since_version, marked_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, purpose) \
             DO UPDATE SET since_version = excluded.since_version, marked_at = excluded.marked_at",
            [t.into(), purpose.into(), version.into(), now.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Empties a customer's consent events (and those of their linked visitors) in `txn`, the
/// customer's erasure transaction: each keeps `seq`, `at` and its links, gets an `erased_mac`,
/// and loses who, what and under which text. The links are dropped.
pub(crate) async fn erase_customer(
    txn: &impl ConnectionTrait,
    key: &AuditKey,
    t: Uuid,
    customer: Uuid,
) -> Result<u64, StoreError> {
    let rows = events_of(txn, t, customer).await?;
    let n = rows.len() as u64;
    for row in rows {
        let mac = erased_mark(key, &row)?;
        consent_event::ActiveModel {
            tenant_id: Set(row.tenant_id),
            seq: Set(row.seq),
            receipt_id: Set(None),
            customer_id: Set(None),
            visitor_hash: Set(None),
            purpose: Set(None),
            state: Set(None),
            policy_version: Set(None),
            policy_hash: Set(None),
            language: Set(None),
            collection: Set(None),
            actor: Set(None),
            valid_until: Set(None),
            erased_mac: Set(Some(mac)),
            ..Default::default()
        }
        .update(txn)
        .await?;
    }
    consent_link::Entity::delete_many()
        .filter(consent_link::Column::TenantId.eq(t))
        .filter(consent_link::Column::CustomerId.eq(customer))
        .exec(txn)
        .await?;
    Ok(n)
}

/// What [`verify`] found in one shop's stream.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Verified {
    pub events: u64,
    pub erased: u64,
    /// The first event that does not verify (`None`: the whole stream does).
    pub broken_at: Option<i64>,
    pub reason: Option<&'static str>,
}

/// Walks a shop's consent stream from the start and checks every link, every erasure mark and
/// the head. A row changed, inserted, reordered or deleted by a database writer is named.
pub async fn verify(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
) -> Result<Verified, StoreError> {
    let key = evidence::audit_key(db, vault).await?;
    let rows = consent_event::Entity::find()
        .filter(consent_event::Column::TenantId.eq(t))
        .order_by_asc(consent_event::Column::Seq)
        .all(db)
        .await?;
    let mut out = Verified {
        events: 0,
        erased: 0,
        broken_at: None,
        reason: None,
    };
    let mut prev = GENESIS.to_vec();
    let mut expected = 1;
    let fail = |out: &mut Verified, seq: i64, why: &'static str| {
        evidence::tampering("consent_chain", why);
        out.broken_at = Some(seq);
        out.reason = Some(why);
    };
    for row in &rows {
        if row.seq != expected {
            fail(&mut out, expected, "an event is missing");
            return Ok(out);
        }
        if row.prev_hash != prev {
            fail(&mut out, row.seq, "the link to the previous event is wrong");
            return Ok(out);
        }
        match &row.erased_mac {
            Some(mac) => {
                let ok = evidence::holds(
                    &key,
                    ERASED_LABEL,
                    &[
                        row.tenant_id.as_bytes(),
                        &row.seq.to_be_bytes(),
                        &row.prev_hash,
                        &row.hash,
                    ],
                    mac,
                )?;
                if !ok
                    || row.purpose.is_some()
                    || row.customer_id.is_some()
                    || row.receipt_id.is_some()
                {
                    fail(&mut out, row.seq, "an erasure mark does not verify");
                    return Ok(out);
                }
                out.erased += 1;
            }
            None => {
                if link(&key, &row.prev_hash, row)? != row.hash {
                    fail(
                        &mut out,
                        row.seq,
                        "the event's content does not match its link",
                    );
                    return Ok(out);
                }
            }
        }
        out.events += 1;
        prev.clone_from(&row.hash);
        expected += 1;
    }
    let head = consent_head::Entity::find_by_id(t).one(db).await?;
    let (head_seq, head_hash) = head.map_or((0, GENESIS.to_vec()), |h| (h.seq, h.hash));
    if head_seq != expected - 1 || head_hash != prev {
        fail(
            &mut out,
            expected,
            "the stream's head does not match its last event",
        );
    }
    Ok(out)
}

/// What a shop's banner needs: the version in force, its languages and the purposes it asks
/// about (with the display names of analytics services).
#[derive(Debug, Clone)]
pub struct Banner {
    pub slug: String,
    pub version: i32,
    pub default_language: String,
    pub languages: Vec<String>,
    pub purposes: Vec<String>,
    /// `analytics:<key>` -> the service's name.
    pub services: BTreeMap<String, String>,
}

/// The banner of shop `slug` (public).
pub async fn banner(db: &impl ConnectionTrait, slug: &str) -> Result<Banner, StoreError> {
    let r = crate::policies::resolve(db, slug, None).await?;
    let (v, s) = version(db, r.tenant_id, r.version).await?;
    Ok(Banner {
        slug: slug.to_string(),
        version: v.version,
        default_language: v.default_locale.clone(),
        languages: v.locales.split(',').map(str::to_string).collect(),
        purposes: purposes::banner_purposes(&s),
        services: s
            .analytics
            .iter()
            .map(|a| (format!("analytics:{}", a.key()), a.name().to_string()))
            .collect(),
    })
}

/// A receipt again, for its page: the events it covers, the shop, and the signed JSON (made
/// anew from the stored events; Ed25519 signatures are deterministic, so it is the same bytes
/// the recording answered with). An erased customer's receipt is gone (404).
#[derive(Debug, Clone)]
pub struct ReceiptView {
    pub shop_name: String,
    pub slug: String,
    pub policy_version: i32,
    pub policy_hash: String,
    pub language: String,
    pub at: OffsetDateTime,
    pub events: Vec<Event>,
    pub signed: SignedReceipt,
    /// `analytics:<key>` -> the service's name, for labels.
    pub services: BTreeMap<String, String>,
}

/// The receipt `id` of shop `slug` (public: the id is 122 random bits, given only to whoever
/// recorded the choice).
pub async fn receipt(
    db: &impl ConnectionTrait,
    vault: &Vault,
    slug: &str,
    id: Uuid,
) -> Result<ReceiptView, StoreError> {
    let shop = shop::Entity::find()
        .filter(shop::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let rows = consent_event::Entity::find()
        .filter(consent_event::Column::TenantId.eq(shop.id))
        .filter(consent_event::Column::ReceiptId.eq(id))
        .order_by_asc(consent_event::Column::Seq)
        .all(db)
        .await?;
    let first = rows.first().ok_or(StoreError::NotFound)?;
    let (v, s) = version(db, shop.id, first.policy_version.unwrap_or_default()).await?;
    let principal = match (first.customer_id, &first.visitor_hash) {
        (Some(c), _) => CustomerId::from(c).public(),
        (None, Some(h)) => format!("visitor:{}", hex::encode(h)),
        (None, None) => return Err(StoreError::NotFound),
    };
    let actor = first.actor.clone().unwrap_or_default();
    let signer = ReceiptSigner::load(db, vault).await?;
    let signed = signer.sign(receipt_body(&shop, &v, &s, &principal, &actor, &rows));
    Ok(ReceiptView {
        shop_name: shop.name.clone(),
        slug: shop.slug.clone(),
        policy_version: v.version,
        policy_hash: v.hash.clone(),
        language: first.language.clone().unwrap_or_default(),
        at: first.at,
        events: rows.iter().filter_map(event_of).collect(),
        signed,
        services: s
            .analytics
            .iter()
            .map(|a| (format!("analytics:{}", a.key()), a.name().to_string()))
            .collect(),
    })
}
