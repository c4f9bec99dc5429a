//! The merchant identity: validated, encrypted field by field, read masked, revealed only with a
//! purpose and an audit entry written first.

use std::collections::BTreeMap;

use axum::{
    extract::{FromRequestParts, Query, State},
    http::request::Parts,
};
use harim_vault::{
    BlindIndexKind, FieldContext,
    pii::{self, IDENTITY_FIELDS, IdentityInput, MerchantIdentity},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState, audit,
    auth::{PlatformPrincipal, PlatformRole},
    entity::{audit_entry, merchant_identity, shop},
    error::{ApiError, FieldError},
    keys,
    middleware::REQUEST_ID,
    tenant::{TenantCtx, TenantRole},
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_identity, get_identity))
        .routes(routes!(reveal_identity))
        .routes(routes!(get_audit))
        .routes(routes!(search_identities))
}

const TABLE: &str = "merchant_identities";

/// The `x-request-id` of this request, for audit entries.
#[derive(Debug, Clone)]
pub struct RequestId(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .headers
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        ))
    }
}

/// Request body of `PUT identity` (documentation shape; parsing is `harim_vault::pii`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct IdentityIn {
    full_name: String,
    /// Rules by `country`: IR 10 digits with check digit; SA, AE, AL and others documented.
    national_id: String,
    /// ISO 13616 IBAN (Iranian Sheba: `IR` + 24 digits); spaces allowed.
    iban: String,
    /// `YYYY-MM-DD`, or `{"calendar": "persian", "date": "1370-01-15"}`.
    #[schema(value_type = Object)]
    birth_date: serde_json::Value,
    /// E.164, or national format for `country`.
    phone: String,
    email: String,
    address: String,
    /// Required except for AE.
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: String,
}

/// Masked identity: only what a person needs to recognise each value.
#[derive(Serialize, ToSchema)]
pub struct IdentityOut {
    full_name: String,
    national_id: String,
    iban: String,
    birth_date: String,
    phone: String,
    email: String,
    address: String,
    postal_code: Option<String>,
    country: String,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

fn ctx<'a>(tenant_id: Uuid, field: &'a str) -> FieldContext<'a> {
    // One identity per shop: the record id is the shop id.
    FieldContext {
        tenant_id,
        table: TABLE,
        record_id: tenant_id,
        field,
    }
}

fn vault_errors(errs: Vec<pii::FieldError>) -> ApiError {
    ApiError::Validation(
        errs.into_iter()
            .map(|e| FieldError::new(e.field, e.code, e.message))
            .collect(),
    )
}

/// The row of an identity: every field encrypted under `wk`, both blind indexes under the
/// active root version.
fn encrypt_identity(
    vault: &harim_vault::Vault,
    wk: &harim_vault::WrappedTenantKey,
    identity: &MerchantIdentity,
    now: OffsetDateTime,
) -> Result<merchant_identity::ActiveModel, ApiError> {
    let t = wk.tenant_id;
    let mut ct: BTreeMap<&'static str, Vec<u8>> = BTreeMap::new();
    for (field, plaintext) in identity.fields() {
        ct.insert(field, vault.encrypt_field(wk, &ctx(t, field), plaintext)?);
    }
    let (bidx_version, nid_bidx) = vault.blind_index_active(
        BlindIndexKind::NationalId,
        &identity.national_id.blind_index_input(),
    )?;
    let iban_bidx = vault.blind_index(
        bidx_version,
        BlindIndexKind::Iban,
        identity.iban.blind_index_input(),
    )?;
    let mut take = |f: &str| {
        ct.remove(f)
            .ok_or_else(|| ApiError::internal("identity", format!("field {f} not encrypted")))
    };
    Ok(merchant_identity::ActiveModel {
        tenant_id: Set(t),
        tk_version: Set(
            i32::try_from(wk.tk_version).map_err(|e| ApiError::internal("tk_version", e))?
        ),
        full_name: Set(take("full_name")?),
        national_id: Set(take("national_id")?),
        iban: Set(take("iban")?),
        birth_date: Set(take("birth_date")?),
        phone: Set(take("phone")?),
        email: Set(take("email")?),
        address: Set(take("address")?),
        postal_code: Set(take("postal_code").ok()),
        country: Set(take("country")?),
        national_id_bidx: Set(nid_bidx.to_vec()),
        iban_bidx: Set(iban_bidx.to_vec()),
        bidx_version: Set(i32::try_from(bidx_version).map_err(|e| ApiError::internal("bidx", e))?),
        updated_at: Set(now),
    })
}

/// Register or replace the shop's merchant identity (owner only). Every value is validated,
/// then encrypted under the shop's tenant key; the response is masked.
#[utoipa::path(put, path = "/v1/shops/{shop_id}/identity", tag = "identity",
    params(("shop_id" = Uuid, Path)), request_body = IdentityIn,
    responses(
        (status = 200, body = IdentityOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "every invalid field is named", body = crate::Problem, content_type = "application/problem+json")))]
