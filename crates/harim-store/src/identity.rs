//! The merchant identity: written encrypted field by field under the shop's tenant key, read
//! masked, revealed only with a purpose and an audit entry written first, and found across shops
//! through the blind indexes by platform reviewers.

use std::collections::BTreeMap;
use std::sync::Arc;

use harim_vault::{
    BlindIndexKind, FieldContext, Vault, WrappedTenantKey,
    pii::{self, Iban, MaskedIdentity, MerchantIdentity, NationalId},
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Iterable,
    JoinType, QueryFilter, QuerySelect, Set, sea_query::OnConflict,
};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{
    StoreError, audit,
    entity::{merchant_identity, shop, tenant_key},
    ids::PLATFORM_TENANT,
    ids::ShopId,
    roles::PlatformRole,
    scope::{PlatformScope, ShopAccess, ShopScope},
    tenant_keys,
    tx::{self, Finish},
};

/// The `table` every identity ciphertext is bound to.
pub const TABLE: &str = "merchant_identities";

fn ctx(tenant_id: Uuid, field: &str) -> FieldContext<'_> {
    // One identity per shop: the record id is the shop id.
    FieldContext {
        tenant_id,
        table: TABLE,
        record_id: tenant_id,
        field,
    }
}

/// The row of an identity: every field encrypted under `wk`, both blind indexes under root
/// version `bidx_version` (one the database says is active: see `write`).
fn encrypt(
    vault: &Vault,
    wk: &WrappedTenantKey,
    identity: &MerchantIdentity,
    bidx_version: u32,
    now: OffsetDateTime,
) -> Result<merchant_identity::ActiveModel, StoreError> {
    let t = wk.tenant_id;
    let nid_bidx = vault.blind_index(
        bidx_version,
        BlindIndexKind::NationalId,
        &identity.national_id.blind_index_input(),
    )?;
    let iban_bidx = vault.blind_index(
        bidx_version,
        BlindIndexKind::Iban,
        identity.iban.blind_index_input(),
    )?;
    let mut row = merchant_identity::ActiveModel {
        tenant_id: Set(t),
        tk_version: Set(
            i32::try_from(wk.tk_version).map_err(|e| StoreError::internal("tk_version", e))?
        ),
        postal_code: Set(None),
        national_id_bidx: Set(nid_bidx.to_vec()),
        iban_bidx: Set(iban_bidx.to_vec()),
        bidx_version: Set(i32::try_from(bidx_version).map_err(|e| StoreError::internal("bidx", e))?),
        updated_at: Set(now),
        ..Default::default()
    };
    for (field, plaintext) in identity.fields() {
        row.set_field(field, vault.encrypt_field(wk, &ctx(t, field), plaintext)?)
            .map_err(|_| StoreError::internal("identity", format!("no column for {field}")))?;
    }
    Ok(row)
}

/// Registers or replaces the scope's merchant identity (owner only); answers it masked.
///
/// The audit entry comes first (the shop's lock, which tenant rotation also takes), then the
/// current tenant key is loaded and the fields encrypted: a concurrent rotation is wholly before
/// or wholly after, and the write never lands under a key that rotation deleted.
///
/// After the audit entry (three statements) the work is two: [`tenant_keys::current_for_write`] (the
/// newest key with its count raised and its row locked, and the root version checked and held
/// `FOR SHARE`) and one upsert of the row.
pub async fn write(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    identity: MerchantIdentity,
    request_id: Option<String>,
) -> Result<(MaskedIdentity, OffsetDateTime), StoreError> {
    scope.require_owner()?;
    let t = scope.tenant_id();
    let masked = identity.masked();
    let now = OffsetDateTime::now_utc();
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::IdentityWrite,
        fields: identity.fields().map(|(f, _)| f.to_string()).collect(),
        purpose: None,
        request_id,
    };
    crate::checkpoint::reached("identity.write.before_transaction", t).await;
    let v = vault.clone();
    tx::audited(db, vault, t, event, move |txn| {
        Box::pin(async move {
            // The blind indexes follow the same rule as wrapping: under a root version the
            // database says is active (held until commit), never this process's possibly stale
            // idea of it, or a finished rotation could find a fresh index under the old version.
            // `current_for_write` checks it in the statement that takes the key.
            let tenant_keys::ForWrite {
                key: wk,
                wrap_version: bidx_version,
            } = tenant_keys::current_for_write(txn, &v, t, identity.fields().count() as u64)
                .await?;
            let row = encrypt(&v, &wk, &identity, bidx_version, now)?;
            // Every column but the key is set by `encrypt` (an absent postal code as NULL), so
            // the update replaces the whole identity, as a fresh insert would write it.
            merchant_identity::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(merchant_identity::Column::TenantId)
                        .update_columns(
                            merchant_identity::Column::iter()
                                .filter(|c| !matches!(c, merchant_identity::Column::TenantId)),
                        )
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
            Ok(Finish::Commit(()))
        })
    })
    .await?;
    Ok((masked, now))
}

