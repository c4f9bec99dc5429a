//! The shop's customers in the vault: one data key per customer, wrapped by the shop's tenant
//! key; every personal field sealed under it; reads masked; plaintext only by a reveal with a
//! purpose, audited before it answers; lookups by phone or e-mail through a keyed index per shop;
//! erasure of one customer by deleting one key row, behind a fence, answered by a signed receipt.
//!
//! Why a key per customer: erasing one person must not wait for a rotation of the whole shop's
//! key, nor leave their ciphertexts readable by a key that lives on. Deleting the wrapped key is
//! the erasure; the ciphertexts left in rows, backups and WAL are noise from that commit on
//! (backups taken before keep the wrapped key: the receipt states that horizon).

use std::collections::BTreeMap;
use std::sync::Arc;

use harim_vault::{
    FieldContext, SubjectKey, Vault, WrappedTenantKey,
    pii::{self, Customer, MaskedAddress, StoredAddress},
};
use hmac::{Hmac, Mac};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Set,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{
    StoreError, audit,
    db::statement,
    entity::{
        customer, customer_fence, customer_key, customer_order,
        data_request::{self, RequestKind, RequestState},
        tenant_key,
    },
    evidence,
    ids::CustomerId,
    rights::receipt::{ReceiptSigner, SignedReceipt},
    scope::{ShopAccess, ShopScope},
    tenant_keys,
    tx::{self, Finish},
};

/// The `table` of customer field ciphertexts.
pub const TABLE: &str = "customers";
const KEY_TABLE: &str = "customer_keys";
const ORDER_TABLE: &str = "customer_orders";
/// HKDF info of the shop's lookup key (derived from its tenant key, so it rotates and is shredded
/// with it, and shop A's index of a phone is unrelated to shop B's).
const INDEX_INFO: &[u8] = b"harim customer-index v1";
const FENCE_LABEL: &[u8] = b"harim-customer-fence-v1";
/// Most customers one batch reveal may name (a day's shipping labels).
pub const MAX_BATCH: usize = 500;

/// Why a customer's plaintext is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Shipping,
    OrderNotification,
    Support,
    LegalObligation,
    DataSubjectRequest,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Shipping => "shipping",
            Purpose::OrderNotification => "order_notification",
            Purpose::Support => "support",
            Purpose::LegalObligation => "legal_obligation",
            Purpose::DataSubjectRequest => "data_subject_request",
        }
    }

    /// Parses the stored or configured name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Purpose::Shipping,
            Purpose::OrderNotification,
            Purpose::Support,
            Purpose::LegalObligation,
            Purpose::DataSubjectRequest,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A customer as every read shows it: masked.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MaskedCustomer {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub addresses: Vec<MaskedAddress>,
    pub locale: Option<String>,
    pub external_ref: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// An order's contact as the commerce core sends it, validated.
#[derive(Debug)]
pub struct NewOrder {
    pub order_ref: String,
    pub placed_at: OffsetDateTime,
    /// A decimal string, validated by the caller.
    pub amount: String,
    /// ISO 4217, validated by the caller.
    pub currency: String,
    pub shipping_address: Option<StoredAddress>,
    pub phone: Option<pii::Phone>,
}

/// An order as answered: what tax law keeps, and whether a contact is sealed with it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OrderView {
    pub id: Uuid,
    pub order_ref: String,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
    pub total: Value,
    pub shipping_address: Option<MaskedAddress>,
    pub phone: Option<String>,
}

fn key_at(tenant_id: Uuid, customer: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id,
        table: KEY_TABLE,
        record_id: customer,
        field: "key",
    }
}

fn field_at(tenant_id: Uuid, customer: Uuid, field: &str) -> FieldContext<'_> {
    FieldContext {
        tenant_id,
        table: TABLE,
        record_id: customer,
        field,
    }
}

fn order_at(tenant_id: Uuid, order: Uuid) -> FieldContext<'static> {
    FieldContext {
        tenant_id,
        table: ORDER_TABLE,
        record_id: order,
        field: "contact",
    }
}

/// The keyed index of a normalised phone or e-mail under tenant key `wk`.
fn index(
    vault: &Vault,
    wk: &WrappedTenantKey,
    kind: &str,
    input: &str,
) -> Result<Vec<u8>, StoreError> {
    let key = vault.derive_versioned_key(wk, INDEX_INFO)?;
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret())
        .map_err(|e| StoreError::internal("index key", e))?;
    m.update(kind.as_bytes());
    m.update(&[0]);
    m.update(input.as_bytes());
    Ok(m.finalize().into_bytes().to_vec())
}

/// Who may read customers: the shop's people and keys; no platform operator (a reviewer checks
/// merchants, never their customers).
fn require_member(scope: &ShopScope) -> Result<(), StoreError> {
    match scope.role() {
        ShopAccess::Owner | ShopAccess::Staff => Ok(()),
        ShopAccess::Platform(_) => Err(StoreError::Forbidden(
            "Platform operators do not read a shop's customers.",
        )),
    }
}

