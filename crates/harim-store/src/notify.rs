//! The notification gate: the only way a message reaches a shop's customer. It decides (the
//! shop's published switches, the customer's consent, the suppression list, the country's
//! rules), then queues the message in a transactional outbox; the sender ([`run_outbox`])
//! decrypts the recipient inside harim, renders the body, hands it to the provider and keeps
//! the template id, the SHA-256 of the body and the provider's message id, never the body.
//!
//! Why an outbox: the decision and the intent to send commit together, so a crash after the
//! answer sends the message once the process is back, and a crash before it leaves nothing
//! queued. At-least-once towards the provider (a crash between the provider's answer and the
//! row's update sends again); the outbox id goes along as the provider's idempotency key
//! (Kavenegar `localid`, Unifonic `CorrelationID`, the e-mail's Message-ID) so a repeat is
//! recognisable. A client's `request_id` makes the request itself idempotent.

use std::collections::BTreeMap;
use std::sync::Arc;

use harim_notify::{
    Channel, Kind, Outgoing, SendError,
    providers::Providers,
    rules::{self, Held, Market},
    templates,
};
use harim_policy::PrivacySettings;
use harim_vault::{FieldContext, Vault, pii};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    StoreError, audit,
    consent::{self, Collection},
    db::statement,
    entity::{notification, policy_version, shop, suppression},
    ids::{CustomerId, PLATFORM_TENANT},
    scope::{ShopAccess, ShopScope},
    tenant_keys,
    tx::{self, Finish},
};

/// HKDF info of the platform's recipient key: a digest of a phone or address that is the same
/// for every shop, so a "stop" reply (which names only the number) reaches each shop that
/// wrote to it. Kept in tenant tables but never shown to a shop.
const RECIPIENT_INFO: &[u8] = b"harim recipient-index v1";
/// Tries before a message is given up.
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a sender owns a claimed row before another may take it (a crashed sender's row).
const LEASE: Duration = Duration::seconds(60);

/// Why the gate refused (409 and a stable code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The shop's published settings do not send this kind of message on this channel.
    NotEnabled,
    /// The customer did not consent (marketing), or refused (order messages).
    NoConsent,
    /// The recipient asked this shop to stop (a reply keyword).
    Suppressed,
    /// The country's rules do not allow it now (UAE advertising outside 07:00–21:00).
    QuietHours,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotEnabled => "not-enabled",
            Self::NoConsent => "no-consent",
            Self::Suppressed => "suppressed",
            Self::QuietHours => "quiet-hours",
        }
    }

    pub fn detail(self) -> &'static str {
        match self {
            Self::NotEnabled => {
                "The shop's published policy does not send this kind of message on this channel."
            }
            Self::NoConsent => "The customer has not consented to this message.",
            Self::Suppressed => "The recipient asked this shop to stop these messages.",
            Self::QuietHours => "The country's rules do not allow this message at this hour.",
        }
    }
}

/// A message a shop asks to send.
#[derive(Debug, Clone)]
pub struct Request {
    pub customer: CustomerId,
    pub channel: Channel,
    pub kind: Kind,
    pub template: String,
    pub values: BTreeMap<String, String>,
    pub request_id: Option<String>,
}

/// A notification as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub id: Uuid,
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
}

fn status(row: &notification::Model) -> Status {
    Status {
        id: row.id,
        state: row.state.clone(),
        provider_message_id: row.provider_message_id.clone(),
    }
}

/// The sealed part of an outbox row (values and what the rules add), under the customer's key.
#[derive(Serialize, Deserialize)]
struct Payload {
    values: BTreeMap<String, String>,
    language: String,
    footer: Option<String>,
    sender_prefix: Option<String>,
    sender_suffix: Option<String>,
}

fn payload_at(t: Uuid, id: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id: t,
        table: "notifications",
        record_id: id,
        field: "payload",
    }
}

fn require_member(scope: &ShopScope) -> Result<(), StoreError> {
    match scope.role() {
        ShopAccess::Owner | ShopAccess::Staff => Ok(()),
        ShopAccess::Platform(_) => Err(StoreError::Forbidden(
            "Platform operators do not message a shop's customers.",
        )),
    }
}