/// Decrypts one field of a stored identity (`None`: the field is not set).
fn decrypt(
    vault: &Vault,
    wk: &WrappedTenantKey,
    row: &merchant_identity::Model,
    field: &str,
) -> Result<Option<SecretString>, StoreError> {
    match row.field(field) {
        None => Ok(None),
        Some(ct) => Ok(Some(vault.decrypt_field_string(
            wk,
            &ctx(row.tenant_id, field),
            ct,
        )?)),
    }
}

/// The row and the tenant key it names, in one statement (a join: one snapshot, so a tenant
/// rotation committing meanwhile is seen wholly or not at all, never a row whose key is gone).
///
/// The tenant key is read from its row on every call, never served from this process's memory
/// alone: erasure crypto-shreds a shop by deleting its `tenant_keys` rows, and only this read
/// makes that take effect at once on every replica (the vault caches the *unwrapped* key of a
/// row it was handed, but a missing row means nothing to decrypt with).
async fn load(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
) -> Result<(merchant_identity::Model, WrappedTenantKey), StoreError> {
    let (row, key) = merchant_identity::Entity::find_by_id(tenant_id)
        .select_also(tenant_key::Entity)
        .join(
            JoinType::LeftJoin,
            merchant_identity::Entity::belongs_to(tenant_key::Entity)
                .from((
                    merchant_identity::Column::TenantId,
                    merchant_identity::Column::TkVersion,
                ))
                .to((tenant_key::Column::TenantId, tenant_key::Column::TkVersion))
                .into(),
        )
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    let key =
        key.ok_or_else(|| StoreError::internal("tenant key", "referenced version missing"))?;
    Ok((row, tenant_keys::wrapped(&key)?))
}

/// The scope's merchant identity, masked (any member, platform operators), and when it changed.
pub async fn read_masked(
    db: &impl ConnectionTrait,
    vault: &Vault,
    scope: &ShopScope,
) -> Result<(MaskedIdentity, OffsetDateTime), StoreError> {
    let (row, wk) = load(db, scope.tenant_id()).await?;
    let masked = |f: &str| -> Result<Option<String>, StoreError> {
        Ok(decrypt(vault, &wk, &row, f)?.map(|v| pii::mask_stored_field(f, v.expose_secret())))
    };
    let m = |f: &str| masked(f).map(Option::unwrap_or_default);
    Ok((
        MaskedIdentity {
            full_name: m("full_name")?,
            national_id: m("national_id")?,
            iban: m("iban")?,
            birth_date: m("birth_date")?,
            phone: m("phone")?,
            email: m("email")?,
            address: m("address")?,
            postal_code: masked("postal_code")?,
            country: m("country")?,
        },
        row.updated_at,
    ))
}

/// Reveals the named (already validated) fields in plaintext: the shop owner or a platform
/// reviewer, with a purpose. The audit entry is written first; if it cannot be, nothing is
/// decrypted ([`StoreError::Unavailable`]).
pub async fn reveal(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    scope: &ShopScope,
    fields: Vec<String>,
    purpose: &str,
    request_id: Option<String>,
) -> Result<BTreeMap<String, SecretString>, StoreError> {
    match scope.role() {
        ShopAccess::Owner | ShopAccess::Platform(PlatformRole::Reviewer) => {}
        _ => {
            return Err(StoreError::Forbidden(
                "Only the shop owner or a platform reviewer may reveal identity data.",
            ));
        }
    }
    let t = scope.tenant_id();
    let event = audit::Event {
        actor: scope.actor(),
        action: audit::Action::IdentityReveal,
        fields: fields.clone(),
        purpose: Some(purpose),
        request_id,
    };
    let v = vault.clone();
    tx::audited_or_refuse(
        db,
        vault,
        t,
        event,
        "The access could not be recorded, so nothing was revealed.",
        move |txn| {
            Box::pin(async move {
                // A missing identity rolls the audit entry back with the 404.
                let (row, wk) = load(txn, t).await?;
                let mut out = BTreeMap::new();
                for f in &fields {
                    if let Some(value) = decrypt(&v, &wk, &row, f)? {
                        out.insert(f.clone(), value);
                    }
                }
                Ok(Finish::Commit(out))
            })
        },
    )
    .await
}