/// The sealed columns of a customer, under `ck`.
struct Sealed {
    name: Vec<u8>,
    email: Option<Vec<u8>>,
    phone: Option<Vec<u8>>,
    addresses: Option<Vec<u8>>,
    email_index: Option<Vec<u8>>,
    phone_index: Option<Vec<u8>>,
}

fn seal(
    vault: &Vault,
    wk: &WrappedTenantKey,
    ck: &SubjectKey,
    t: Uuid,
    id: Uuid,
    c: &Customer,
) -> Result<Sealed, StoreError> {
    let at = |f| field_at(t, id, f);
    let email_input = c.email.as_ref().map(pii::email_index_input);
    Ok(Sealed {
        name: ck.seal(&at("name"), c.name.expose_secret().as_bytes())?,
        email: c
            .email
            .as_ref()
            .map(|e| ck.seal(&at("email"), e.expose_secret().as_bytes()))
            .transpose()?,
        phone: c
            .phone
            .as_ref()
            .map(|p| ck.seal(&at("phone"), p.expose_secret().as_bytes()))
            .transpose()?,
        addresses: c
            .addresses_json()
            .map(|j| ck.seal(&at("addresses"), j.as_bytes()))
            .transpose()?,
        email_index: email_input
            .map(|e| index(vault, wk, "email", &e))
            .transpose()?,
        phone_index: c
            .phone
            .as_ref()
            .map(|p| index(vault, wk, "phone", p.expose_secret()))
            .transpose()?,
    })
}

/// The audit entry of a create or a replace: who, which customer, which fields (never values).
fn write_event(
    scope: &ShopScope,
    id: CustomerId,
    c: &Customer,
    request_id: Option<String>,
) -> audit::Event<'static> {
    audit::Event {
        actor: scope.actor(),
        action: audit::Action::CustomerWrite,
        fields: written_fields(id, c),
        purpose: None,
        request_id,
    }
}

/// Sets every written column of a customer row: the sealed fields and their indexes (under
/// tenant-key version `tk`), the plain ones, and the times a write moves.
fn apply(am: &mut customer::ActiveModel, s: Sealed, c: &Customer, tk: i32, now: OffsetDateTime) {
    am.name = Set(s.name);
    am.email = Set(s.email);
    am.phone = Set(s.phone);
    am.addresses = Set(s.addresses);
    am.locale = Set(c.locale.clone());
    am.external_ref = Set(c.external_ref.clone());
    am.email_index = Set(s.email_index);
    am.phone_index = Set(s.phone_index);
    am.index_tk_version = Set(tk);
    am.updated_at = Set(now);
    am.last_active_at = Set(now);
}

/// Creates a customer of the scope's shop; answers it masked.
pub async fn create(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    c: Customer,
    request_id: Option<String>,
) -> Result<MaskedCustomer, StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    let id = CustomerId::random();
    let now = evidence::now_micros();
    let event = write_event(scope, id, &c, request_id);
    let v = vault.clone();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            // One encryption under the tenant key: the customer key's wrap.
            let tenant_keys::ForWrite { key: wk, .. } =
                tenant_keys::current_for_write(txn, &v, t, 1).await?;
            let (wrapped, ck) = v.create_subject_key(&wk, &key_at(t, id.uuid()))?;
            let s = seal(&v, &wk, &ck, t, id.uuid(), &c)?;
            let tk = i32::try_from(wk.tk_version).map_err(|e| StoreError::internal("tk", e))?;
            customer_key::ActiveModel {
                tenant_id: Set(t),
                customer_id: Set(id.uuid()),
                tk_version: Set(tk),
                wrapped: Set(crate::entity::redacted::RedactedBytes(wrapped)),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
            let mut am = customer::ActiveModel {
                tenant_id: Set(t),
                id: Set(id.uuid()),
                created_at: Set(now),
                ..Default::default()
            };
            apply(&mut am, s, &c, tk, now);
            let row = am.insert(txn).await?;
            Ok(Finish::Commit(masked(&row, &ck)?))
        })
    })
    .await
}

/// The field names a write records (never values) and the customer's id.
fn written_fields(id: CustomerId, c: &Customer) -> Vec<String> {
    let mut f = vec![format!("customer:{}", id.public()), "name".to_string()];
    if c.email.is_some() {
        f.push("email".into());
    }
    if c.phone.is_some() {
        f.push("phone".into());
    }
    if !c.addresses.is_empty() {
        f.push("addresses".into());
    }
    f
}

/// Replaces a customer's fields (as create writes them); answers it masked.
pub async fn update(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    id: CustomerId,
    c: Customer,
    request_id: Option<String>,
) -> Result<MaskedCustomer, StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    let now = evidence::now_micros();
    let event = write_event(scope, id, &c, request_id);
    let v = vault.clone();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            let (row, wk, ck) = load(txn, &v, t, id.uuid()).await?;
            let s = seal(&v, &wk, &ck, t, id.uuid(), &c)?;
            let tk = i32::try_from(wk.tk_version).map_err(|e| StoreError::internal("tk", e))?;
            let mut am: customer::ActiveModel = row.into();
            apply(&mut am, s, &c, tk, now);
            let row = am.update(txn).await?;
            Ok(Finish::Commit(masked(&row, &ck)?))
        })
    })
    .await
}

