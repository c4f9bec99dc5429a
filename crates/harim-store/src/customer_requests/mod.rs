//! Customers' requests from the shop's privacy page: a copy of their data, a correction, an
//! erasure, no more marketing, their consents. The customer names the e-mail or phone they shop
//! with; harim sends a one-time code there through the notification outbox and the request
//! counts from the moment the code is given back.
//!
//! What a stranger learns: nothing. The answer to "send me a code" is the same request id and
//! the same 202 whether or not a customer has that address (the row is written either way; a
//! code is only queued for a real one, and queuing is an insert in the same transaction), and a
//! request for an unknown address can never be verified. Codes are six random digits, kept as a
//! keyed digest (a database reader cannot test guesses), valid ten minutes, five tries each,
//! three codes per request; an address may ask three times an hour, a network address ten.
//!
//! After verification each kind does its part at once and, where the platform's other systems
//! hold the customer's data too, a privacy event asks them (`customer.data_request`,
//! `customer.redact`); the request completes when every subscribed endpoint has answered
//! ([`complete`], signed by the endpoint's own secret), folding their answers into the export
//! or the signed receipt, or fails visibly at its due date ([`sweep`]).

pub mod archive;
pub mod deadlines;

use std::collections::BTreeMap;
use std::sync::Arc;

use harim_notify::Channel;
use harim_policy::PrivacySettings;
use harim_vault::{FieldContext, SubjectKey, Vault};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    StoreError, audit,
    customers::Lookup,
    db::statement,
    entity::{
        customer, customer_order, customer_request, event_delivery, privacy_event,
        redacted::RedactedBytes, request_answer, shop, webhook_endpoint,
    },
    evidence,
    ids::{CustomerId, PLATFORM_TENANT},
    privacy_events::Topic,
    rights::receipt::{ReceiptSigner, SignedReceipt},
    scope::ShopScope,
    tenant_keys,
    tx::{self, Finish},
};