/// The platform-wide digest of a recipient (E.164 phone, lower-cased e-mail).
pub(crate) async fn recipient_index(
    db: &impl ConnectionTrait,
    vault: &Vault,
    channel: Channel,
    recipient: &str,
) -> Result<Vec<u8>, StoreError> {
    let key = match vault.cached_derived_key(PLATFORM_TENANT, RECIPIENT_INFO) {
        Some(k) => k,
        None => {
            let wk = tenant_keys::platform(db, vault).await?;
            vault.derive_key_cached(&wk, RECIPIENT_INFO)?
        }
    };
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .map_err(|e| StoreError::internal("recipient key", e))?;
    m.update(channel.as_str().as_bytes());
    m.update(&[0]);
    m.update(recipient.to_lowercase().as_bytes());
    Ok(m.finalize().into_bytes().to_vec())
}

/// The shop's policy in force and its settings (`None`: nothing published).
async fn in_force(
    db: &impl ConnectionTrait,
    t: Uuid,
) -> Result<Option<PrivacySettings>, StoreError> {
    let Some(v) = policy_version::Entity::find()
        .filter(policy_version::Column::TenantId.eq(t))
        .filter(policy_version::Column::EffectiveAt.lte(OffsetDateTime::now_utc()))
        .order_by_desc(policy_version::Column::Version)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_str(&v.settings).map_err(|e| {
        StoreError::internal("published settings", e)
    })?))
}

fn enabled(s: &PrivacySettings, channel: Channel, kind: Kind) -> bool {
    let purpose = format!("{}_{}", kind.as_str(), channel.as_str());
    harim_policy::consent::purposes(s).contains(&purpose)
}

/// The gate. Checks, in order: the template and values; the shop's published switches
/// (`not-enabled`); the customer (404 if unknown or erased) and their contact for the channel;
/// consent (`no-consent`); the suppression list (`suppressed`, marketing only); the country's
/// rules (`quiet-hours`); then queues. A `request_id` seen before answers the first request's
/// notification. Refusals write nothing.
pub async fn submit(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    req: Request,
    now: OffsetDateTime,
) -> Result<Result<Status, Refusal>, StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    let Some(template) = templates::find(&req.template) else {
        return Err(StoreError::rejected(
            "template",
            "unknown",
            "Templates are order_placed, order_shipped, verification_code and marketing.",
        ));
    };
    let mut broken: Vec<harim_violation::Violation> = templates::check(template, &req.values)
        .into_iter()
        .map(|m| harim_violation::Violation::new(m.field, m.code, m.message))
        .collect();
    if template.kind != req.kind {
        broken.push(harim_violation::Violation::new(
            "template",
            "wrong_kind",
            "This template is for the other kind of message.",
        ));
    }
    if !broken.is_empty() {
        return Err(StoreError::Rejected(broken));
    }
    if let Some(rid) = &req.request_id
        && let Some(row) = notification::Entity::find()
            .filter(notification::Column::TenantId.eq(t))
            .filter(notification::Column::RequestId.eq(rid.as_str()))
            .one(db)
            .await?
    {
        return Ok(Ok(status(&row)));
    }
    let Some(settings) = in_force(db, t).await? else {
        return Ok(Err(Refusal::NotEnabled));
    };
    if !enabled(&settings, req.channel, req.kind) {
        return Ok(Err(Refusal::NotEnabled));
    }
    let (row, _, ck) = crate::customers::load_pub(db, vault, t, req.customer.uuid()).await?;
    let contact = crate::customers::contact(&row, &ck, req.channel)?.ok_or_else(|| {
        StoreError::rejected(
            "customer_id",
            "no_contact",
            "The customer has no phone number or e-mail address for this channel.",
        )
    })?;
    let purpose = format!("{}_{}", req.kind.as_str(), req.channel.as_str());
    if !consent::allows(db, t, row.id, &purpose).await? {
        return Ok(Err(Refusal::NoConsent));
    }
    let recipient = recipient_index(db, vault, req.channel, contact.expose_secret()).await?;
    if req.kind == Kind::Marketing
        && suppression::Entity::find_by_id((t, req.channel.as_str().to_string(), recipient.clone()))
            .one(db)
            .await?
            .is_some()
    {
        return Ok(Err(Refusal::Suppressed));
    }
    let market = Market::of(settings.controller.country.code());
    let adjust = match rules::apply(market, req.channel, req.kind, now) {
        Ok(a) => a,
        Err(Held::QuietHours) => return Ok(Err(Refusal::QuietHours)),
    };
    let language = row
        .locale
        .clone()
        .unwrap_or_else(|| settings.default_locale.tag().to_string());
    let id = Uuid::new_v4();
    let payload = serde_json::to_vec(&Payload {
        values: req.values,
        language,
        footer: adjust.footer.map(str::to_string),
        sender_prefix: adjust.sender_prefix.map(str::to_string),
        sender_suffix: adjust.sender_suffix.map(str::to_string),
    })
    .map_err(|e| StoreError::internal("notification payload", e))?;
    let sealed = ck.seal(&payload_at(t, id), &payload)?;
    let model = notification::Model {
        tenant_id: t,
        id,
        customer_id: Some(row.id),
        channel: req.channel.as_str().into(),
        kind: req.kind.as_str().into(),
        template: template.id.into(),
        request_id: req.request_id.clone(),
        payload: Some(sealed),
        body_sha256: None,
        recipient_index: Some(recipient),
        state: "queued".into(),
        attempts: 0,
        // The row's own times are the real clock's (`now` is when the rules are judged).
        next_attempt_at: OffsetDateTime::now_utc(),
        provider: None,
        provider_message_id: None,
        last_error: None,
        created_at: OffsetDateTime::now_utc(),
        sent_at: None,
    };
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::NotificationQueue,
        fields: vec![
            format!("customer:{}", req.customer.public()),
            format!("notification:{id}"),
            format!("template:{}", template.id),
        ],
        purpose: Some(if req.kind == Kind::Order {
            "order_notification"
        } else {
            "marketing"
        }),
        request_id: None,
    };
    let inserted = tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            notification::ActiveModel::from(model.clone())
                .insert(txn)
                .await?;
            Ok(Finish::Commit(model))
        })
    })
    .await;
    let row = match inserted {
        Ok(r) => r,
        // Two requests with one request id at once: the other one's row is the answer.
        Err(e) if e.is_unique_violation() => notification::Entity::find()
            .filter(notification::Column::TenantId.eq(t))
            .filter(notification::Column::RequestId.eq(req.request_id.unwrap_or_default()))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?,
        Err(e) => return Err(e),
    };
    crate::checkpoint::kill_point("notify.queued");
    Ok(Ok(status(&row)))
}