/// The customer's row, the tenant key its key is wrapped under, and its key, unwrapped.
/// `NotFound` for an id the shop does not have, and for an erased one (its key row is gone).
async fn load(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    id: Uuid,
) -> Result<(customer::Model, WrappedTenantKey, SubjectKey), StoreError> {
    load_many(db, vault, t, Selection::Ids(&[id]))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// [`load`] for the other use cases of the crate (the notification gate and its sender).
pub(crate) async fn load_pub(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    id: Uuid,
) -> Result<(customer::Model, WrappedTenantKey, SubjectKey), StoreError> {
    load(db, vault, t, id).await
}

/// The customer's phone (E.164) or e-mail address, in plaintext, for a message on `channel`.
pub(crate) fn contact(
    row: &customer::Model,
    ck: &SubjectKey,
    channel: harim_notify::Channel,
) -> Result<Option<SecretString>, StoreError> {
    let (field, ct) = match channel {
        harim_notify::Channel::Sms => ("phone", &row.phone),
        harim_notify::Channel::Email => ("email", &row.email),
    };
    ct.as_ref().map(|ct| open(ck, row, field, ct)).transpose()
}

/// The ids of the shop's customers with this phone (an inbound "stop" reply).
pub(crate) async fn ids_by_phone(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    phone: &pii::Phone,
) -> Result<Vec<CustomerId>, StoreError> {
    let keys = tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(t))
        .all(db)
        .await?;
    let input = Zeroizing::new(phone.expose_secret().to_string());
    let mut indexes = Vec::with_capacity(keys.len());
    for k in &keys {
        indexes.push((
            index(vault, &tenant_keys::wrapped(k)?, "phone", &input)?,
            k.tk_version,
        ));
    }
    Ok(
        load_many(db, vault, t, Selection::Index("phone_index", &indexes))
            .await?
            .into_iter()
            .map(|(row, _, _)| CustomerId::from(row.id))
            .collect(),
    )
}

/// Which customers [`load_many`] reads.
enum Selection<'a> {
    Ids(&'a [Uuid]),
    /// Rows whose `column` index equals one of `(index, tk_version)`, oldest first, at most 100.
    Index(&'static str, &'a [(Vec<u8>, i32)]),
}

/// Customers with their keys unwrapped, in one statement: the row, its key row and the tenant
/// key that wraps it, joined (all three lead with `tenant_id`, so on Citus the join stays on
/// one shard). An erased customer (no key row) is not returned.
async fn load_many(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    which: Selection<'_>,
) -> Result<Vec<(customer::Model, WrappedTenantKey, SubjectKey)>, StoreError> {
    use sea_orm::{FromQueryResult, Value as V};
    let mut values: Vec<V> = vec![t.into()];
    let filter = match which {
        Selection::Ids([]) | Selection::Index(_, []) => return Ok(Vec::new()),
        Selection::Ids(ids) => {
            let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
            values.extend(ids.iter().map(|id| V::from(*id)));
            format!("c.id IN ({})", marks.join(", "))
        }
        Selection::Index(column, keys) => {
            let mut alternatives = Vec::with_capacity(keys.len());
            for (idx, version) in keys {
                let n = values.len();
                alternatives.push(format!(
                    "(c.{column} = ${} AND c.index_tk_version = ${})",
                    n + 1,
                    n + 2
                ));
                values.push(idx.clone().into());
                values.push((*version).into());
            }
            format!(
                "({}) ORDER BY c.created_at LIMIT 100",
                alternatives.join(" OR ")
            )
        }
    };
    let sql = format!(
        "SELECT c.*, k.wrapped AS ck_wrapped, t.tk_version AS tk_tk_version, \
         t.kek_version AS tk_kek_version, t.wrapped AS tk_wrapped \
         FROM customers c \
         JOIN customer_keys k ON k.tenant_id = c.tenant_id AND k.customer_id = c.id \
         JOIN tenant_keys t ON t.tenant_id = k.tenant_id AND t.tk_version = k.tk_version \
         WHERE c.tenant_id = $1 AND {filter}"
    );
    let rows = db.query_all(statement(db, &sql, values)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let row = customer::Model::from_query_result(&r, "")?;
        let wk = WrappedTenantKey {
            tenant_id: t,
            tk_version: u32::try_from(r.try_get::<i32>("", "tk_tk_version")?)
                .map_err(|e| StoreError::internal("tenant key", e))?,
            kek_version: u32::try_from(r.try_get::<i32>("", "tk_kek_version")?)
                .map_err(|e| StoreError::internal("tenant key", e))?,
            wrapped: r.try_get("", "tk_wrapped")?,
        };
        let wrapped: Zeroizing<Vec<u8>> = Zeroizing::new(r.try_get("", "ck_wrapped")?);
        let ck = vault.open_subject_key(&wk, &key_at(t, row.id), &wrapped)?;
        out.push((row, wk, ck));
    }
    Ok(out)
}