/// How long a code is good for.
pub const CODE_TTL: Duration = Duration::minutes(10);
/// Wrong codes before a code is dead.
pub const MAX_TRIES: i32 = 5;
/// Codes one request may have sent.
pub const MAX_CODES: i32 = 3;
/// Requests one address may make per shop in an hour, and one network address.
const PER_ADDRESS_PER_HOUR: i64 = 3;
const PER_IP_PER_HOUR: i64 = 10;
/// How long a ready copy waits to be downloaded.
pub const COPY_TTL: Duration = Duration::days(30);
/// How long after verification a `consents` request may withdraw consents.
const CONSENTS_WINDOW: Duration = Duration::minutes(30);
/// HKDF infos of the platform keys behind the code digests and the network-address digests.
const CODE_INFO: &[u8] = b"harim request-code v1";
const IP_INFO: &[u8] = b"harim request-ip v1";
/// Largest file an endpoint may hand over for a data request (decoded).
pub const MAX_ANSWER_FILE: usize = 4 * 1024 * 1024;
/// How far a completion's `webhook-timestamp` may be from now.
const SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Access,
    Erasure,
    Rectification,
    StopMarketing,
    Consents,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Access,
        Kind::Rectification,
        Kind::Erasure,
        Kind::StopMarketing,
        Kind::Consents,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Erasure => "erasure",
            Self::Rectification => "rectification",
            Self::StopMarketing => "stop_marketing",
            Self::Consents => "consents",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a request stands: `unverified` (a code is out), `in_progress` (harim's part is done
/// or running and the subscribed endpoints are asked), `open` (a correction: the merchant acts),
/// `scheduled` (an erasure held until `hold_until`), `ready` (a copy waits to be downloaded),
/// `done`, `failed` (an endpoint did not answer by the due date).
pub mod state {
    pub const UNVERIFIED: &str = "unverified";
    pub const IN_PROGRESS: &str = "in_progress";
    pub const OPEN: &str = "open";
    pub const SCHEDULED: &str = "scheduled";
    pub const READY: &str = "ready";
    pub const DONE: &str = "done";
    pub const FAILED: &str = "failed";
}

/// A new request from the page.
#[derive(Debug)]
pub struct Ask {
    pub kind: Kind,
    pub address: Lookup,
    /// The page's language (one of the policy's); the messages use it.
    pub language: Option<String>,
    /// The client's network address, for the per-IP limit (digested, never stored plain).
    pub ip: Option<String>,
}

/// What the page needs of a shop: its name and the policy in force.
#[derive(Debug, Clone)]
pub struct PageShop {
    pub tenant_id: Uuid,
    pub name: String,
    pub slug: String,
    pub version: i32,
    pub languages: Vec<String>,
    pub default_language: String,
    pub settings: PrivacySettings,
}

/// The shop `slug` and its policy in force (404 without one: the page speaks of the policy).
pub async fn page_shop(db: &impl ConnectionTrait, slug: &str) -> Result<PageShop, StoreError> {
    let r = crate::policies::resolve(db, slug, None).await?;
    let (v, settings) = crate::consent::version(db, r.tenant_id, r.version).await?;
    let shop = shop::Entity::find_by_id(r.tenant_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(PageShop {
        tenant_id: r.tenant_id,
        name: shop.name,
        slug: shop.slug,
        version: v.version,
        languages: v.locales.split(',').map(str::to_string).collect(),
        default_language: v.default_locale.clone(),
        settings,
    })
}

async fn platform_mac(
    db: &impl ConnectionTrait,
    vault: &Vault,
    info: &'static [u8],
    parts: &[&[u8]],
) -> Result<Vec<u8>, StoreError> {
    let key = match vault.cached_derived_key(PLATFORM_TENANT, info) {
        Some(k) => k,
        None => {
            let wk = tenant_keys::platform(db, vault).await?;
            vault.derive_key_cached(&wk, info)?
        }
    };
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .map_err(|e| StoreError::internal("request key", e))?;
    for p in parts {
        m.update(&(p.len() as u64).to_be_bytes());
        m.update(p);
    }
    Ok(m.finalize().into_bytes().to_vec())
}

fn new_code() -> SecretString {
    use rand::Rng;
    let n: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
    SecretString::from(format!("{n:06}"))
}

async fn code_digest(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    id: Uuid,
    code: &str,
) -> Result<Vec<u8>, StoreError> {
    platform_mac(
        db,
        vault,
        CODE_INFO,
        &[t.as_bytes(), id.as_bytes(), code.as_bytes()],
    )
    .await
}

fn channel_of(address: &Lookup) -> Channel {
    match address {
        Lookup::Email(_) => Channel::Email,
        Lookup::Phone(_) => Channel::Sms,
    }
}

fn language_for(shop: &PageShop, asked: Option<&str>) -> String {
    asked
        .filter(|l| shop.languages.iter().any(|x| x == l))
        .map(str::to_string)
        .unwrap_or_else(|| shop.default_language.clone())
}

/// Makes a request and, if a customer of the shop has the address, sends them a code. Answers
/// the request id either way.
pub async fn ask(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    slug: &str,
    ask: Ask,
) -> Result<Uuid, StoreError> {
    let shop = page_shop(db, slug).await?;
    let t = shop.tenant_id;
    let channel = channel_of(&ask.address);
    let typed = match &ask.address {
        Lookup::Email(e) => e.expose_secret().to_string(),
        Lookup::Phone(p) => p.expose_secret().to_string(),
    };
    let address = crate::notify::recipient_index(db, vault, channel, &typed).await?;
    let ip = match &ask.ip {
        Some(ip) => Some(platform_mac(db, vault, IP_INFO, &[ip.as_bytes()]).await?),
        None => None,
    };
    let now = evidence::now_micros();
    let hour_ago = now - Duration::hours(1);
    let recent = |column: &str, value: Vec<u8>| {
        statement(
            db,
            &format!(
                "SELECT COUNT(*) AS n FROM customer_requests \
                 WHERE tenant_id = $1 AND {column} = $2 AND created_at > $3"
            ),
            [t.into(), value.into(), hour_ago.into()],
        )
    };
    let count = |r: Option<sea_orm::QueryResult>| -> Result<i64, StoreError> {
        Ok(r.map(|r| r.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or(0))
    };
    if count(
        db.query_one(recent("address_index", address.clone()))
            .await?,
    )? >= PER_ADDRESS_PER_HOUR
    {
        return Err(StoreError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    if let Some(ip) = &ip
        && count(db.query_one(recent("ip_index", ip.clone())).await?)? >= PER_IP_PER_HOUR
    {
        return Err(StoreError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    // The oldest customer with the address (one person may have been entered twice).
    let found = crate::customers::matching(db, vault, t, &ask.address)
        .await?
        .into_iter()
        .find(|(row, _, ck)| {
            crate::customers::contact(row, ck, channel)
                .ok()
                .flatten()
                .is_some()
        });
    let id = Uuid::now_v7();
    let language = language_for(&shop, ask.language.as_deref());
    // A real code for a real customer; for an unknown address the digest of a code nobody
    // was sent, so the row and the work look the same.
    let code = new_code();
    let digest = code_digest(db, vault, t, id, code.expose_secret()).await?;
    let row = customer_request::Model {
        tenant_id: t,
        id,
        kind: ask.kind.as_str().into(),
        channel: channel.as_str().into(),
        address_index: Some(address),
        ip_index: ip,
        customer_id: found.as_ref().map(|(r, _, _)| r.id),
        language: language.clone(),
        code_hash: Some(RedactedBytes(digest)),
        code_sent_at: Some(now),
        codes_sent: 1,
        tries: 0,
        state: state::UNVERIFIED.into(),
        created_at: now,
        verified_at: None,
        due_at: None,
        extended_at: None,
        extension_reason: None,
        hold_until: None,
        event_id: None,
        erasure_request_id: None,
        export: None,
        export_sha256: None,
        downloaded_at: None,
        receipt: None,
        signature: None,
        key_id: None,
        completed_at: None,
        error: None,
    };
    let v = vault.clone();
    tx::gated(db, move |txn| {
        Box::pin(async move {
            customer_request::ActiveModel::from(row).insert(txn).await?;
            if let Some((c, _, ck)) = &found {
                send_code(txn, &v, c, ck, channel, &code, &language).await?;
            }
            Ok(Finish::Commit(()))
        })
    })
    .await?;
    metrics::counter!("harim_customer_requests_total", "kind" => ask.kind.as_str()).increment(1);
    Ok(id)
}

async fn send_code(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    c: &customer::Model,
    ck: &SubjectKey,
    channel: Channel,
    code: &SecretString,
    language: &str,
) -> Result<(), StoreError> {
    let values = BTreeMap::from([("code".to_string(), code.expose_secret().to_string())]);
    crate::notify::queue_service(txn, vault, c, ck, channel, "request_code", values, language)
        .await?;
    Ok(())
}

async fn find(
    db: &impl ConnectionTrait,
    slug: &str,
    id: Uuid,
) -> Result<(PageShop, customer_request::Model), StoreError> {
    let shop = page_shop(db, slug).await?;
    let row = customer_request::Entity::find_by_id((shop.tenant_id, id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((shop, row))
}

/// Checks `code` against the request's current code: counts a wrong one (the fifth kills the
/// code: 429), refuses an expired one; a right one is used up. Runs in its own transaction
/// (the count must stick even when the caller's work is refused).
async fn check_code(
    db: &DatabaseConnection,
    vault: &Vault,
    row: &customer_request::Model,
    code: &str,
) -> Result<(), StoreError> {
    let t = row.tenant_id;
    if row.tries >= MAX_TRIES {
        return Err(StoreError::RateLimited {
            retry_after_secs: u64::try_from(CODE_TTL.whole_seconds()).unwrap_or(600),
        });
    }
    let Some(hash) = &row.code_hash else {
        return Err(StoreError::rejected(
            "code",
            "no_code",
            "No code is out for this request: ask for a new one.",
        ));
    };
    let now = OffsetDateTime::now_utc();
    let expired = row.code_sent_at.is_none_or(|at| at + CODE_TTL < now);
    let code = code.trim();
    let digest = code_digest(db, vault, t, row.id, code).await?;
    let right = code.len() == 6
        && code.bytes().all(|b| b.is_ascii_digit())
        && bool::from(subtle::ConstantTimeEq::ct_eq(
            digest.as_slice(),
            hash.0.as_slice(),
        ));
    if right && !expired {
        // Used up: a second use of the same code finds none (`no_code`).
        let used = db
            .execute(statement(
                db,
                "UPDATE customer_requests SET code_hash = NULL, tries = 0 \
                 WHERE tenant_id = $1 AND id = $2 AND code_hash = $3",
                [t.into(), row.id.into(), hash.0.clone().into()],
            ))
            .await?
            .rows_affected();
        return if used == 1 {
            Ok(())
        } else {
            Err(StoreError::rejected(
                "code",
                "no_code",
                "This code was used already: ask for a new one.",
            ))
        };
    }
    if expired {
        return Err(StoreError::rejected(
            "code",
            "expired",
            "The code has expired (codes last ten minutes): ask for a new one.",
        ));
    }
    let tries = db
        .query_one(statement(
            db,
            "UPDATE customer_requests SET tries = tries + 1 \
             WHERE tenant_id = $1 AND id = $2 RETURNING tries",
            [t.into(), row.id.into()],
        ))
        .await?
        .map(|r| r.try_get::<i32>("", "tries"))
        .transpose()?
        .unwrap_or(MAX_TRIES);
    if tries >= MAX_TRIES {
        return Err(StoreError::RateLimited {
            retry_after_secs: u64::try_from(CODE_TTL.whole_seconds()).unwrap_or(600),
        });
    }
    Err(StoreError::rejected(
        "code",
        "wrong_code",
        "The code is not right; check the message and try again.",
    ))
}

/// A request as the customer's page and the merchant see it.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub id: Uuid,
    pub kind: String,
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub extended_until: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extension_reason: Option<String>,
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub hold_until: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// Where the customer gets the signed receipt (an erasure), once complete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    pub language: String,
}

fn view(slug: &str, r: &customer_request::Model) -> View {
    View {
        id: r.id,
        kind: r.kind.clone(),
        state: r.state.clone(),
        created_at: r.created_at,
        due_at: r.due_at,
        extended_until: r.extended_at.and(r.due_at),
        extension_reason: r.extension_reason.clone(),
        hold_until: r.hold_until,
        customer_id: r.customer_id.map(|c| CustomerId::from(c).public()),
        receipt_url: r
            .receipt
            .as_ref()
            .map(|_| format!("/shops/{slug}/privacy/requests/{}/receipt", r.id)),
        error: r.error.clone(),
        language: r.language.clone(),
    }
}

/// What verifying answers: the request, and for a `consents` request the current choices.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    #[serde(flatten)]
    pub request: View,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consents: Option<crate::consent::Consents>,
}

/// The request `id` of shop `slug` as its page shows it (public: the id is the customer's).
/// Never names the customer: that a request has one would tell whoever typed an address that
/// the shop knows it.
pub async fn status(db: &impl ConnectionTrait, slug: &str, id: Uuid) -> Result<View, StoreError> {
    let (shop, row) = find(db, slug, id).await?;
    Ok(public(view(&shop.slug, &row)))
}

fn public(mut v: View) -> View {
    v.customer_id = None;
    v
}

/// The due date of a request verified `at` for `shop`.
fn due(shop: &PageShop, at: OffsetDateTime) -> OffsetDateTime {
    let rule = deadlines::rule(
        shop.settings.controller.country,
        shop.settings.response_days,
    );
    deadlines::after(at, rule.first)
}

/// Verifies the request with its code and does harim's part of it.
pub async fn verify(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    slug: &str,
    id: Uuid,
    code: &str,
) -> Result<Verified, StoreError> {
    let (shop, row) = find(db, slug, id).await?;
    if row.state != state::UNVERIFIED {
        return Err(StoreError::Conflict("This request is verified already."));
    }
    check_code(db, vault, &row, code).await?;
    // A request for an unknown address has no code anyone knows, so it never gets here; a
    // customer erased since the code was sent has nothing left to act on.
    let Some(c) = row.customer_id else {
        return Err(StoreError::NotFound);
    };
    let now = evidence::now_micros();
    let due_at = due(&shop, now);
    let kind = Kind::parse(&row.kind).ok_or_else(|| StoreError::internal("request", "kind"))?;
    let t = shop.tenant_id;
    let hold = match kind {
        Kind::Erasure => erasure_hold(db, &shop, c, now).await?,
        _ => None,
    };
    let next = match (kind, hold) {
        (Kind::Erasure, Some(_)) => state::SCHEDULED,
        (Kind::Access | Kind::Erasure, None) => state::IN_PROGRESS,
        (Kind::Rectification, _) => state::OPEN,
        (Kind::StopMarketing | Kind::Consents, _) => state::DONE,
        (Kind::Access, Some(_)) => state::IN_PROGRESS,
    };
    let marked = db
        .execute(statement(
            db,
            "UPDATE customer_requests SET state = $1, verified_at = $2, due_at = $3, \
             hold_until = $4, completed_at = $5 WHERE tenant_id = $6 AND id = $7 AND state = $8",
            [
                next.into(),
                now.into(),
                due_at.into(),
                hold.into(),
                (next == state::DONE).then_some(now).into(),
                t.into(),
                id.into(),
                state::UNVERIFIED.into(),
            ],
        ))
        .await?
        .rows_affected();
    if marked != 1 {
        return Err(StoreError::Conflict("This request is verified already."));
    }
    let customer = CustomerId::from(c);
    let mut consents = None;
    match (kind, hold) {
        (Kind::Access, _) => start_access(db, vault, t, id, customer, due_at).await?,
        (Kind::Erasure, None) => erase_now(db, vault, &shop, id, customer).await?,
        (Kind::Erasure, Some(until)) => tell_scheduled(db, vault, t, c, &row, until).await?,
        (Kind::StopMarketing, _) => stop_marketing(db, vault, t, customer).await?,
        (Kind::Consents, _) => consents = Some(crate::consent::consents(db, t, c).await?),
        (Kind::Rectification, _) => {}
    }
    advance(db, vault, t, id).await?;
    let (shop, row) = find(db, slug, id).await?;
    Ok(Verified {
        request: public(view(&shop.slug, &row)),
        consents,
    })
}

/// When the customer's erasure must wait: `erasure_hold_days` after their last order.
async fn erasure_hold(
    db: &impl ConnectionTrait,
    shop: &PageShop,
    c: Uuid,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, StoreError> {
    let days = shop.settings.erasure_hold_days;
    if days == 0 {
        return Ok(None);
    }
    let last = customer_order::Entity::find()
        .filter(customer_order::Column::TenantId.eq(shop.tenant_id))
        .filter(customer_order::Column::CustomerId.eq(c))
        .order_by_desc(customer_order::Column::PlacedAt)
        .one(db)
        .await?;
    Ok(last
        .map(|o| o.placed_at + Duration::days(i64::from(days)))
        .filter(|until| *until > now))
}

async fn tell_scheduled(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    t: Uuid,
    c: Uuid,
    row: &customer_request::Model,
    until: OffsetDateTime,
) -> Result<(), StoreError> {
    let Some((c, _, ck)) = crate::customers::load_pub(db, vault, t, c).await.ok() else {
        return Ok(());
    };
    let channel = Channel::parse(&row.channel).unwrap_or(Channel::Email);
    let values = BTreeMap::from([("date".to_string(), until.date().to_string())]);
    let v = vault.clone();
    let language = row.language.clone();
    tx::gated(db, move |txn| {
        Box::pin(async move {
            crate::notify::queue_service(
                txn,
                &v,
                &c,
                &ck,
                channel,
                "request_scheduled",
                values,
                &language,
            )
            .await?;
            Ok(Finish::Commit(()))
        })
    })
    .await
}

async fn start_access(
    db: &DatabaseConnection,
    vault: &Vault,
    t: Uuid,
    id: Uuid,
    customer: CustomerId,
    due_at: OffsetDateTime,
) -> Result<(), StoreError> {
    let event = audit::Event {
        actor: format!("customer:{}", customer.public()),
        action: audit::Action::CustomerExport,
        fields: vec![
            format!("customer:{}", customer.public()),
            format!("customer_request:{id}"),
        ],
        purpose: Some("data_subject_request"),
        request_id: None,
    };
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            let orders: Vec<String> = customer_order::Entity::find()
                .filter(customer_order::Column::TenantId.eq(t))
                .filter(customer_order::Column::CustomerId.eq(customer.uuid()))
                .all(txn)
                .await?
                .into_iter()
                .map(|o| o.order_ref)
                .collect();
            let event = crate::privacy_events::emit(
                txn,
                t,
                Topic::CustomerDataRequest,
                Some(id),
                Some(due_at),
                json!({"customer_id": customer.public(), "orders_requested": orders}),
            )
            .await?;
            set_event(txn, t, id, event, None).await?;
            Ok(Finish::Commit(()))
        })
    })
    .await
}

async fn set_event(
    txn: &impl ConnectionTrait,
    t: Uuid,
    id: Uuid,
    event: Option<Uuid>,
    erasure: Option<Uuid>,
) -> Result<(), StoreError> {
    txn.execute(statement(
        txn,
        "UPDATE customer_requests SET event_id = $1, erasure_request_id = $2 \
         WHERE tenant_id = $3 AND id = $4",
        [event.into(), erasure.into(), t.into(), id.into()],
    ))
    .await?;
    Ok(())
}

/// Erases the customer now (the customer's own request, so the actor is the customer).
async fn erase_now(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    shop: &PageShop,
    id: Uuid,
    customer: CustomerId,
) -> Result<(), StoreError> {
    let t = shop.tenant_id;
    let orders = shop
        .settings
        .retention
        .period(harim_policy::RetentionKind::Orders);
    let event = audit::Event {
        actor: format!("customer:{}", customer.public()),
        action: audit::Action::CustomerErase,
        fields: vec![
            format!("customer:{}", customer.public()),
            format!("customer_request:{id}"),
        ],
        purpose: Some("data_subject_request"),
        request_id: None,
    };
    let signer = ReceiptSigner::load(db, vault).await?;
    let v = vault.clone();
    let now = evidence::now_micros();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            let erased =
                crate::customers::erase_in(txn, &v, &signer, t, customer, now, orders).await;
            match erased {
                Ok(e) => {
                    let rid = e
                        .receipt
                        .receipt
                        .get("receipt_id")
                        .and_then(Value::as_str)
                        .and_then(|s| Uuid::try_parse(s).ok());
                    set_event(txn, t, id, e.event, rid).await?;
                    Ok(Finish::Commit(()))
                }
                Err(StoreError::NotFound) => {
                    txn.execute(statement(
                        txn,
                        "UPDATE customer_requests SET state = 'done', completed_at = $1 \
                         WHERE tenant_id = $2 AND id = $3",
                        [now.into(), t.into(), id.into()],
                    ))
                    .await?;
                    Ok(Finish::Commit(()))
                }
                Err(e) => Err(e),
            }
        })
    })
    .await?;
    metrics::counter!("harim_customers_erased_total").increment(1);
    Ok(())
}