/// Queues a message the customer's own request calls for (a one-time code, a deadline's
/// extension), in `txn`: no switch or consent decides it (the customer asked, and the law
/// requires the answer), so it passes only the template check. The body is rendered in
/// `language`; the recipient is the customer's own address on file for `channel`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn queue_service(
    txn: &impl ConnectionTrait,
    vault: &Vault,
    row: &crate::entity::customer::Model,
    ck: &harim_vault::SubjectKey,
    channel: Channel,
    template_id: &str,
    values: BTreeMap<String, String>,
    language: &str,
) -> Result<Uuid, StoreError> {
    let t = row.tenant_id;
    let template = templates::find_any(template_id)
        .ok_or_else(|| StoreError::internal("service message", "unknown template"))?;
    if !templates::check(template, &values).is_empty() {
        return Err(StoreError::internal("service message", "values do not fit"));
    }
    let contact = crate::customers::contact(row, ck, channel)?
        .ok_or_else(|| StoreError::internal("service message", "no address on this channel"))?;
    let recipient = recipient_index(txn, vault, channel, contact.expose_secret()).await?;
    let id = Uuid::new_v4();
    let payload = serde_json::to_vec(&Payload {
        values,
        language: language.to_string(),
        footer: None,
        sender_prefix: None,
        sender_suffix: None,
    })
    .map_err(|e| StoreError::internal("notification payload", e))?;
    let now = OffsetDateTime::now_utc();
    notification::ActiveModel::from(notification::Model {
        tenant_id: t,
        id,
        customer_id: Some(row.id),
        channel: channel.as_str().into(),
        kind: template.kind.as_str().into(),
        template: template.id.into(),
        request_id: None,
        payload: Some(ck.seal(&payload_at(t, id), &payload)?),
        body_sha256: None,
        recipient_index: Some(recipient),
        state: "queued".into(),
        attempts: 0,
        next_attempt_at: now,
        provider: None,
        provider_message_id: None,
        last_error: None,
        created_at: now,
        sent_at: None,
    })
    .insert(txn)
    .await?;
    Ok(id)
}