/// A customer's key, unwrapped, with the tenant key it is wrapped under (`None`: erased).
pub(crate) async fn open_key(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    id: Uuid,
) -> Result<Option<(WrappedTenantKey, SubjectKey)>, StoreError> {
    let Some(k) = customer_key::Entity::find_by_id((t, id)).one(db).await? else {
        return Ok(None);
    };
    let tk = tenant_key::Entity::find_by_id((t, k.tk_version))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::internal("customer key", "its tenant key is missing"))?;
    let wk = tenant_keys::wrapped(&tk)?;
    let ck = vault.open_subject_key(&wk, &key_at(t, id), &k.wrapped.0)?;
    Ok(Some((wk, ck)))
}

fn open(
    ck: &SubjectKey,
    row: &customer::Model,
    field: &str,
    ct: &[u8],
) -> Result<SecretString, StoreError> {
    Ok(ck.open_string(&field_at(row.tenant_id, row.id, field), ct)?)
}

fn addresses(ck: &SubjectKey, row: &customer::Model) -> Result<Vec<StoredAddress>, StoreError> {
    match &row.addresses {
        None => Ok(Vec::new()),
        Some(ct) => {
            let text = open(ck, row, "addresses", ct)?;
            serde_json::from_str(text.expose_secret())
                .map_err(|e| StoreError::internal("addresses", e))
        }
    }
}