async fn stop_marketing(
    db: &DatabaseConnection,
    vault: &Vault,
    t: Uuid,
    customer: CustomerId,
) -> Result<(), StoreError> {
    for purpose in ["marketing_sms", "marketing_email"] {
        crate::consent::withdraw_for(
            db,
            vault,
            t,
            customer,
            purpose,
            crate::consent::Collection::Api,
        )
        .await?;
    }
    Ok(())
}

/// Withdraws `purposes` for a verified `consents` request, within half an hour of its
/// verification.
pub async fn withdraw(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    slug: &str,
    id: Uuid,
    purposes: Vec<String>,
) -> Result<crate::consent::Consents, StoreError> {
    let (shop, row) = find(db, slug, id).await?;
    let verified = row
        .verified_at
        .filter(|_| row.kind == Kind::Consents.as_str());
    let (Some(at), Some(c)) = (verified, row.customer_id) else {
        return Err(StoreError::NotFound);
    };
    if at + CONSENTS_WINDOW < OffsetDateTime::now_utc() {
        return Err(StoreError::Gone(
            "Withdrawals through this request are possible for 30 minutes after its code; make a new request.",
        ));
    }
    let allowed = harim_policy::consent::purposes(&shop.settings);
    if let Some((i, _)) = purposes
        .iter()
        .enumerate()
        .find(|(_, p)| !allowed.contains(p))
    {
        return Err(StoreError::rejected(
            &format!("purposes[{i}]"),
            "unknown",
            "Not a purpose of the shop's policy.",
        ));
    }
    for p in &purposes {
        crate::consent::withdraw_for(
            db,
            vault,
            shop.tenant_id,
            CustomerId::from(c),
            p,
            crate::consent::Collection::Api,
        )
        .await?;
    }
    crate::consent::consents(db, shop.tenant_id, c).await
}

