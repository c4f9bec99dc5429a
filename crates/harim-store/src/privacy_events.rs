//! Privacy events to the platform's other systems (the commerce core, installed apps): an event
//! is written in the transaction of the change that causes it, with one delivery row per
//! endpoint subscribed to its topic (a transactional outbox), then delivered at least once,
//! signed as the Standard Webhooks specification says (`harim_notify::webhooks`), retried with
//! backoff and dead-lettered after the last try; an operator lists deliveries and replays them.
//!
//! Subjects are named by opaque ids (the shop id, `cus_…`, order references), never by e-mail or
//! phone: the receivers look the person up in their own data.

use std::sync::Arc;

use harim_notify::webhooks::{self, Outcome};
use harim_vault::{FieldContext, Vault};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    StoreError, audit,
    db::statement,
    entity::{event_delivery, privacy_event, redacted::RedactedBytes, webhook_endpoint},
    ids::PLATFORM_TENANT,
    scope::PlatformScope,
    tenant_keys,
    tx::{self, Finish},
};

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Topic {
    #[serde(rename = "customer.data_request")]
    CustomerDataRequest,
    #[serde(rename = "customer.redact")]
    CustomerRedact,
    #[serde(rename = "shop.data_request")]
    ShopDataRequest,
    #[serde(rename = "shop.redact")]
    ShopRedact,
    #[serde(rename = "consent.changed")]
    ConsentChanged,
    #[serde(rename = "policy.published")]
    PolicyPublished,
}