fn masked(row: &customer::Model, ck: &SubjectKey) -> Result<MaskedCustomer, StoreError> {
    let contact = |field: &str, ct: &Option<Vec<u8>>| -> Result<Option<String>, StoreError> {
        ct.as_ref()
            .map(|ct| open(ck, row, field, ct).map(|v| pii::mask_contact(field, v.expose_secret())))
            .transpose()
    };
    Ok(MaskedCustomer {
        id: CustomerId::from(row.id).public(),
        name: pii::mask_contact("name", open(ck, row, "name", &row.name)?.expose_secret()),
        email: contact("email", &row.email)?,
        phone: contact("phone", &row.phone)?,
        addresses: addresses(ck, row)?
            .iter()
            .map(StoredAddress::masked)
            .collect(),
        locale: row.locale.clone(),
        external_ref: row.external_ref.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// A customer, masked (the shop's people and keys).
pub async fn get(
    db: &impl ConnectionTrait,
    vault: &Vault,
    scope: &ShopScope,
    id: CustomerId,
) -> Result<MaskedCustomer, StoreError> {
    require_member(scope)?;
    let (row, _, ck) = load(db, vault, scope.tenant_id(), id.uuid()).await?;
    masked(&row, &ck)
}

/// What a lookup matches on (already parsed and normalised).
#[derive(Debug)]
pub enum Lookup {
    Phone(pii::Phone),
    Email(pii::Email),
}

/// The scope's customers whose phone or e-mail equals the given one (exact, through the index).
/// Shop A's index of a value is unrelated to shop B's, so no lookup can reach another shop.
pub async fn lookup(
    db: &impl ConnectionTrait,
    vault: &Vault,
    scope: &ShopScope,
    by: &Lookup,
) -> Result<Vec<MaskedCustomer>, StoreError> {
    require_member(scope)?;
    matching(db, vault, scope.tenant_id(), by)
        .await?
        .iter()
        .map(|(row, _, ck)| masked(row, ck))
        .collect()
}

/// Shop `t`'s customers with this phone or e-mail, keys unwrapped, oldest first.
pub(crate) async fn matching(
    db: &impl ConnectionTrait,
    vault: &Vault,
    t: Uuid,
    by: &Lookup,
) -> Result<Vec<(customer::Model, WrappedTenantKey, SubjectKey)>, StoreError> {
    let (kind, input, column) = match by {
        Lookup::Phone(p) => (
            "phone",
            Zeroizing::new(p.expose_secret().to_string()),
            "phone_index",
        ),
        Lookup::Email(e) => ("email", pii::email_index_input(e), "email_index"),
    };
    // Every tenant-key version the shop has (one, or two while a rotation commits).
    let keys = tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(t))
        .all(db)
        .await?;
    let mut indexes = Vec::with_capacity(keys.len());
    for k in &keys {
        indexes.push((
            index(vault, &tenant_keys::wrapped(k)?, kind, &input)?,
            k.tk_version,
        ));
    }
    load_many(db, vault, t, Selection::Index(column, &indexes)).await
}

/// Everything harim holds about one customer in plaintext, for their own copy (an access
/// request): the fields, the orders, the messages sent (never their bodies).
pub(crate) async fn export_of(
    db: &impl ConnectionTrait,
    row: &customer::Model,
    ck: &SubjectKey,
) -> Result<Value, StoreError> {
    let t = row.tenant_id;
    let opt = |field: &str, ct: &Option<Vec<u8>>| -> Result<Option<String>, StoreError> {
        ct.as_ref()
            .map(|ct| open(ck, row, field, ct).map(|v| v.expose_secret().to_string()))
            .transpose()
    };
    let orders: Vec<Value> = customer_order::Entity::find()
        .filter(customer_order::Column::TenantId.eq(t))
        .filter(customer_order::Column::CustomerId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|o| {
            json!({
                "order_ref": o.order_ref,
                "placed_at": rfc3339(o.placed_at),
                "total_amount": o.total_amount,
                "currency": o.currency,
            })
        })
        .collect();
    let messages: Vec<Value> = crate::entity::notification::Entity::find()
        .filter(crate::entity::notification::Column::TenantId.eq(t))
        .filter(crate::entity::notification::Column::CustomerId.eq(row.id))
        .all(db)
        .await?
        .into_iter()
        .map(|n| {
            json!({
                "id": n.id.to_string(),
                "channel": n.channel,
                "kind": n.kind,
                "template": n.template,
                "state": n.state,
                "created_at": rfc3339(n.created_at),
                "sent_at": n.sent_at.map(rfc3339),
            })
        })
        .collect();
    Ok(json!({
        "customer": {
            "id": CustomerId::from(row.id).public(),
            "name": open(ck, row, "name", &row.name)?.expose_secret(),
            "email": opt("email", &row.email)?,
            "phone": opt("phone", &row.phone)?,
            "addresses": addresses(ck, row)?,
            "locale": row.locale,
            "external_ref": row.external_ref,
            "created_at": rfc3339(row.created_at),
            "updated_at": rfc3339(row.updated_at),
        },
        "orders": orders,
        "messages": messages,
    }))
}

/// Reveals the named fields (`name`, `email`, `phone`, `addresses`) of each customer in
/// plaintext, for `purpose`. One audit entry per customer, all before anything is decrypted,
/// in one transaction; if they cannot be written nothing is revealed. An id the shop does not
/// have makes the whole batch 404 (and rolls the entries back).
pub async fn reveal(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    ids: Vec<CustomerId>,
    fields: Vec<String>,
    purpose: Purpose,
    request_id: Option<String>,
) -> Result<Vec<(CustomerId, BTreeMap<String, SecretString>)>, StoreError> {
    require_member(scope)?;
    if let crate::auth::Principal::ApiKey { limits, .. } = scope.principal()
        && let Some(allowed) = &limits.reveal_purposes
        && !allowed.iter().any(|p| p == purpose.as_str())
    {
        return Err(StoreError::Forbidden(
            "This API key may not reveal customers' data for this purpose.",
        ));
    }
    let t = scope.tenant_id();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let event = |id: CustomerId| audit::Event {
        actor: scope.actor(),
        action: audit::Action::CustomerReveal,
        fields: std::iter::once(format!("customer:{}", id.public()))
            .chain(fields.iter().cloned())
            .collect(),
        purpose: Some(purpose.as_str()),
        request_id: request_id.clone(),
    };
    let events: Vec<audit::Event<'static>> = ids.iter().map(|id| event(*id)).collect();
    let v = vault.clone();
    tx::audited_many_or_refuse(
        db,
        vault,
        t,
        events,
        "The access could not be recorded, so nothing was revealed.",
        move |txn| {
            Box::pin(async move {
                let uuids: Vec<Uuid> = ids.iter().map(|id| id.uuid()).collect();
                let loaded: std::collections::HashMap<Uuid, _> =
                    load_many(txn, &v, t, Selection::Ids(&uuids))
                        .await?
                        .into_iter()
                        .map(|(row, _, ck)| (row.id, (row, ck)))
                        .collect();
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    let (row, ck) = loaded.get(&id.uuid()).ok_or(StoreError::NotFound)?;
                    out.push((id, plaintext(row, ck, &fields)?));
                }
                Ok(Finish::Commit(out))
            })
        },
    )
    .await
}

fn plaintext(
    row: &customer::Model,
    ck: &SubjectKey,
    fields: &[String],
) -> Result<BTreeMap<String, SecretString>, StoreError> {
    let mut out = BTreeMap::new();
    for f in fields {
        let ct = match f.as_str() {
            "name" => Some(&row.name),
            "email" => row.email.as_ref(),
            "phone" => row.phone.as_ref(),
            "addresses" => row.addresses.as_ref(),
            _ => None,
        };
        if let Some(ct) = ct {
            out.insert(f.clone(), open(ck, row, f, ct)?);
        }
    }
    Ok(out)
}

/// Records an order of a customer with the contact used for it, sealed under the customer's key.
pub async fn add_order(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    id: CustomerId,
    order: NewOrder,
    request_id: Option<String>,
) -> Result<OrderView, StoreError> {
    require_member(scope)?;
    let t = scope.tenant_id();
    let now = evidence::now_micros();
    let order_id = Uuid::now_v7();
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::CustomerOrder,
        fields: vec![
            format!("customer:{}", id.public()),
            format!("order:{order_id}"),
        ],
        purpose: None,
        request_id,
    };
    let v = vault.clone();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            let (row, _, ck) = load(txn, &v, t, id.uuid()).await?;
            let contact = json!({
                "shipping_address": order.shipping_address,
                "phone": order.phone.as_ref().map(|p| p.expose_secret().to_string()),
            });
            let contact = Zeroizing::new(contact.to_string());
            let sealed = ck.seal(&order_at(t, order_id), contact.as_bytes())?;
            let saved = customer_order::ActiveModel {
                tenant_id: Set(t),
                id: Set(order_id),
                customer_id: Set(Some(id.uuid())),
                order_ref: Set(order.order_ref.clone()),
                placed_at: Set(order.placed_at),
                total_amount: Set(order.amount.clone()),
                currency: Set(order.currency.clone()),
                contact: Set(Some(sealed)),
                created_at: Set(now),
            }
            .insert(txn)
            .await?;
            let mut am: customer::ActiveModel = row.into();
            am.last_active_at = Set(now);
            am.update(txn).await?;
            Ok(Finish::Commit(OrderView {
                id: saved.id,
                order_ref: saved.order_ref,
                placed_at: saved.placed_at,
                total: json!({"amount": saved.total_amount, "currency": saved.currency}),
                shipping_address: order.shipping_address.as_ref().map(StoredAddress::masked),
                phone: order.phone.as_ref().map(pii::Phone::mask),
            }))
        })
    })
    .await
}