/// What a reviewer looks for.
#[derive(Debug)]
pub enum SearchTerm {
    NationalId(NationalId),
    Iban(Iban),
}

impl SearchTerm {
    fn field(&self) -> &'static str {
        match self {
            SearchTerm::NationalId(_) => "national_id",
            SearchTerm::Iban(_) => "iban",
        }
    }

    /// The blind-index kind and the inputs to try: for a national ID the current form (the
    /// identifier alone) and the form indexes had before (with the declared country), until a
    /// root rotation has recomputed every stored index.
    fn inputs(&self) -> (BlindIndexKind, Vec<Zeroizing<String>>) {
        match self {
            SearchTerm::NationalId(id) => (
                BlindIndexKind::NationalId,
                vec![id.blind_index_input(), id.legacy_blind_index_input()],
            ),
            SearchTerm::Iban(iban) => (
                BlindIndexKind::Iban,
                vec![Zeroizing::new(iban.blind_index_input().to_string())],
            ),
        }
    }
}

/// One shop whose identity matched.
#[derive(Debug, Clone)]
pub struct Match {
    pub shop: ShopId,
    pub slug: String,
    pub name: String,
    /// `national_id` or `iban`.
    pub matched_on: &'static str,
}

/// Shops whose merchant registered one of `terms`, through the blind indexes (platform
/// operators). In one transaction: the search itself is audited first in the platform's chain,
/// matched or not, then each match in its shop's chain.
pub async fn search(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    operator: &PlatformScope,
    terms: Vec<SearchTerm>,
    request_id: Option<String>,
) -> Result<Vec<Match>, StoreError> {
    let actor = operator.actor();
    let event = audit::Event {
        actor: actor.clone(),
        action: audit::Action::IdentitySearch,
        fields: terms.iter().map(|t| t.field().to_string()).collect(),
        purpose: Some("kyc_review"),
        request_id: request_id.clone(),
    };
    let v = vault.clone();
    tx::audited(db, vault, PLATFORM_TENANT, event, move |txn| {
        Box::pin(async move {
            let mut matches: Vec<Match> = Vec::new();
            for term in &terms {
                let field = term.field();
                let (kind, inputs) = term.inputs();
                for (shop_id, shop) in lookup(txn, &v, kind, &inputs).await? {
                    if matches
                        .iter()
                        .any(|m| m.shop.uuid() == shop_id && m.matched_on == field)
                    {
                        continue;
                    }
                    audit::append(
                        txn,
                        &v,
                        shop_id,
                        audit::Event {
                            actor: actor.clone(),
                            action: audit::Action::IdentitySearchMatch,
                            fields: vec![field.to_string()],
                            purpose: Some("kyc_review"),
                            request_id: request_id.clone(),
                        },
                    )
                    .await?;
                    matches.push(Match {
                        shop: shop_id.into(),
                        slug: shop.slug,
                        name: shop.name,
                        matched_on: field,
                    });
                }
            }
            Ok(Finish::Commit(matches))
        })
    })
    .await
}

/// Shops whose stored blind index of `kind` equals one of `inputs` under any root version an
/// index may have been written under.
async fn lookup(
    txn: &DatabaseTransaction,
    vault: &Vault,
    kind: BlindIndexKind,
    inputs: &[Zeroizing<String>],
) -> Result<Vec<(Uuid, shop::Model)>, StoreError> {
    let col = match kind {
        BlindIndexKind::NationalId => merchant_identity::Column::NationalIdBidx,
        BlindIndexKind::Iban => merchant_identity::Column::IbanBidx,
    };
    let mut out: Vec<(Uuid, shop::Model)> = Vec::new();
    for info in vault.provider().versions() {
        for input in inputs {
            let idx = vault.blind_index(info.version, kind, input)?.to_vec();
            let rows = merchant_identity::Entity::find()
                .filter(col.eq(idx))
                .filter(merchant_identity::Column::BidxVersion.eq(i64::from(info.version)))
                .all(txn)
                .await?;
            for r in rows {
                if out.iter().any(|(id, _)| *id == r.tenant_id) {
                    continue;
                }
                if let Some(s) = shop::Entity::find_by_id(r.tenant_id).one(txn).await? {
                    out.push((r.tenant_id, s));
                }
            }
        }
    }
    Ok(out)
}