async fn put_identity(
    State(state): State<AppState>,
    tenant: TenantCtx,
    RequestId(request_id): RequestId,
    ApiJson(input): ApiJson<IdentityInput>,
) -> Result<ApiJson<IdentityOut>, ApiError> {
    tenant.require_owner()?;
    let identity =
        MerchantIdentity::parse(input, OffsetDateTime::now_utc().date()).map_err(vault_errors)?;
    let t = tenant.tenant_id;
    let fields: Vec<String> = identity.fields().map(|(f, _)| f.to_string()).collect();
    let actor = tenant.actor();
    let masked = identity.masked();
    let now = OffsetDateTime::now_utc();
    let vault = state.vault.clone();
    crate::checkpoint::reached("identity.write.before_transaction", t).await;
    state
        .db
        .transaction::<_, (), ApiError>(|txn| {
            Box::pin(async move {
                // Write first: on SQLite a transaction that reads before its first write fails
                // (BUSY_SNAPSHOT) if another writer commits in between; the audit append takes
                // the write lock (PostgreSQL: the tenant's audit-head row lock) up front.
                audit::append(
                    txn,
                    &vault,
                    t,
                    audit::Event {
                        actor,
                        action: "identity.write",
                        fields,
                        purpose: None,
                        request_id,
                    },
                )
                .await?;
                // The key is read under the shop's audit lock, which tenant rotation also
                // takes: no rotation can delete it between here and the commit.
                let wk = keys::current(txn, &vault, t).await?;
                let row = encrypt_identity(&vault, &wk, &identity, now)?;
                keys::count_encryptions(txn, &wk, identity.fields().count() as u64).await?;
                let exists = merchant_identity::Entity::find_by_id(t)
                    .one(txn)
                    .await?
                    .is_some();
                if exists {
                    row.update(txn).await?;
                } else {
                    row.insert(txn).await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(ApiJson(IdentityOut {
        full_name: masked.full_name,
        national_id: masked.national_id,
        iban: masked.iban,
        birth_date: masked.birth_date,
        phone: masked.phone,
        email: masked.email,
        address: masked.address,
        postal_code: masked.postal_code,
        country: masked.country,
        updated_at: now,
    }))
}

/// Decrypts the named fields of a stored identity.
fn decrypt(
    state: &AppState,
    wk: &harim_vault::WrappedTenantKey,
    row: &merchant_identity::Model,
    field: &str,
) -> Result<Option<secrecy::SecretString>, ApiError> {
    match row.field(field) {
        None => Ok(None),
        Some(ct) => Ok(Some(state.vault.decrypt_field_string(
            wk,
            &ctx(row.tenant_id, field),
            ct,
        )?)),
    }
}

async fn load(
    state: &AppState,
    tenant_id: Uuid,
) -> Result<(merchant_identity::Model, harim_vault::WrappedTenantKey), ApiError> {
    // Two reads outside a transaction: a tenant rotation can commit between them (the row's
    // key is then gone). The row is re-read once, and then names the new key.
    for _ in 0..2 {
        let row = merchant_identity::Entity::find_by_id(tenant_id)
            .one(&state.db)
            .await?
            .ok_or(ApiError::NotFound)?;
        if let Some(wk) = keys::find(&state.db, tenant_id, row.tk_version).await? {
            return Ok((row, wk));
        }
    }
    Err(ApiError::internal(
        "tenant key",
        "referenced version missing",
    ))
}

/// The shop's merchant identity, masked (any member, platform operators).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/identity", tag = "identity",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = IdentityOut), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_identity(
    State(state): State<AppState>,
    tenant: TenantCtx,
) -> Result<ApiJson<IdentityOut>, ApiError> {
    let (row, wk) = load(&state, tenant.tenant_id).await?;
    let mask = |f: &str| -> Result<String, ApiError> {
        Ok(decrypt(&state, &wk, &row, f)?
            .map(|v| pii::mask_stored_field(f, v.expose_secret()))
            .unwrap_or_default())
    };
    Ok(ApiJson(IdentityOut {
        full_name: mask("full_name")?,
        national_id: mask("national_id")?,
        iban: mask("iban")?,
        birth_date: mask("birth_date")?,
        phone: mask("phone")?,
        email: mask("email")?,
        address: mask("address")?,
        postal_code: decrypt(&state, &wk, &row, "postal_code")?
            .map(|v| pii::mask_stored_field("postal_code", v.expose_secret())),
        country: mask("country")?,
        updated_at: row.updated_at,
    }))
}

/// Why plaintext is needed; recorded in the audit log.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    KycReview,
    Payout,
    LegalObligation,
    DataSubjectRequest,
    Support,
}

impl Purpose {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Purpose::KycReview => "kyc_review",
            Purpose::Payout => "payout",
            Purpose::LegalObligation => "legal_obligation",
            Purpose::DataSubjectRequest => "data_subject_request",
            Purpose::Support => "support",
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealIn {
    /// Field names: full_name, national_id, iban, birth_date, phone, email, address, postal_code, country.
    fields: Vec<String>,
    purpose: Purpose,
}

#[derive(Serialize, ToSchema)]
pub struct RevealOut {
    /// Field name → plaintext value.
    #[schema(value_type = Object)]
    fields: BTreeMap<String, Revealed>,
    purpose: Purpose,
}

/// One revealed value: kept as a secret (wiped on drop, `Debug` redacted) until serialised.
pub struct Revealed(secrecy::SecretString);

impl Serialize for Revealed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.expose_secret())
    }
}

/// Reveal named fields in plaintext (the owner or a platform reviewer, with a purpose). The audit
/// entry is written in the same transaction before any value is decrypted; if it cannot be
/// written, nothing is revealed.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/identity/reveal", tag = "identity",
    params(("shop_id" = Uuid, Path)), request_body = RevealIn,
    responses(
        (status = 200, body = RevealOut),
        (status = 403, description = "staff, staff keys and admins see masks only", body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn reveal_identity(
    State(state): State<AppState>,
    tenant: TenantCtx,
    RequestId(request_id): RequestId,
    ApiJson(input): ApiJson<RevealIn>,
) -> Result<ApiJson<RevealOut>, ApiError> {
    match tenant.role {
        TenantRole::Owner | TenantRole::Platform(PlatformRole::Reviewer) => {}
        _ => {
            return Err(ApiError::Forbidden(
                "Only the shop owner or a platform reviewer may reveal identity data.",
            ));
        }
    }
    let mut errs = Vec::new();
    if input.fields.is_empty() {
        errs.push(FieldError::new(
            "fields",
            "required",
            "Name at least one field.",
        ));
    }
    let mut fields: Vec<String> = Vec::new();
    for (i, f) in input.fields.iter().enumerate() {
        if !IDENTITY_FIELDS.contains(&f.as_str()) {
            errs.push(FieldError::new(
                format!("fields[{i}]"),
                "unknown_field",
                "Not an identity field.",
            ));
        } else if !fields.contains(f) {
            fields.push(f.clone());
        }
    }
    if !errs.is_empty() {
        return Err(ApiError::Validation(errs));
    }
    let t = tenant.tenant_id;
    let actor = tenant.actor();
    let purpose = input.purpose;
    let st = state.clone();
    let out = state
        .db
        .transaction::<_, BTreeMap<String, Revealed>, ApiError>(|txn| {
            Box::pin(async move {
                // The audit entry comes first (and is the transaction's first write, see above);
                // a missing identity rolls it back with the 404.
                audit::append(
                    txn,
                    &st.vault,
                    t,
                    audit::Event {
                        actor,
                        action: "identity.reveal",
                        fields: fields.clone(),
                        purpose: Some(purpose.as_str()),
                        request_id,
                    },
                )
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "audit append failed; reveal refused");
                    ApiError::Unavailable(
                        "The access could not be recorded, so nothing was revealed.",
                    )
                })?;
                let row = merchant_identity::Entity::find_by_id(t)
                    .one(txn)
                    .await?
                    .ok_or(ApiError::NotFound)?;
                let wk = keys::version(txn, t, row.tk_version).await?;
                let mut out = BTreeMap::new();
                for f in &fields {
                    if let Some(v) = decrypt(&st, &wk, &row, f)? {
                        out.insert(f.clone(), Revealed(v));
                    }
                }
                Ok(out)
            })
        })
        .await?;
    Ok(ApiJson(RevealOut {
        fields: out,
        purpose,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct AuditOut {
    seq: i64,
    id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    actor: String,
    action: String,
    fields: Vec<String>,
    purpose: Option<String>,
    request_id: Option<String>,
    /// Hex SHA-256 of this link of the shop's chain.
    hash: String,
}

impl From<audit_entry::Model> for AuditOut {
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
            hash: hex::encode(&e.hash),
        }
    }
}

/// Who accessed this shop's data: the newest 500 audit entries (owner, platform operators).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/audit", tag = "identity",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = Vec<AuditOut>), (status = 403, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_audit(
    State(state): State<AppState>,
    tenant: TenantCtx,
) -> Result<ApiJson<Vec<AuditOut>>, ApiError> {
    if tenant.role == TenantRole::Staff {
        return Err(ApiError::Forbidden(
            "Only the shop owner and platform operators may read the audit log.",
        ));
    }
    let entries = audit::list(&state.db, tenant.tenant_id, 500).await?;
    Ok(ApiJson(entries.into_iter().map(AuditOut::from).collect()))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// National ID to look for; needs `country`.
    national_id: Option<String>,
    /// ISO 3166-1 alpha-2 country of `national_id`.
    country: Option<String>,
    /// IBAN to look for.
    iban: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IdentityMatch {
    shop_id: Uuid,
    slug: String,
    name: String,
    /// `national_id` or `iban`.
    matched_on: String,
}

/// Shops whose merchant registered this national ID or IBAN, found through the blind index
/// (platform reviewers and admins). Each match is recorded in that shop's audit log.
#[utoipa::path(get, path = "/v1/admin/identities", tag = "admin", params(SearchQuery),
    responses(
        (status = 200, body = Vec<IdentityMatch>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn search_identities(
    State(state): State<AppState>,
    operator: PlatformPrincipal,
    RequestId(request_id): RequestId,
    Query(q): Query<SearchQuery>,
) -> Result<ApiJson<Vec<IdentityMatch>>, ApiError> {
    let mut errs = Vec::new();
    // Each search term with the index inputs to try: for a national ID the current form (the
    // identifier alone) and the form indexes had before (with the declared country), until a
    // root rotation has recomputed every stored index.
    let mut wanted: Vec<(
        &'static str,
        BlindIndexKind,
        Vec<zeroize::Zeroizing<String>>,
    )> = Vec::new();
    if let Some(raw) = q.national_id.as_deref() {
        match q.country.as_deref().map(pii::Country::parse) {
            None => errs.push(FieldError::new(
                "country",
                "required",
                "Give the country of the national ID.",
            )),
            Some(Err(e)) => errs.push(FieldError::new("country", e.code, e.message)),
            Some(Ok(c)) => match pii::NationalId::parse(raw, c) {
                Ok(id) => wanted.push((
                    "national_id",
                    BlindIndexKind::NationalId,
                    vec![id.blind_index_input(), id.legacy_blind_index_input()],
                )),
                Err(e) => errs.push(FieldError::new("national_id", e.code, e.message)),
            },
        }
    }
    if let Some(raw) = q.iban.as_deref() {
        match pii::Iban::parse(raw) {
            Ok(iban) => wanted.push((
                "iban",
                BlindIndexKind::Iban,
                vec![zeroize::Zeroizing::new(
                    iban.blind_index_input().to_string(),
                )],
            )),
            Err(e) => errs.push(FieldError::new("iban", e.code, e.message)),
        }
    }
    if wanted.is_empty() && errs.is_empty() {
        errs.push(FieldError::new(
            "query",
            "required",
            "Give national_id with country, or iban.",
        ));
    }
    if !errs.is_empty() {
        return Err(ApiError::Validation(errs));
    }
    let vault = state.vault.clone();
    let actor = format!("platform_{}:{}", operator.role.as_str(), operator.token_id);
    let searched: Vec<String> = wanted.iter().map(|(f, _, _)| f.to_string()).collect();
    let matches = state
        .db
        .transaction::<_, Vec<IdentityMatch>, ApiError>(|txn| {
            Box::pin(async move {
                // Every search is audited, matched or not, in the platform's chain, first (it
                // is also the transaction's first write); then each match in its shop's chain.
                audit::append(
                    txn,
                    &vault,
                    crate::rotation::PLATFORM_TENANT,
                    audit::Event {
                        actor: actor.clone(),
                        action: "identity.search",
                        fields: searched,
                        purpose: Some("kyc_review"),
                        request_id: request_id.clone(),
                    },
                )
                .await?;
                let mut matches: Vec<IdentityMatch> = Vec::new();
                for (field, kind, inputs) in wanted {
                    for (shop_id, shop) in lookup(txn, &vault, kind, &inputs).await? {
                        if matches
                            .iter()
                            .any(|m| m.shop_id == shop_id && m.matched_on == field)
                        {
                            continue;
                        }
                        audit::append(
                            txn,
                            &vault,
                            shop_id,
                            audit::Event {
                                actor: actor.clone(),
                                action: "identity.search_match",
                                fields: vec![field.to_string()],
                                purpose: Some("kyc_review"),
                                request_id: request_id.clone(),
                            },
                        )
                        .await?;
                        matches.push(IdentityMatch {
                            shop_id,
                            slug: shop.slug,
                            name: shop.name,
                            matched_on: field.into(),
                        });
                    }
                }
                Ok(matches)
            })
        })
        .await?;
    Ok(ApiJson(matches))
}

/// Shops whose stored blind index of `kind` equals one of `inputs` under any root version an
/// index may have been written under.
async fn lookup(
    txn: &sea_orm::DatabaseTransaction,
    vault: &harim_vault::Vault,
    kind: BlindIndexKind,
    inputs: &[zeroize::Zeroizing<String>],
) -> Result<Vec<(Uuid, shop::Model)>, ApiError> {
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