/// The MAC of a customer fence.
fn fence_mac(
    key: &evidence::AuditKey,
    t: Uuid,
    id: Uuid,
    at: OffsetDateTime,
    request: Uuid,
) -> Result<Vec<u8>, StoreError> {
    evidence::tag(
        key,
        FENCE_LABEL,
        &[
            t.as_bytes(),
            id.as_bytes(),
            &evidence::micros(at),
            request.as_bytes(),
        ],
    )
}

/// Erases one customer: in one transaction (the audit entry first) the customer's key row is
/// deleted (every field of theirs, in rows, backups and logs, is noise from this commit on),
/// their row deleted, their orders keep what tax law needs and lose the link and the contact,
/// a MACed fence is written and the signed receipt stored as a completed request. Owner only
/// (a person or an owner key: the commerce core acts on the customer's request).
pub async fn erase(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    id: CustomerId,
    request_id: Option<String>,
) -> Result<SignedReceipt, StoreError> {
    scope.require_owner()?;
    let orders = crate::policies::settings(db, scope)
        .await?
        .retention
        .period(harim_policy::RetentionKind::Orders);
    let t = scope.tenant_id();
    let now = evidence::now_micros();
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::CustomerErase,
        fields: vec![format!("customer:{}", id.public())],
        purpose: Some("data_subject_request"),
        request_id,
    };
    let signer = ReceiptSigner::load(db, vault).await?;
    let v = vault.clone();
    let out = tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            erase_in(txn, &v, &signer, t, id, now, orders)
                .await
                .map(Finish::Commit)
        })
    })
    .await?;
    metrics::counter!("harim_customers_erased_total").increment(1);
    Ok(out.receipt)
}

/// What an erasure of one customer answers inside its transaction.
pub(crate) struct Erased {
    pub receipt: SignedReceipt,
    /// The `customer.redact` event (`None`: no endpoint subscribes).
    pub event: Option<Uuid>,
}