/// Sends a fresh code: for an unverified request (the first did not arrive) or a ready copy
/// (downloading needs a code newer than the copy). Answers the same whether or not a code went.
pub async fn resend(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    slug: &str,
    id: Uuid,
) -> Result<(), StoreError> {
    let (_, row) = find(db, slug, id).await?;
    if row.state != state::UNVERIFIED && row.state != state::READY {
        return Err(StoreError::Conflict("This request needs no code now."));
    }
    if row.codes_sent >= MAX_CODES {
        return Err(StoreError::RateLimited {
            retry_after_secs: 3600,
        });
    }
    let t = row.tenant_id;
    let code = new_code();
    let digest = code_digest(db, vault, t, id, code.expose_secret()).await?;
    let found = match row.customer_id {
        Some(c) => crate::customers::load_pub(db, vault, t, c).await.ok(),
        None => None,
    };
    let channel = Channel::parse(&row.channel).unwrap_or(Channel::Email);
    let v = vault.clone();
    let language = row.language.clone();
    let now = evidence::now_micros();
    tx::gated(db, move |txn| {
        Box::pin(async move {
            let n = txn
                .execute(statement(
                    txn,
                    "UPDATE customer_requests SET code_hash = $1, code_sent_at = $2, tries = 0, \
                     codes_sent = codes_sent + 1 WHERE tenant_id = $3 AND id = $4 AND codes_sent < $5",
                    [
                        digest.into(),
                        now.into(),
                        t.into(),
                        id.into(),
                        MAX_CODES.into(),
                    ],
                ))
                .await?
                .rows_affected();
            if n != 1 {
                return Ok(Finish::Rollback(Err(StoreError::RateLimited {
                    retry_after_secs: 3600,
                })));
            }
            if let Some((c, _, ck)) = &found {
                send_code(txn, &v, c, ck, channel, &code, &language).await?;
            }
            Ok(Finish::Commit(Ok(())))
        })
    })
    .await?
}