impl Topic {
    pub const ALL: [Topic; 6] = [
        Topic::CustomerDataRequest,
        Topic::CustomerRedact,
        Topic::ShopDataRequest,
        Topic::ShopRedact,
        Topic::ConsentChanged,
        Topic::PolicyPublished,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CustomerDataRequest => "customer.data_request",
            Self::CustomerRedact => "customer.redact",
            Self::ShopDataRequest => "shop.data_request",
            Self::ShopRedact => "shop.redact",
            Self::ConsentChanged => "consent.changed",
            Self::PolicyPublished => "policy.published",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Tries per delivery, and the wait before each retry: 8 tries over about four hours
/// (10 s, 1 min, 5 min, 15 min, 30 min, 1 h, 2 h after the first), as Shopify's 8 over 4 hours.
pub const SCHEDULE: [i64; 7] = [10, 60, 300, 900, 1800, 3600, 7200];
/// How long a sender owns a claimed delivery before another may take it.
const LEASE: Duration = Duration::seconds(30);

fn secret_at(id: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id: PLATFORM_TENANT,
        table: "webhook_endpoints",
        record_id: id,
        field: "secret",
    }
}

/// The signing secret of endpoint `ep`, unsealed (`wk`: the platform's tenant key).
pub(crate) fn open_secret(
    vault: &Vault,
    wk: &harim_vault::WrappedTenantKey,
    ep: &webhook_endpoint::Model,
) -> Result<SecretString, StoreError> {
    Ok(vault.decrypt_field_string(wk, &secret_at(ep.id), &ep.secret.0)?)
}

/// Writes an event of `topic` about shop `t` in `txn`, with a delivery row for every endpoint
/// that subscribes to it, and answers its id; nothing at all (`None`) when none does (the cost
/// to the write that emits is then one read of the endpoints, a platform table).
pub(crate) async fn emit(
    txn: &impl ConnectionTrait,
    t: Uuid,
    topic: Topic,
    request_id: Option<Uuid>,
    due_at: Option<OffsetDateTime>,
    data: Value,
) -> Result<Option<Uuid>, StoreError> {
    let id = Uuid::new_v4();
    let now = crate::evidence::now_micros();
    let rfc = crate::customers::rfc3339_of;
    let mut envelope = json!({
        "event_id": id.to_string(),
        "topic": topic.as_str(),
        "occurred_at": rfc(now),
        "shop_id": t.to_string(),
        "data": data,
    });
    if let Some(o) = envelope.as_object_mut() {
        if let Some(r) = request_id {
            o.insert("request_id".into(), json!(r.to_string()));
        }
        if let Some(d) = due_at {
            o.insert("due_at".into(), json!(rfc(d)));
        }
    }
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // One round trip: the subscribed endpoints, the event (only if there is one) and its
        // delivery rows, in one statement. A write that emits costs one statement more than one
        // that does not, whether or not anyone subscribes.
        let written = txn
            .query_all(statement(
                txn,
                "WITH ep AS (SELECT id FROM webhook_endpoints \
                 WHERE disabled_at IS NULL AND (',' || topics || ',') LIKE $6), \
                 ev AS (INSERT INTO privacy_events (tenant_id, id, topic, body, created_at) \
                 SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM ep) RETURNING id) \
                 INSERT INTO event_deliveries (tenant_id, event_id, endpoint_id, state, attempts, \
                 next_attempt_at) SELECT $1, ev.id, ep.id, 'pending', 0, $5 FROM ev, ep \
                 RETURNING endpoint_id",
                [
                    t.into(),
                    id.into(),
                    topic.as_str().into(),
                    envelope.to_string().into(),
                    now.into(),
                    format!("%,{},%", topic.as_str()).into(),
                ],
            ))
            .await?;
        return Ok((!written.is_empty()).then_some(id));
    }
    let endpoints: Vec<Uuid> = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::DisabledAt.is_null())
        .all(txn)
        .await?
        .into_iter()
        .filter(|e| e.topics.split(',').any(|x| x == topic.as_str()))
        .map(|e| e.id)
        .collect();
    if endpoints.is_empty() {
        return Ok(None);
    }
    privacy_event::ActiveModel {
        tenant_id: Set(t),
        id: Set(id),
        topic: Set(topic.as_str().into()),
        body: Set(envelope.to_string()),
        created_at: Set(now),
    }
    .insert(txn)
    .await?;
    event_delivery::Entity::insert_many(endpoints.into_iter().map(|e| {
        event_delivery::ActiveModel {
            tenant_id: Set(t),
            event_id: Set(id),
            endpoint_id: Set(e),
            state: Set("pending".into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_status: Set(None),
            last_error: Set(None),
            delivered_at: Set(None),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(Some(id))
}

/// An endpoint as an operator sees it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: Uuid,
    pub url: String,
    pub topics: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn endpoint(m: &webhook_endpoint::Model) -> Endpoint {
    Endpoint {
        id: m.id,
        url: m.url.clone(),
        topics: m.topics.split(',').map(str::to_string).collect(),
        created_at: m.created_at,
    }
}

/// Checks an endpoint's URL: https, or http to a loopback address (a receiver on the same host).
fn check_url(url: &str) -> Result<(), StoreError> {
    let bad = || {
        StoreError::rejected(
            "url",
            "invalid",
            "An https URL (http only to localhost or 127.0.0.1), at most 2,048 characters.",
        )
    };
    let u = url::Url::parse(url).map_err(|_| bad())?;
    let loopback = matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if url.len() > 2048
        || !(u.scheme() == "https" || (u.scheme() == "http" && loopback))
        || u.host_str().is_none()
        || !u.username().is_empty()
        || u.password().is_some()
    {
        return Err(bad());
    }
    Ok(())
}

/// Registers an endpoint (platform admin): answers it and its secret, shown this once.
pub async fn create_endpoint(
    db: &DatabaseConnection,
    vault: &Vault,
    scope: &PlatformScope,
    url: String,
    topics: Vec<String>,
) -> Result<(Endpoint, SecretString), StoreError> {
    scope.require_admin()?;
    check_url(&url)?;
    let mut broken = Vec::new();
    if topics.is_empty() {
        broken.push(harim_violation::Violation::new(
            "topics",
            "required",
            "Name at least one topic.",
        ));
    }
    for (i, t) in topics.iter().enumerate() {
        if Topic::parse(t).is_none() {
            broken.push(harim_violation::Violation::new(
                format!("topics[{i}]"),
                "unknown",
                "Topics are customer.data_request, customer.redact, shop.data_request, shop.redact, consent.changed and policy.published.",
            ));
        } else if topics[..i].contains(t) {
            broken.push(harim_violation::Violation::new(
                format!("topics[{i}]"),
                "duplicate",
                "Each topic once.",
            ));
        }
    }
    if !broken.is_empty() {
        return Err(StoreError::Rejected(broken));
    }
    let id = Uuid::new_v4();
    let secret = webhooks::new_secret();
    let wk = tenant_keys::platform(db, vault).await?;
    let sealed = vault.encrypt_field(&wk, &secret_at(id), secret.expose_secret().as_bytes())?;
    let model = webhook_endpoint::Model {
        id,
        url,
        topics: topics.join(","),
        secret: RedactedBytes(sealed),
        created_at: OffsetDateTime::now_utc(),
        created_by: scope.actor(),
        disabled_at: None,
    };
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::WebhookEndpointCreate,
        fields: vec![format!("webhook_endpoint:{id}")],
        purpose: None,
        request_id: None,
    };
    let m = model.clone();
    tx::audited(db, vault, PLATFORM_TENANT, event, move |txn| {
        Box::pin(async move {
            webhook_endpoint::ActiveModel::from(m).insert(txn).await?;
            Ok(Finish::Commit(()))
        })
    })
    .await?;
    Ok((endpoint(&model), secret))
}

/// Every endpoint (platform admin).
pub async fn endpoints(
    db: &impl ConnectionTrait,
    scope: &PlatformScope,
) -> Result<Vec<Endpoint>, StoreError> {
    scope.require_admin()?;
    Ok(webhook_endpoint::Entity::find()
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .all(db)
        .await?
        .iter()
        .map(endpoint)
        .collect())
}

/// One delivery as an operator sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub event_id: Uuid,
    pub shop_id: Uuid,
    pub topic: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    pub attempts: i32,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub next_attempt_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivered_at: Option<OffsetDateTime>,
}

/// The newest 500 deliveries to endpoint `id` (platform admin).
pub async fn deliveries(
    db: &impl ConnectionTrait,
    scope: &PlatformScope,
    id: Uuid,
) -> Result<Vec<Delivery>, StoreError> {
    scope.require_admin()?;
    if webhook_endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    let rows = db
        .query_all(statement(
            db,
            "SELECT d.tenant_id, d.event_id, e.topic, d.state, d.attempts, d.last_status, \
             d.last_error, d.next_attempt_at, d.delivered_at \
             FROM event_deliveries d JOIN privacy_events e \
             ON e.tenant_id = d.tenant_id AND e.id = d.event_id \
             WHERE d.endpoint_id = $1 ORDER BY e.created_at DESC LIMIT 500",
            [id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Delivery {
                event_id: r.try_get("", "event_id")?,
                shop_id: r.try_get("", "tenant_id")?,
                topic: r.try_get("", "topic")?,
                state: r.try_get("", "state")?,
                attempts: r.try_get("", "attempts")?,
                last_status: r.try_get("", "last_status")?,
                last_error: r.try_get("", "last_error")?,
                next_attempt_at: r.try_get("", "next_attempt_at")?,
                delivered_at: r.try_get("", "delivered_at")?,
            })
        })
        .collect()
}

/// Makes deliveries to endpoint `id` pending again, due now: the events named (whatever their
/// state), or every dead one. Answers how many.
pub async fn replay(
    db: &DatabaseConnection,
    vault: &Vault,
    scope: &PlatformScope,
    id: Uuid,
    events: Option<Vec<Uuid>>,
) -> Result<u64, StoreError> {
    scope.require_admin()?;
    if webhook_endpoint::Entity::find_by_id(id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(StoreError::NotFound);
    }
    let now = OffsetDateTime::now_utc();
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::WebhookReplay,
        fields: vec![format!("webhook_endpoint:{id}")],
        purpose: None,
        request_id: None,
    };
    tx::audited(db, vault, PLATFORM_TENANT, event, move |txn| {
        Box::pin(async move {
            let mut q = event_delivery::Entity::update_many()
                .col_expr(
                    event_delivery::Column::State,
                    sea_orm::sea_query::Expr::value("pending"),
                )
                .col_expr(
                    event_delivery::Column::Attempts,
                    sea_orm::sea_query::Expr::value(0),
                )
                .col_expr(
                    event_delivery::Column::NextAttemptAt,
                    sea_orm::sea_query::Expr::value(now),
                )
                .filter(event_delivery::Column::EndpointId.eq(id));
            q = match events {
                Some(ids) => q.filter(event_delivery::Column::EventId.is_in(ids)),
                None => q.filter(event_delivery::Column::State.eq("dead")),
            };
            Ok(Finish::Commit(q.exec(txn).await?.rows_affected))
        })
    })
    .await
}

/// How many deliveries are in flight at once (over all endpoints).
const IN_FLIGHT: usize = 16;

/// Delivers what is due, at most `limit`; answers how many were delivered. The batch is claimed
/// first in one statement (attempts + 1, due again after the lease; a row another sender claimed
/// a moment earlier no longer matches the claim's condition, so it is not claimed twice), so two replicas never send one at
/// the same time, and a sender that dies mid-way leaves its rows to be sent again: at least
/// once. The batch goes out [`IN_FLIGHT`] requests at a time; the outcomes are written back
/// grouped (one statement per outcome kind and status).
pub async fn run_deliveries(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    sender: &webhooks::Sender,
    limit: u64,
) -> Result<usize, StoreError> {
    use futures::StreamExt;
    let now = OffsetDateTime::now_utc();
    let due = event_delivery::Entity::find()
        .filter(event_delivery::Column::State.eq("pending"))
        .filter(event_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(event_delivery::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    crate::checkpoint::kill_point("events.before_delivery");
    let mut values: Vec<sea_orm::Value> = vec![(now + LEASE).into(), now.into()];
    let mut marks = Vec::with_capacity(due.len());
    for d in &due {
        let n = values.len();
        marks.push(format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
        values.push(d.tenant_id.into());
        values.push(d.event_id.into());
        values.push(d.endpoint_id.into());
    }
    let claimed = db
        .query_all(statement(
            db,
            &format!(
                "UPDATE event_deliveries SET attempts = attempts + 1, next_attempt_at = $1 \
                 WHERE state = 'pending' AND next_attempt_at <= $2 \
                 AND (tenant_id, event_id, endpoint_id) IN ({}) \
                 RETURNING tenant_id, event_id, endpoint_id, attempts",
                marks.join(", ")
            ),
            values,
        ))
        .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let mut batch = Vec::with_capacity(claimed.len());
    for r in &claimed {
        batch.push(Claimed {
            tenant_id: r.try_get("", "tenant_id")?,
            event_id: r.try_get("", "event_id")?,
            endpoint_id: r.try_get("", "endpoint_id")?,
            attempts: r.try_get("", "attempts")?,
        });
    }
    let wk = tenant_keys::platform(db, vault).await?;
    // The endpoints of the batch, their secrets unsealed for this batch only.
    let mut endpoints = std::collections::HashMap::new();
    for ep in webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(batch.iter().map(|d| d.endpoint_id)))
        .all(db)
        .await?
    {
        if ep.disabled_at.is_none() {
            let secret = open_secret(vault, &wk, &ep)?;
            endpoints.insert(ep.id, (ep.url.clone(), secret));
        }
    }
    let mut bodies = std::collections::HashMap::new();
    for ev in privacy_event::Entity::find()
        .filter(privacy_event::Column::Id.is_in(batch.iter().map(|d| d.event_id)))
        .all(db)
        .await?
    {
        bodies.insert((ev.tenant_id, ev.id), ev.body);
    }
    let endpoints = &endpoints;
    let bodies = &bodies;
    let outcomes: Vec<(Claimed, Result<Outcome, &'static str>)> = futures::stream::iter(batch)
        .map(|d| async move {
            let Some((url, secret)) = endpoints.get(&d.endpoint_id) else {
                return (d, Err("the endpoint is gone"));
            };
            let Some(body) = bodies.get(&(d.tenant_id, d.event_id)) else {
                return (d, Err("the event is gone"));
            };
            let outcome = sender
                .deliver(
                    url,
                    secret,
                    &d.event_id.to_string(),
                    OffsetDateTime::now_utc().unix_timestamp(),
                    body.clone().into_bytes(),
                )
                .await;
            (d, Ok(outcome))
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut delivered: std::collections::BTreeMap<i32, Vec<&Claimed>> = Default::default();
    let mut delivered_n = 0;
    for (d, outcome) in &outcomes {
        match outcome {
            Ok(Outcome::Delivered(s)) => {
                delivered.entry(i32::from(*s)).or_default().push(d);
                delivered_n += 1;
            }
            Err(why) => finish(db, d, "dead", None, Some(why)).await?,
            Ok(failed) => {
                let (status, error) = match failed {
                    Outcome::Refused(s) => (Some(i32::from(*s)), format!("answered {s}")),
                    Outcome::Unreachable(e) => (None, e.clone()),
                    Outcome::Delivered(_) => (None, String::new()),
                };
                let idx = usize::try_from(d.attempts - 1).unwrap_or(usize::MAX);
                match SCHEDULE.get(idx) {
                    Some(wait) => {
                        db.execute(statement(
                            db,
                            "UPDATE event_deliveries SET next_attempt_at = $1, last_status = $2, \
                             last_error = $3 WHERE tenant_id = $4 AND event_id = $5 AND endpoint_id = $6",
                            [
                                (now + Duration::seconds(*wait)).into(),
                                status.into(),
                                error.into(),
                                d.tenant_id.into(),
                                d.event_id.into(),
                                d.endpoint_id.into(),
                            ],
                        ))
                        .await?;
                    }
                    None => {
                        tracing::warn!(event = %d.event_id, endpoint = %d.endpoint_id, "privacy event dead-lettered");
                        metrics::counter!("harim_privacy_events_dead_total").increment(1);
                        finish(db, d, "dead", status, Some(&error)).await?;
                    }
                }
            }
        }
    }
    for (status, rows) in delivered {
        for chunk in rows.chunks(200) {
            let mut values: Vec<sea_orm::Value> =
                vec![status.into(), OffsetDateTime::now_utc().into()];
            let mut marks = Vec::with_capacity(chunk.len());
            for d in chunk {
                let n = values.len();
                marks.push(format!("(${}, ${}, ${})", n + 1, n + 2, n + 3));
                values.push(d.tenant_id.into());
                values.push(d.event_id.into());
                values.push(d.endpoint_id.into());
            }
            db.execute(statement(
                db,
                &format!(
                    "UPDATE event_deliveries SET state = 'delivered', last_status = $1, \
                     last_error = NULL, delivered_at = $2 \
                     WHERE (tenant_id, event_id, endpoint_id) IN ({})",
                    marks.join(", ")
                ),
                values,
            ))
            .await?;
        }
    }
    Ok(delivered_n)
}

/// A delivery this sender claimed.
struct Claimed {
    tenant_id: Uuid,
    event_id: Uuid,
    endpoint_id: Uuid,
    /// Including this try.
    attempts: i32,
}

async fn finish(
    db: &DatabaseConnection,
    d: &Claimed,
    state: &str,
    status: Option<i32>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    event_delivery::ActiveModel {
        tenant_id: Set(d.tenant_id),
        event_id: Set(d.event_id),
        endpoint_id: Set(d.endpoint_id),
        state: Set(state.into()),
        last_status: Set(status),
        last_error: Set(error.map(str::to_string)),
        delivered_at: Set((state == "delivered").then(OffsetDateTime::now_utc)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