/// One notification of the scope's shop.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    id: Uuid,
) -> Result<Status, StoreError> {
    require_member(scope)?;
    notification::Entity::find_by_id((scope.tenant_id(), id))
        .one(db)
        .await?
        .map(|r| status(&r))
        .ok_or(StoreError::NotFound)
}

fn backoff(attempts: i32) -> Duration {
    Duration::seconds(1_i64 << attempts.clamp(0, 10))
}

/// Sends what is due, at most `limit` messages; answers how many were handed to a provider.
/// Each row is claimed first (attempts + 1, due again after the lease), so two senders (two
/// replicas) never send one row at the same time.
pub async fn run_outbox(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    providers: &Providers,
    limit: u64,
) -> Result<usize, StoreError> {
    let now = OffsetDateTime::now_utc();
    let due = notification::Entity::find()
        .filter(notification::Column::State.eq("queued"))
        .filter(notification::Column::NextAttemptAt.lte(now))
        .order_by_asc(notification::Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut sent = 0;
    for row in due {
        let claimed = db
            .execute(statement(
                db,
                "UPDATE notifications SET attempts = attempts + 1, next_attempt_at = $1 \
                 WHERE tenant_id = $2 AND id = $3 AND state = 'queued' AND attempts = $4",
                [
                    (now + LEASE).into(),
                    row.tenant_id.into(),
                    row.id.into(),
                    row.attempts.into(),
                ],
            ))
            .await?
            .rows_affected();
        if claimed != 1 {
            continue;
        }
        let attempts = row.attempts + 1;
        match send_one(db, vault, providers, &row).await {
            Ok((provider, message_id, body_hash)) => {
                finish(
                    db,
                    &row,
                    "sent",
                    Some(provider),
                    Some(message_id),
                    Some(body_hash),
                    None,
                )
                .await?;
                sent += 1;
            }
            Err(Failure::Gone) => {
                finish(
                    db,
                    &row,
                    "failed",
                    None,
                    None,
                    None,
                    Some("the customer was erased"),
                )
                .await?;
            }
            Err(Failure::Send(SendError::Permanent(e))) => {
                tracing::warn!(notification = %row.id, error = %e, "message refused");
                finish(
                    db,
                    &row,
                    "failed",
                    None,
                    None,
                    None,
                    Some("the provider refused"),
                )
                .await?;
            }
            Err(Failure::Send(SendError::Temporary(e))) if attempts >= MAX_ATTEMPTS => {
                tracing::warn!(notification = %row.id, error = %e, "message given up");
                finish(
                    db,
                    &row,
                    "failed",
                    None,
                    None,
                    None,
                    Some("the provider stayed unreachable"),
                )
                .await?;
            }
            Err(Failure::Send(SendError::Temporary(e))) => {
                tracing::info!(notification = %row.id, error = %e, attempts, "message retried later");
                db.execute(statement(
                    db,
                    "UPDATE notifications SET next_attempt_at = $1 WHERE tenant_id = $2 AND id = $3",
                    [
                        (now + backoff(attempts)).into(),
                        row.tenant_id.into(),
                        row.id.into(),
                    ],
                ))
                .await?;
            }
            Err(Failure::Store(e)) => return Err(e),
        }
    }
    Ok(sent)
}

enum Failure {
    Gone,
    Send(SendError),
    Store(StoreError),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::Gone,
            e => Self::Store(e),
        }
    }
}

async fn send_one(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    providers: &Providers,
    row: &notification::Model,
) -> Result<(String, String, Vec<u8>), Failure> {
    let (Some(customer), Some(sealed)) = (row.customer_id, row.payload.as_ref()) else {
        return Err(Failure::Gone);
    };
    let channel = Channel::parse(&row.channel)
        .ok_or_else(|| StoreError::internal("notification", "unknown channel"))?;
    let (c, _, ck) = crate::customers::load_pub(db, vault, row.tenant_id, customer).await?;
    let to = crate::customers::contact(&c, &ck, channel)?.ok_or(Failure::Gone)?;
    let payload = ck
        .open_string(&payload_at(row.tenant_id, row.id), sealed)
        .map_err(StoreError::from)?;
    let p: Payload = serde_json::from_str(payload.expose_secret())
        .map_err(|e| StoreError::internal("notification payload", e))?;
    let shop = shop::Entity::find_by_id(row.tenant_id)
        .one(db)
        .await
        .map_err(StoreError::from)?
        .ok_or(Failure::Gone)?;
    let template = templates::find_any(&row.template)
        .ok_or_else(|| StoreError::internal("notification", "unknown template"))?;
    let (subject, mut body) = templates::render(template, &p.language, &shop.name, &p.values);
    if let Some(f) = &p.footer {
        body.push('\n');
        body.push_str(f);
    }
    let body_hash = Sha256::digest(body.as_bytes()).to_vec();
    let from = match channel {
        Channel::Email => providers.email_from.clone(),
        Channel::Sms => format!(
            "{}{}{}",
            p.sender_prefix.as_deref().unwrap_or(""),
            providers.sms_sender,
            p.sender_suffix.as_deref().unwrap_or("")
        ),
    };
    let out = Outgoing {
        id: row.id.to_string(),
        channel,
        to,
        from,
        subject: (channel == Channel::Email).then_some(subject),
        body: SecretString::from(body),
    };
    crate::checkpoint::kill_point("notify.before_send");
    let provider = providers.for_channel(channel);
    let id = provider.send(&out).await.map_err(Failure::Send)?;
    Ok((provider.name().to_string(), id, body_hash))
}