pub(crate) async fn erase_in(
    txn: &DatabaseTransaction,
    vault: &Vault,
    signer: &ReceiptSigner,
    t: Uuid,
    id: CustomerId,
    now: OffsetDateTime,
    orders_kept: harim_policy::RetentionPeriod,
) -> Result<Erased, StoreError> {
    let c = id.uuid();
    // Locks the customer's key row for the rest of the transaction: a concurrent erasure of the
    // same customer waits, then finds nothing and answers 404.
    let keys = customer_key::Entity::delete_many()
        .filter(customer_key::Column::TenantId.eq(t))
        .filter(customer_key::Column::CustomerId.eq(c))
        .exec(txn)
        .await?
        .rows_affected;
    if keys == 0 {
        return Err(StoreError::NotFound);
    }
    crate::checkpoint::reached("customers.erase.after_key", t).await;
    crate::checkpoint::kill_point("customers.erase.after_key");
    let rows = customer::Entity::delete_many()
        .filter(customer::Column::TenantId.eq(t))
        .filter(customer::Column::Id.eq(c))
        .exec(txn)
        .await?
        .rows_affected;
    // Read before the anonymisation below: the references the platform's other systems redact.
    let order_refs: Vec<String> = customer_order::Entity::find()
        .filter(customer_order::Column::TenantId.eq(t))
        .filter(customer_order::Column::CustomerId.eq(c))
        .all(txn)
        .await?
        .into_iter()
        .map(|o| o.order_ref)
        .collect();
    let orders = customer_order::Entity::update_many()
        .col_expr(
            customer_order::Column::CustomerId,
            sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
        )
        .col_expr(
            customer_order::Column::Contact,
            sea_orm::sea_query::Expr::value(Option::<Vec<u8>>::None),
        )
        .filter(customer_order::Column::TenantId.eq(t))
        .filter(customer_order::Column::CustomerId.eq(c))
        .exec(txn)
        .await?
        .rows_affected;
    let request = crate::rights::new_request(t, RequestKind::EraseCustomer, None, now, 0);
    let key = evidence::audit_key(txn, vault).await?;
    let consents = crate::consent::erase_customer(txn, &key, t, c).await?;
    let notifications = crate::notify::erase_customer(txn, t, c).await?;
    // The platform's other systems erase their copies: told by the customer's opaque id and
    // the order references, never by a name, e-mail or phone.
    let redact = crate::privacy_events::emit(
        txn,
        t,
        crate::privacy_events::Topic::CustomerRedact,
        Some(request.id),
        Some(request.due_at),
        json!({"customer_id": id.public(), "orders_to_redact": order_refs}),
    )
    .await?;
    customer_fence::ActiveModel {
        tenant_id: Set(t),
        customer_id: Set(c),
        erased_at: Set(request.requested_at),
        request_id: Set(request.id),
        mac: Set(fence_mac(&key, t, c, request.requested_at, request.id)?),
    }
    .insert(txn)
    .await?;
    let at = rfc3339(request.requested_at);
    // A period set in years ends by the calendar, never a leap day early.
    let until = rfc3339(orders_kept.end(request.requested_at));
    let receipt = json!({
        "format": "harim-erasure-receipt/1",
        "receipt_id": request.id.to_string(),
        "subject": {"kind": "customer", "id": id.public(), "shop": t.to_string()},
        "requested_at": at,
        "shredded_at": at,
        "completed_at": at,
        "state": "completed",
        "data_map_version": crate::datamap::version(),
        "entries": [
            {"entry": "customer_keys", "action": "shred", "rows": keys},
            {"entry": "customers", "action": "shred", "rows": rows},
            {"entry": "customer_orders", "action": "anonymise", "rows": orders},
            {"entry": "consent_events", "action": "anonymise", "rows": consents},
            {"entry": "notifications", "action": "anonymise", "rows": notifications},
        ],
        "retained": [{
            "entry": "customer_orders",
            "rows": orders,
            "reason": "tax records of each sale: the order reference, time, total and currency, with nothing that identifies the customer",
            "until": until,
        }],
        "backups": "a database backup taken before this erasure still holds the customer's wrapped key; it opens only with the shop's tenant key of that time, which the shop's next tenant-key rotation or its erasure destroys",
    });
    let signed = signer.sign(receipt);
    let row = data_request::Model {
        state: RequestState::Completed,
        completed_at: Some(request.requested_at),
        receipt: Some(
            serde_json::to_string(&signed.receipt)
                .map_err(|e| StoreError::internal("receipt", e))?,
        ),
        signature: Some(signed.signature.clone()),
        key_id: Some(signed.key_id.clone()),
        ..request
    };
    crate::rights::insert(txn, vault, row).await?;
    crate::customer_requests::erase_customer(txn, t, c).await?;
    Ok(Erased {
        receipt: signed,
        event: redact,
    })
}

pub(crate) fn rfc3339_of(t: OffsetDateTime) -> String {
    rfc3339(t)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Re-wraps every customer key of a shop from `old` to `new` and recomputes their lookups
/// under `new` (tenant-key rotation, inside its transaction): O(customers) wraps, no field is
/// re-encrypted. Answers the number of encryptions made under `new`.
pub(crate) async fn reencrypt_keys(
    txn: &DatabaseTransaction,
    vault: &Vault,
    old: &WrappedTenantKey,
    new: &WrappedTenantKey,
) -> Result<i64, StoreError> {
    let t = old.tenant_id;
    let new_version = i32::try_from(new.tk_version).map_err(|e| StoreError::internal("tk", e))?;
    let keys = customer_key::Entity::find()
        .filter(customer_key::Column::TenantId.eq(t))
        .all(txn)
        .await?;
    let mut n = 0i64;
    for k in keys {
        let at = key_at(t, k.customer_id);
        let wrapped = vault.reencrypt_field(old, new, &at, &k.wrapped.0)?;
        let ck = vault.open_subject_key(new, &at, &wrapped)?;
        let mut am: customer_key::ActiveModel = k.clone().into();
        am.wrapped = Set(crate::entity::redacted::RedactedBytes(wrapped));
        am.tk_version = Set(new_version);
        am.update(txn).await?;
        n += 1;
        if let Some(row) = customer::Entity::find_by_id((t, k.customer_id))
            .one(txn)
            .await?
        {
            let email = row
                .email
                .as_ref()
                .map(|ct| open(&ck, &row, "email", ct))
                .transpose()?;
            let phone = row
                .phone
                .as_ref()
                .map(|ct| open(&ck, &row, "phone", ct))
                .transpose()?;
            let mut am: customer::ActiveModel = row.into();
            am.email_index = Set(email
                .map(|e| index(vault, new, "email", &e.expose_secret().to_lowercase()))
                .transpose()?);
            am.phone_index = Set(phone
                .map(|p| index(vault, new, "phone", p.expose_secret()))
                .transpose()?);
            am.index_tk_version = Set(new_version);
            am.update(txn).await?;
        }
    }
    Ok(n)
}

/// What a customer-retention run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RetentionReport {
    /// Customers inactive longer than their shop's `retention.customer_accounts_days`, erased.
    pub customers_erased: u64,
    /// Order contacts dropped `retention.orders_days` after the customer's last order.
    pub order_contacts_dropped: u64,
}