/// The copy of an access request, once, after a fresh code: the zip's bytes and its name.
pub async fn download(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    slug: &str,
    id: Uuid,
    code: &str,
) -> Result<(Vec<u8>, String), StoreError> {
    let (_, row) = find(db, slug, id).await?;
    if row.state != state::READY || row.export.is_none() {
        return Err(StoreError::Conflict(
            "There is no copy to download for this request.",
        ));
    }
    check_code(db, vault, &row, code).await?;
    let (Some(c), Some(sealed)) = (row.customer_id, &row.export) else {
        return Err(StoreError::NotFound);
    };
    let t = row.tenant_id;
    let Some((_, ck)) = crate::customers::open_key(db, vault, t, c).await? else {
        return Err(StoreError::Gone(
            "The customer was erased; the copy went with them.",
        ));
    };
    let zip = ck.open(&export_at(t, id), &sealed.0)?;
    let now = evidence::now_micros();
    let taken = db
        .execute(statement(
            db,
            "UPDATE customer_requests SET export = NULL, downloaded_at = $1, state = 'done', \
             completed_at = $1 WHERE tenant_id = $2 AND id = $3 AND state = 'ready'",
            [now.into(), t.into(), id.into()],
        ))
        .await?
        .rows_affected();
    if taken != 1 {
        return Err(StoreError::Conflict("The copy was downloaded already."));
    }
    Ok((zip.to_vec(), format!("{}-{}.zip", row.kind, id)))
}

fn export_at(t: Uuid, id: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id: t,
        table: "customer_requests",
        record_id: id,
        field: "export",
    }
}

/// The seal of one endpoint's file for one event: the record is the event id xor the endpoint
/// id, so a file moved to another event's or another endpoint's row no longer opens.
pub(crate) fn answer_file_at(t: Uuid, event: Uuid, endpoint: Uuid) -> FieldContext<'static> {
    let mut id = *event.as_bytes();
    for (a, b) in id.iter_mut().zip(endpoint.as_bytes()) {
        *a ^= b;
    }
    FieldContext {
        tenant_id: t,
        table: "request_answers",
        record_id: Uuid::from_bytes(id),
        field: "file",
    }
}

/// The signed receipt of a completed erasure request (the customer's, by its id).
pub async fn receipt(
    db: &impl ConnectionTrait,
    slug: &str,
    id: Uuid,
) -> Result<(SignedReceipt, String), StoreError> {
    let (_, row) = find(db, slug, id).await?;
    let (Some(r), Some(sig), Some(key)) = (&row.receipt, &row.signature, &row.key_id) else {
        return Err(StoreError::NotFound);
    };
    Ok((
        SignedReceipt {
            receipt: serde_json::from_str(r).map_err(|e| StoreError::internal("receipt", e))?,
            signature: sig.clone(),
            key_id: key.clone(),
        },
        row.language.clone(),
    ))
}

/// The endpoints asked about `event` (those with a delivery row).
async fn asked(db: &impl ConnectionTrait, t: Uuid, event: Uuid) -> Result<Vec<Uuid>, StoreError> {
    Ok(event_delivery::Entity::find()
        .filter(event_delivery::Column::TenantId.eq(t))
        .filter(event_delivery::Column::EventId.eq(event))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.endpoint_id)
        .collect())
}

/// Moves an `in_progress` request on when every asked endpoint has answered: an access
/// request's copy is built and sealed (`ready`), an erasure's receipt is signed again with the
/// answers (`done`). Idempotent; a request still waiting is left as it is.
pub(crate) async fn advance(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    t: Uuid,
    id: Uuid,
) -> Result<(), StoreError> {
    let Some(row) = customer_request::Entity::find_by_id((t, id))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if row.state != state::IN_PROGRESS {
        return Ok(());
    }
    let answers = match row.event_id {
        Some(e) => {
            let (answers, missing) = answers_of(db, t, e).await?;
            if !missing.is_empty() {
                return Ok(());
            }
            answers
        }
        None => Vec::new(),
    };
    let now = evidence::now_micros();
    match Kind::parse(&row.kind) {
        Some(Kind::Access) => {
            let Some(c) = row.customer_id else {
                return Ok(());
            };
            let Ok((crow, _, ck)) = crate::customers::load_pub(db, vault, t, c).await else {
                return finish(db, &row, state::DONE, Some("the customer was erased")).await;
            };
            let zip = archive::build(db, &crow, &ck, &row, &answers, now).await?;
            let sealed = ck.seal(&export_at(t, id), &zip.bytes)?;
            let v = vault.clone();
            let language = row.language.clone();
            let channel = Channel::parse(&row.channel).unwrap_or(Channel::Email);
            tx::gated(db, move |txn| {
                Box::pin(async move {
                    let n = txn
                        .execute(statement(
                            txn,
                            "UPDATE customer_requests SET export = $1, export_sha256 = $2, \
                             state = 'ready', codes_sent = 0, completed_at = $5 \
                             WHERE tenant_id = $3 AND id = $4 AND state = 'in_progress'",
                            [
                                sealed.into(),
                                zip.sha256.into(),
                                t.into(),
                                id.into(),
                                now.into(),
                            ],
                        ))
                        .await?
                        .rows_affected();
                    if n == 1 && row.event_id.is_some() {
                        // The answer came later than the page: tell the customer it is ready.
                        let values = BTreeMap::from([(
                            "request".to_string(),
                            id.to_string()[..8].to_string(),
                        )]);
                        crate::notify::queue_service(
                            txn,
                            &v,
                            &crow,
                            &ck,
                            channel,
                            "request_ready",
                            values,
                            &language,
                        )
                        .await?;
                    }
                    Ok(Finish::Commit(()))
                })
            })
            .await
        }
        Some(Kind::Erasure) => {
            let receipt = extended_receipt(db, vault, &row, &answers).await?;
            let body = serde_json::to_string(&receipt.receipt)
                .map_err(|e| StoreError::internal("receipt", e))?;
            db.execute(statement(
                db,
                "UPDATE customer_requests SET receipt = $1, signature = $2, key_id = $3, \
                 state = 'done', completed_at = $4 WHERE tenant_id = $5 AND id = $6 \
                 AND state = 'in_progress'",
                [
                    body.into(),
                    receipt.signature.into(),
                    receipt.key_id.into(),
                    now.into(),
                    t.into(),
                    id.into(),
                ],
            ))
            .await?;
            Ok(())
        }
        _ => Ok(()),
    }
}