#[allow(clippy::too_many_arguments)]
async fn finish(
    db: &DatabaseConnection,
    row: &notification::Model,
    state: &str,
    provider: Option<String>,
    provider_message_id: Option<String>,
    body_sha256: Option<Vec<u8>>,
    error: Option<&str>,
) -> Result<(), StoreError> {
    notification::ActiveModel {
        tenant_id: Set(row.tenant_id),
        id: Set(row.id),
        state: Set(state.into()),
        payload: Set(None),
        provider: Set(provider),
        provider_message_id: Set(provider_message_id),
        body_sha256: Set(body_sha256),
        last_error: Set(error.map(str::to_string)),
        sent_at: Set((state == "sent").then(OffsetDateTime::now_utc)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// An inbound SMS (a provider's hook): if the text is a stop keyword, marketing SMS to the
/// number stops at once in every shop that sent it marketing: a suppression row, and a
/// `withdrawn` event for each of that shop's customers with the number. Answers the number of
/// shops it reached.
pub async fn inbound_sms(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    from: &str,
    text: &str,
    default_country: Option<&str>,
) -> Result<usize, StoreError> {
    if !harim_notify::keywords::is_stop(text) {
        return Ok(0);
    }
    let country = default_country.and_then(|c| pii::Country::parse(c).ok());
    let Ok(phone) = pii::parse_phone(from, country) else {
        return Err(StoreError::rejected(
            "from",
            "invalid",
            "The sender is not a phone number.",
        ));
    };
    let number = phone.expose_secret().to_string();
    let idx = recipient_index(db, vault, Channel::Sms, &number).await?;
    let shops: Vec<Uuid> = notification::Entity::find()
        .select_only()
        .column(notification::Column::TenantId)
        .distinct()
        .filter(notification::Column::RecipientIndex.eq(idx.clone()))
        .filter(notification::Column::Channel.eq("sms"))
        .filter(notification::Column::Kind.eq("marketing"))
        .into_tuple()
        .all(db)
        .await?;
    let now = OffsetDateTime::now_utc();
    for t in &shops {
        db.execute(statement(
            db,
            "INSERT INTO suppressions (tenant_id, channel, recipient_index, reason, at) \
             VALUES ($1, 'sms', $2, 'sms_reply', $3) ON CONFLICT DO NOTHING",
            [(*t).into(), idx.clone().into(), now.into()],
        ))
        .await?;
        for c in crate::customers::ids_by_phone(db, vault, *t, &phone).await? {
            consent::withdraw_for(db, vault, *t, c, "marketing_sms", Collection::SmsReply).await?;
        }
    }
    Ok(shops.len())
}

/// Empties an erased customer's notifications in `txn` (their erasure): the row keeps channel,
/// kind, template, state and times; loses the customer, the sealed values and the recipient.
pub(crate) async fn erase_customer(
    txn: &impl ConnectionTrait,
    t: Uuid,
    customer: Uuid,
) -> Result<u64, StoreError> {
    Ok(txn
        .execute(statement(
            txn,
            "UPDATE notifications SET customer_id = NULL, payload = NULL, recipient_index = NULL, \
             state = CASE WHEN state = 'queued' THEN 'failed' ELSE state END \
             WHERE tenant_id = $1 AND customer_id = $2",
            [t.into(), customer.into()],
        ))
        .await?
        .rows_affected())
}
