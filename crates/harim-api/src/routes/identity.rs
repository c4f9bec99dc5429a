//! The merchant identity: validated, encrypted field by field, read masked, revealed only with a
//! purpose and an audit entry written first.

use std::collections::BTreeMap;

use axum::extract::State;
use harim_store::{audit, identity};
use harim_vault::pii::{self, IDENTITY_FIELDS, IdentityInput, MaskedIdentity, MerchantIdentity};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, Purpose, RequestId};
use crate::{AppState, auth::Operator, error::ApiError, scope::ShopCtx, validate::Errors};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_identity, get_identity))
        .routes(routes!(reveal_identity))
        .routes(routes!(get_audit))
        .routes(routes!(search_identities))
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

impl IdentityOut {
    fn new(m: MaskedIdentity, updated_at: OffsetDateTime) -> Self {
        Self {
            full_name: m.full_name,
            national_id: m.national_id,
            iban: m.iban,
            birth_date: m.birth_date,
            phone: m.phone,
            email: m.email,
            address: m.address,
            postal_code: m.postal_code,
            country: m.country,
            updated_at,
        }
    }
}

fn vault_errors(errs: Vec<pii::Violation>) -> ApiError {
    ApiError::Validation(errs)
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
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    ApiJson(input): ApiJson<IdentityInput>,
) -> Result<ApiJson<IdentityOut>, ApiError> {
    tenant.require_owner()?;
    let identity =
        MerchantIdentity::parse(input, OffsetDateTime::now_utc().date()).map_err(vault_errors)?;
    let (masked, at) =
        identity::write(&state.db, &state.vault, &tenant, identity, request_id).await?;
    Ok(ApiJson(IdentityOut::new(masked, at)))
}

/// The shop's merchant identity, masked (any member, platform operators).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/identity", tag = "identity",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = IdentityOut), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_identity(
    State(state): State<AppState>,
    tenant: ShopCtx,
) -> Result<ApiJson<IdentityOut>, ApiError> {
    let (masked, at) = identity::read_masked(&state.db, &state.vault, &tenant).await?;
    Ok(ApiJson(IdentityOut::new(masked, at)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealIn {
    /// Field names: full_name, national_id, iban, birth_date, phone, email, address, postal_code, country.
    fields: Vec<String>,
    purpose: Purpose,
}

impl RevealIn {
    /// The named fields, each once, in the order first named; every unknown name is refused.
    fn fields(&self) -> Result<Vec<String>, ApiError> {
        super::common::reveal_fields(&self.fields, &IDENTITY_FIELDS, "Not an identity field.")
    }
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

impl Revealed {
    pub fn new(v: secrecy::SecretString) -> Self {
        Self(v)
    }
}

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
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    ApiJson(input): ApiJson<RevealIn>,
) -> Result<ApiJson<RevealOut>, ApiError> {
    let fields = input.fields()?;
    let purpose = input.purpose;
    let out = identity::reveal(
        &state.db,
        &state.vault,
        &tenant,
        fields,
        purpose.as_str(),
        request_id,
    )
    .await?
    .into_iter()
    .map(|(f, v)| (f, Revealed(v)))
    .collect();
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

impl From<audit::Entry> for AuditOut {
    fn from(e: audit::Entry) -> Self {
        Self {
            seq: e.seq,
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            fields: e.fields,
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
    tenant: ShopCtx,
) -> Result<ApiJson<Vec<AuditOut>>, ApiError> {
    let entries = audit::list_for(&state.db, &tenant, 500).await?;
    Ok(ApiJson(entries.into_iter().map(AuditOut::from).collect()))
}

/// What to look for. A body, not a query string: URLs end up in proxy and load-balancer access
/// logs, browser histories and `Referer` headers, where a national ID or an IBAN must never be.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchIn {
    /// National ID to look for; needs `country`.
    national_id: Option<String>,
    /// ISO 3166-1 alpha-2 country of `national_id`.
    country: Option<String>,
    /// IBAN to look for.
    iban: Option<String>,
}

impl SearchIn {
    /// What to look for: a national ID with its country, an IBAN, or both.
    fn terms(&self) -> Result<Vec<identity::SearchTerm>, ApiError> {
        let mut errs = Errors::default();
        let mut terms = Vec::new();
        if let Some(raw) = self.national_id.as_deref() {
            match self.country.as_deref().map(pii::Country::parse) {
                None => errs.add(
                    "country",
                    "required",
                    "Give the country of the national ID.",
                ),
                Some(Err(e)) => errs.add("country", e.code, e.message),
                Some(Ok(c)) => match pii::NationalId::parse(raw, c) {
                    Ok(id) => terms.push(identity::SearchTerm::NationalId(id)),
                    Err(e) => errs.add("national_id", e.code, e.message),
                },
            }
        }
        if let Some(raw) = self.iban.as_deref() {
            match pii::Iban::parse(raw) {
                Ok(iban) => terms.push(identity::SearchTerm::Iban(iban)),
                Err(e) => errs.add("iban", e.code, e.message),
            }
        }
        if terms.is_empty() && errs.0.is_empty() {
            errs.add(
                "body",
                "required",
                "Give national_id with country, or iban.",
            );
        }
        errs.finish()?;
        Ok(terms)
    }
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
/// (platform reviewers and admins). Each match is recorded in that shop's audit log. The values
/// travel in the body (`POST`), never in the URL; `GET` answers 405.
#[utoipa::path(post, path = "/v1/admin/identities", tag = "admin", request_body = SearchIn,
    responses(
        (status = 200, body = Vec<IdentityMatch>),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn search_identities(
    State(state): State<AppState>,
    operator: Operator,
    RequestId(request_id): RequestId,
    ApiJson(q): ApiJson<SearchIn>,
) -> Result<ApiJson<Vec<IdentityMatch>>, ApiError> {
    let terms = q.terms()?;
    let matches = identity::search(&state.db, &state.vault, &operator, terms, request_id)
        .await?
        .into_iter()
        .map(|m| IdentityMatch {
            shop_id: m.shop.uuid(),
            slug: m.slug,
            name: m.name,
            matched_on: m.matched_on.into(),
        })
        .collect();
    Ok(ApiJson(matches))
}