/// The two customer rules of the retention job, per shop that saved its privacy settings (a
/// shop that never did has published no policy promising a period): customers inactive longer
/// than `customer_accounts_days` are erased as `DELETE .../customers/{id}` erases them (each
/// with its receipt), and the contact kept with orders is dropped `orders_days` after the
/// customer's last order (the tax record stays).
pub async fn run_retention(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    now: OffsetDateTime,
) -> Result<RetentionReport, StoreError> {
    let mut report = RetentionReport::default();
    let shops = crate::entity::privacy_settings::Entity::find()
        .all(db)
        .await?;
    for s in shops {
        let t = s.tenant_id;
        let settings = crate::policies::parse_settings(&s.settings)?;
        let r = settings.retention;
        let inactive_before = now - time::Duration::days(i64::from(r.customer_accounts_days));
        let stale: Vec<Uuid> = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::TenantId.eq(t))
            .filter(customer::Column::LastActiveAt.lte(inactive_before))
            .into_tuple()
            .all(db)
            .await?;
        if !stale.is_empty() {
            let signer = Arc::new(ReceiptSigner::load(db, vault).await?);
            for c in stale {
                let id = CustomerId::from(c);
                let event = audit::Event {
                    actor: "system:retention".into(),
                    action: audit::Action::CustomerErase,
                    fields: vec![format!("customer:{}", id.public())],
                    purpose: Some("legal_obligation"),
                    request_id: None,
                };
                let v = vault.clone();
                let signer = signer.clone();
                let days = r.period(harim_policy::RetentionKind::Orders);
                let at = evidence::now_micros();
                match tx::audited(db, vault, t, event, move |txn| {
                    Box::pin(async move {
                        erase_in(txn, &v, &signer, t, id, at, days)
                            .await
                            .map(Finish::Commit)
                    })
                })
                .await
                {
                    Ok(_) => report.customers_erased += 1,
                    // Erased meanwhile by its shop.
                    Err(StoreError::NotFound) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // Orders kept for years (the law's unit) are counted back by the calendar.
        let last_order_before = r.period(harim_policy::RetentionKind::Orders).cutoff(now);
        let dropped = db
            .execute(crate::db::statement(
                db,
                "UPDATE customer_orders SET contact = NULL \
                 WHERE tenant_id = $1 AND contact IS NOT NULL AND customer_id IN \
                 (SELECT customer_id FROM customer_orders WHERE tenant_id = $1 \
                  AND customer_id IS NOT NULL GROUP BY customer_id HAVING max(placed_at) <= $2)",
                [t.into(), last_order_before.into()],
            ))
            .await?
            .rows_affected();
        report.order_contacts_dropped += dropped;
    }
    Ok(report)
}

/// The categories of customers' data the shop holds now: what its published policy must
/// declare. Counted from the rows, never decrypted (a sealed column is present or not).
pub async fn held_categories(
    db: &impl ConnectionTrait,
    t: Uuid,
) -> Result<Vec<harim_policy::CustomerDataCategory>, StoreError> {
    use harim_policy::CustomerDataCategory as C;
    let mut held = Vec::new();
    for (sql, cat) in [
        (
            "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1",
            C::Name,
        ),
        (
            "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1 AND email IS NOT NULL",
            C::Email,
        ),
        (
            "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1 AND phone IS NOT NULL",
            C::Phone,
        ),
        (
            "SELECT COUNT(*) AS n FROM customers WHERE tenant_id = $1 AND addresses IS NOT NULL",
            C::Address,
        ),
        (
            "SELECT COUNT(*) AS n FROM customer_orders WHERE tenant_id = $1",
            C::OrderHistory,
        ),
    ] {
        let n = crate::rights::count(db, sql, [t.into()]).await?;
        if n > 0 {
            held.push(cat);
        }
    }
    Ok(held)
}

/// One violation per category the shop holds but `settings` does not declare in
/// `customer_data`: a policy that stays silent about data harim holds is untrue.
pub fn undeclared(
    settings: &harim_policy::PrivacySettings,
    held: &[harim_policy::CustomerDataCategory],
) -> Vec<harim_violation::Violation> {
    held.iter()
        .filter(|c| !settings.customer_data.iter().any(|d| d.category == **c))
        .map(|c| {
            let name = serde_json::to_value(c)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            harim_violation::Violation::new(
                "customer_data",
                "undeclared_data",
                format!(
                    "the shop holds customers' {name} data but its settings do not declare the `{name}` category"
                ),
            )
        })
        .collect()
}