async fn finish(
    db: &impl ConnectionTrait,
    row: &customer_request::Model,
    to: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    db.execute(statement(
        db,
        "UPDATE customer_requests SET state = $1, error = $2, completed_at = $3 \
         WHERE tenant_id = $4 AND id = $5 AND state = $6",
        [
            to.into(),
            error.map(str::to_string).into(),
            OffsetDateTime::now_utc().into(),
            row.tenant_id.into(),
            row.id.into(),
            row.state.clone().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// One subscriber's part, as a receipt or a copy's `systems.json` lists it.
pub(crate) fn answer_entry(a: &request_answer::Model) -> Value {
    json!({
        "endpoint": a.endpoint_id.to_string(),
        "status": a.status,
        "items_removed": a.items_removed,
        "items_retained": serde_json::from_str::<Value>(&a.items_retained).unwrap_or(Value::Null),
        "answered_at": crate::customers::rfc3339_of(a.received_at),
        "file": a.file_name,
    })
}

/// The answers to `event`, and the endpoints it went to that have not answered yet.
async fn answers_of(
    db: &impl ConnectionTrait,
    t: Uuid,
    event: Uuid,
) -> Result<(Vec<request_answer::Model>, Vec<Uuid>), StoreError> {
    let answers = request_answer::Entity::find()
        .filter(request_answer::Column::TenantId.eq(t))
        .filter(request_answer::Column::EventId.eq(event))
        .all(db)
        .await?;
    let missing = asked(db, t, event)
        .await?
        .into_iter()
        .filter(|e| !answers.iter().any(|a| a.endpoint_id == *e))
        .collect();
    Ok((answers, missing))
}

/// One entry per endpoint `event` went to: its answer, or `pending`.
pub(crate) async fn subscribers(
    db: &impl ConnectionTrait,
    t: Uuid,
    event: Uuid,
) -> Result<Value, StoreError> {
    let (answers, missing) = answers_of(db, t, event).await?;
    Ok(Value::Array(
        answers
            .iter()
            .map(answer_entry)
            .chain(
                missing
                    .iter()
                    .map(|e| json!({"endpoint": e.to_string(), "status": "pending"})),
            )
            .collect(),
    ))
}

/// The customer erasure's receipt, with one entry per subscribed system (what it removed and
/// kept, with reason and end date), signed again under the current receipt key.
async fn extended_receipt(
    db: &impl ConnectionTrait,
    vault: &Vault,
    row: &customer_request::Model,
    answers: &[request_answer::Model],
) -> Result<SignedReceipt, StoreError> {
    let base = match row.erasure_request_id {
        Some(r) => crate::entity::data_request::Entity::find_by_id((row.tenant_id, r))
            .one(db)
            .await?
            .and_then(|d| d.receipt)
            .and_then(|r| serde_json::from_str::<Value>(&r).ok()),
        None => None,
    };
    let mut receipt = base.unwrap_or_else(|| {
        json!({
            "format": "harim-erasure-receipt/1",
            "subject": {"kind": "customer", "shop": row.tenant_id.to_string()},
            "state": "completed",
            "note": "the customer was erased before this request was verified",
        })
    });
    if let Some(o) = receipt.as_object_mut() {
        o.insert("format".into(), json!("harim-erasure-receipt/2"));
        o.insert("request_id".into(), json!(row.id.to_string()));
        o.insert("language".into(), json!(row.language));
        o.insert(
            "subscribers".into(),
            Value::Array(answers.iter().map(answer_entry).collect()),
        );
    }
    Ok(ReceiptSigner::load(db, vault).await?.sign(receipt))
}

/// A completion callback as it arrived: the Standard Webhooks headers and the raw body.
#[derive(Debug)]
pub struct Completion<'a> {
    pub message_id: &'a str,
    pub timestamp: i64,
    pub signature: &'a str,
    pub body: &'a [u8],
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CompletionBody {
    status: String,
    #[serde(default)]
    items_removed: u64,
    #[serde(default)]
    items_retained: Vec<Retained>,
    file: Option<AnswerFile>,
}

#[derive(serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Retained {
    category: String,
    reason: String,
    until: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFile {
    name: String,
    content_base64: String,
}

/// An endpoint reports what it did for event `event_id`. The body must be signed as harim signs
/// deliveries (Standard Webhooks) with the secret of an endpoint the event was delivered to;
/// anything else is refused ([`StoreError::Unauthenticated`]) before the body is read.
pub async fn complete(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    event_id: Uuid,
    c: Completion<'_>,
) -> Result<(), StoreError> {
    let Some(ev) = privacy_event::Entity::find()
        .filter(privacy_event::Column::Id.eq(event_id))
        .one(db)
        .await?
    else {
        return Err(StoreError::NotFound);
    };
    let t = ev.tenant_id;
    let wk = tenant_keys::platform(db, vault).await?;
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let mut signer = None;
    for endpoint in asked(db, t, event_id).await? {
        let Some(ep) = webhook_endpoint::Entity::find_by_id(endpoint)
            .one(db)
            .await?
        else {
            continue;
        };
        let secret = crate::privacy_events::open_secret(vault, &wk, &ep)?;
        if harim_notify::webhooks::verify(
            &secret,
            c.message_id,
            c.timestamp,
            c.body,
            c.signature,
            now,
            SIGNATURE_TOLERANCE_SECS,
        ) {
            signer = Some(endpoint);
            break;
        }
    }
    let Some(endpoint) = signer else {
        return Err(StoreError::Unauthenticated(
            "The completion is not signed by an endpoint this event was sent to.",
        ));
    };
    let body: CompletionBody = serde_json::from_slice(c.body)
        .map_err(|e| StoreError::rejected("body", "invalid", &format!("Not a completion: {e}.")))?;
    let mut broken = Vec::new();
    if !matches!(body.status.as_str(), "done" | "partial" | "refused") {
        broken.push(harim_violation::Violation::new(
            "status",
            "invalid",
            "One of done, partial, refused.",
        ));
    }
    for (i, r) in body.items_retained.iter().enumerate() {
        if r.category.trim().is_empty() || r.category.len() > 100 {
            broken.push(harim_violation::Violation::new(
                format!("items_retained[{i}].category"),
                "invalid",
                "A category name, at most 100 characters.",
            ));
        }
        if r.reason.trim().is_empty() || r.reason.len() > 500 {
            broken.push(harim_violation::Violation::new(
                format!("items_retained[{i}].reason"),
                "invalid",
                "Why it is kept (the law or contract), at most 500 characters.",
            ));
        }
        let date = time::Date::parse(
            &r.until,
            &time::format_description::well_known::Iso8601::DATE,
        );
        let instant =
            OffsetDateTime::parse(&r.until, &time::format_description::well_known::Rfc3339);
        if date.is_err() && instant.is_err() {
            broken.push(harim_violation::Violation::new(
                format!("items_retained[{i}].until"),
                "invalid",
                "A date (YYYY-MM-DD) or an RFC 3339 time.",
            ));
        }
    }
    let data_request = ev.topic == Topic::CustomerDataRequest.as_str()
        || ev.topic == Topic::ShopDataRequest.as_str();
    let file = match &body.file {
        None => None,
        Some(_) if !data_request => {
            broken.push(harim_violation::Violation::new(
                "file",
                "not_allowed",
                "Only a data request's answer carries a file.",
            ));
            None
        }
        Some(f) => {
            use base64::Engine;
            let name_ok = !f.name.is_empty()
                && f.name.len() <= 100
                && f.name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'));
            if !name_ok {
                broken.push(harim_violation::Violation::new(
                    "file.name",
                    "invalid",
                    "Letters, digits, '.', '-' and '_', at most 100.",
                ));
            }
            match base64::engine::general_purpose::STANDARD.decode(&f.content_base64) {
                Ok(bytes) if bytes.len() <= MAX_ANSWER_FILE => Some((f.name.clone(), bytes)),
                Ok(_) => {
                    broken.push(harim_violation::Violation::new(
                        "file.content_base64",
                        "too_large",
                        "At most 4 MiB.",
                    ));
                    None
                }
                Err(_) => {
                    broken.push(harim_violation::Violation::new(
                        "file.content_base64",
                        "invalid",
                        "Standard base64.",
                    ));
                    None
                }
            }
        }
    };
    if !broken.is_empty() {
        return Err(StoreError::Rejected(broken));
    }
    // The request the event belongs to (a customer's; `None` for events no request awaits).
    let request = customer_request::Entity::find()
        .filter(customer_request::Column::TenantId.eq(t))
        .filter(customer_request::Column::EventId.eq(event_id))
        .one(db)
        .await?;
    if let Some(r) = &request
        && r.state != state::IN_PROGRESS
    {
        return Err(StoreError::Conflict(
            "The request this event belongs to is complete; its answer is final.",
        ));
    }
    // The data request the event names (an erasure's receipt takes the answer).
    let named: Option<Uuid> = serde_json::from_str::<Value>(&ev.body)
        .ok()
        .and_then(|b| {
            b.get("request_id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .and_then(|s| Uuid::try_parse(&s).ok());
    let sealed = match (&file, request.as_ref().and_then(|r| r.customer_id)) {
        (Some((_, bytes)), Some(cid)) => {
            let Some((_, ck)) = crate::customers::open_key(db, vault, t, cid).await? else {
                return Err(StoreError::Gone("The customer was erased."));
            };
            Some(ck.seal(&answer_file_at(t, event_id, endpoint), bytes)?)
        }
        _ => None,
    };
    let digest = file.as_ref().map(|(_, b)| {
        use sha2::Digest;
        Sha256::digest(b).to_vec()
    });
    let model = request_answer::Model {
        tenant_id: t,
        event_id,
        endpoint_id: endpoint,
        status: body.status,
        items_removed: i64::try_from(body.items_removed).unwrap_or(i64::MAX),
        items_retained: serde_json::to_string(&body.items_retained)
            .map_err(|e| StoreError::internal("answer", e))?,
        file_name: file.as_ref().map(|(n, _)| n.clone()),
        file: sealed.map(RedactedBytes),
        file_sha256: digest,
        received_at: evidence::now_micros(),
    };
    tx::gated(db, move |txn| {
        Box::pin(async move {
            request_answer::Entity::delete_by_id((t, event_id, endpoint))
                .exec(txn)
                .await?;
            request_answer::ActiveModel::from(model).insert(txn).await?;
            Ok(Finish::Commit(()))
        })
    })
    .await?;
    if let Some(n) = named {
        crate::rights::erasure::fold_answers(db, vault, t, n, event_id).await?;
    }
    if let Some(r) = request {
        advance(db, vault, t, r.id).await?;
    }
    Ok(())
}

/// The merchant's list of the shop's verified requests, newest first (owner and staff).
pub async fn list(db: &impl ConnectionTrait, scope: &ShopScope) -> Result<Vec<View>, StoreError> {
    require_member(scope)?;
    let slug = crate::shops::find(db, scope).await?.slug;
    Ok(customer_request::Entity::find()
        .filter(customer_request::Column::TenantId.eq(scope.tenant_id()))
        .filter(customer_request::Column::State.ne(state::UNVERIFIED))
        .order_by_desc(customer_request::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(|r| view(&slug, r))
        .collect())
}

fn require_member(scope: &ShopScope) -> Result<(), StoreError> {
    match scope.role() {
        crate::scope::ShopAccess::Owner | crate::scope::ShopAccess::Staff => Ok(()),
        crate::scope::ShopAccess::Platform(_) => Err(StoreError::Forbidden(
            "Platform operators do not handle a shop's customer requests.",
        )),
    }
}

/// Extends a request's deadline once, where the controller's law allows it, with the reason
/// told to the customer (owner only). Answers the request.
pub async fn extend(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    id: Uuid,
    reason: String,
) -> Result<View, StoreError> {
    scope.require_owner()?;
    let t = scope.tenant_id();
    let slug = crate::shops::find(db, scope).await?.slug;
    let shop = page_shop(db, &slug).await?;
    let row = customer_request::Entity::find_by_id((t, id))
        .one(db)
        .await?
        .filter(|r| r.state != state::UNVERIFIED)
        .ok_or(StoreError::NotFound)?;
    let reason = reason.trim().to_string();
    if reason.chars().count() < 10
        || reason.chars().count() > 480
        || reason.chars().any(|c| c.is_control())
    {
        return Err(StoreError::rejected(
            "reason",
            "invalid",
            "The reason the customer will read: 10 to 480 characters, no control characters.",
        ));
    }
    if !matches!(row.state.as_str(), state::IN_PROGRESS | state::OPEN) {
        return Err(StoreError::Conflict(
            "Only an open request's deadline can be extended.",
        ));
    }
    if row.extended_at.is_some() {
        return Err(StoreError::Conflict(
            "The law allows one extension, and it was used.",
        ));
    }
    let rule = deadlines::rule(
        shop.settings.controller.country,
        shop.settings.response_days,
    );
    let Some(extra) = rule.extension else {
        return Err(StoreError::Conflict(
            "The controller's country allows no extension of the deadline.",
        ));
    };
    let base = row
        .due_at
        .ok_or_else(|| StoreError::internal("request", "no due date"))?;
    let new_due = deadlines::after(base, extra);
    let now = evidence::now_micros();
    let customer = match row.customer_id {
        Some(c) => crate::customers::load_pub(db, vault, t, c).await.ok(),
        None => None,
    };
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::CustomerRequestExtend,
        fields: vec![format!("customer_request:{id}")],
        purpose: Some("data_subject_request"),
        request_id: None,
    };
    let channel = Channel::parse(&row.channel).unwrap_or(Channel::Email);
    let language = row.language.clone();
    let v = vault.clone();
    let told = reason.clone();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            let n = txn
                .execute(statement(
                    txn,
                    "UPDATE customer_requests SET due_at = $1, extended_at = $2, \
                     extension_reason = $3 WHERE tenant_id = $4 AND id = $5 AND extended_at IS NULL",
                    [new_due.into(), now.into(), told.clone().into(), t.into(), id.into()],
                ))
                .await?
                .rows_affected();
            if n != 1 {
                return Err(StoreError::Conflict("The law allows one extension, and it was used."));
            }
            if let Some((c, _, ck)) = &customer {
                let values = BTreeMap::from([
                    ("due".to_string(), new_due.date().to_string()),
                    ("reason".to_string(), told),
                ]);
                crate::notify::queue_service(
                    txn,
                    &v,
                    c,
                    ck,
                    channel,
                    "request_extended",
                    values,
                    &language,
                )
                .await?;
            }
            Ok(Finish::Commit(()))
        })
    })
    .await?;
    let row = customer_request::Entity::find_by_id((t, id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(view(&slug, &row))
}

/// Marks an `open` request (a correction) done: the merchant corrected the data (owner or
/// staff). Answers the request.
pub async fn close(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    id: Uuid,
) -> Result<View, StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    let slug = crate::shops::find(db, scope).await?.slug;
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::CustomerRequestClose,
        fields: vec![format!("customer_request:{id}")],
        purpose: Some("data_subject_request"),
        request_id: None,
    };
    let now = evidence::now_micros();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            let row = customer_request::Entity::find_by_id((t, id))
                .one(txn)
                .await?
                .filter(|r| r.state != state::UNVERIFIED)
                .ok_or(StoreError::NotFound)?;
            if row.state != state::OPEN {
                return Err(StoreError::Conflict(
                    "Only a correction request waiting for the shop is closed this way.",
                ));
            }
            txn.execute(statement(
                txn,
                "UPDATE customer_requests SET state = 'done', completed_at = $1 \
                 WHERE tenant_id = $2 AND id = $3 AND state = 'open'",
                [now.into(), t.into(), id.into()],
            ))
            .await?;
            Ok(Finish::Commit(()))
        })
    })
    .await?;
    let row = customer_request::Entity::find_by_id((t, id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(view(&slug, &row))
}

/// Open customer requests past their due date (the overdue gauge adds them).
pub async fn overdue(db: &impl ConnectionTrait, now: OffsetDateTime) -> Result<u64, StoreError> {
    let n = db
        .query_one(statement(
            db,
            "SELECT COUNT(*) AS n FROM customer_requests \
             WHERE state IN ('in_progress', 'open') AND due_at < $1",
            [now.into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub erased: usize,
    pub failed: usize,
    pub expired: u64,
    pub forgotten: u64,
}

/// The time-driven part: erasures whose hold has ended run; requests still waiting for an
/// endpoint at their due date fail, naming who did not answer; requests never verified are
/// forgotten after a day (they hold an address digest and nothing else).
pub async fn sweep(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    now: OffsetDateTime,
) -> Result<Swept, StoreError> {
    let mut out = Swept::default();
    let held = customer_request::Entity::find()
        .filter(customer_request::Column::State.eq(state::SCHEDULED))
        .filter(customer_request::Column::HoldUntil.lte(now))
        .all(db)
        .await?;
    for r in held {
        let Some(c) = r.customer_id else { continue };
        let slug = match shop::Entity::find_by_id(r.tenant_id).one(db).await? {
            Some(s) => s.slug,
            None => continue,
        };
        let shop = page_shop(db, &slug).await?;
        // The systems asked to erase get the law's time from now, not from the verification
        // (the hold was a lawful wait, not the shop's delay).
        let n = db
            .execute(statement(
                db,
                "UPDATE customer_requests SET state = 'in_progress', due_at = $3 \
                 WHERE tenant_id = $1 AND id = $2 AND state = 'scheduled'",
                [r.tenant_id.into(), r.id.into(), due(&shop, now).into()],
            ))
            .await?
            .rows_affected();
        if n == 1 {
            erase_now(db, vault, &shop, r.id, CustomerId::from(c)).await?;
            advance(db, vault, r.tenant_id, r.id).await?;
            out.erased += 1;
        }
    }
    let late = customer_request::Entity::find()
        .filter(customer_request::Column::State.eq(state::IN_PROGRESS))
        .filter(customer_request::Column::DueAt.lt(now))
        .all(db)
        .await?;
    for r in late {
        let missing: Vec<String> = match r.event_id {
            Some(e) => answers_of(db, r.tenant_id, e)
                .await?
                .1
                .iter()
                .map(Uuid::to_string)
                .collect(),
            None => Vec::new(),
        };
        let why = format!(
            "not answered by the due date by endpoint(s) {}",
            missing.join(", ")
        );
        finish(db, &r, state::FAILED, Some(&why)).await?;
        tracing::warn!(request = %r.id, "customer request failed at its due date");
        metrics::counter!("harim_customer_requests_failed_total").increment(1);
        out.failed += 1;
    }
    // A copy nobody downloaded within its time goes (the request stays, answered).
    let expired = db
        .execute(statement(
            db,
            "UPDATE customer_requests SET export = NULL, state = 'done', \
             error = 'the copy expired before it was downloaded' \
             WHERE state = 'ready' AND completed_at < $1",
            [(now - COPY_TTL).into()],
        ))
        .await?
        .rows_affected();
    out.expired = expired;
    out.forgotten = db
        .execute(statement(
            db,
            "DELETE FROM customer_requests WHERE state = 'unverified' AND created_at < $1",
            [(now - Duration::days(1)).into()],
        ))
        .await?
        .rows_affected();
    Ok(out)
}

/// A customer's erasure empties what their requests hold about how to reach them (the rows
/// stay: they are the proof the request was answered). In the erasure's transaction.
pub(crate) async fn erase_customer(
    txn: &impl ConnectionTrait,
    t: Uuid,
    c: Uuid,
) -> Result<u64, StoreError> {
    Ok(txn
        .execute(statement(
            txn,
            "UPDATE customer_requests SET address_index = NULL, ip_index = NULL, \
             code_hash = NULL, export = NULL WHERE tenant_id = $1 AND customer_id = $2",
            [t.into(), c.into()],
        ))
        .await?
        .rows_affected())
}
