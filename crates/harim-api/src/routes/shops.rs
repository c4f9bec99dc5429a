//! Shops (tenants), their members and their API keys.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use harim_store::{ids::ApiKeyId, shops};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState,
    auth::Caller,
    error::ApiError,
    scope::ShopCtx,
    validate::{self, Errors},
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_shop, list_shops))
        .routes(routes!(get_shop))
        .routes(routes!(add_member))
        .routes(routes!(accept_invitation))
        .routes(routes!(create_api_key))
        .routes(routes!(delete_api_key))
}

/// Locales a shop's policy can be published in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ShopLocale {
    En,
    Fa,
    Ar,
    Sq,
}

// The wire form of `harim_policy::Locale`, the one locale type (this enum exists for the
// OpenAPI schema only).
impl From<ShopLocale> for harim_policy::Locale {
    fn from(l: ShopLocale) -> Self {
        match l {
            ShopLocale::En => Self::En,
            ShopLocale::Fa => Self::Fa,
            ShopLocale::Ar => Self::Ar,
            ShopLocale::Sq => Self::Sq,
        }
    }
}

impl From<harim_policy::Locale> for ShopLocale {
    fn from(l: harim_policy::Locale) -> Self {
        match l {
            harim_policy::Locale::En => Self::En,
            harim_policy::Locale::Fa => Self::Fa,
            harim_policy::Locale::Ar => Self::Ar,
            harim_policy::Locale::Sq => Self::Sq,
        }
    }
}

/// A role inside one shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ShopRole {
    Owner,
    Staff,
}

impl From<harim_store::roles::ShopRole> for ShopRole {
    fn from(r: harim_store::roles::ShopRole) -> Self {
        match r {
            harim_store::roles::ShopRole::Owner => Self::Owner,
            harim_store::roles::ShopRole::Staff => Self::Staff,
        }
    }
}

impl From<ShopRole> for harim_store::roles::ShopRole {
    fn from(r: ShopRole) -> Self {
        match r {
            ShopRole::Owner => Self::Owner,
            ShopRole::Staff => Self::Staff,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopIn {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u180E\\u200B\\u2060\\uFEFF\\u202A-\\u202E\\u2066-\\u2069][^\\u0000-\\u001F\\u007F-\\u009F\\u180E\\u200B\\u2060\\uFEFF\\u202A-\\u202E\\u2066-\\u2069]*$"
    )]
    name: String,
    /// 3 to 63 of `a-z0-9-`, starting and ending with a letter or digit; not a reserved word.
    #[schema(
        min_length = 3,
        max_length = 63,
        pattern = "^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$"
    )]
    slug: String,
    default_locale: ShopLocale,
}

#[derive(Serialize, ToSchema)]
pub struct ShopOut {
    id: Uuid,
    name: String,
    slug: String,
    default_locale: ShopLocale,
    /// The caller's role in this shop (`owner`, `staff`), or `platform` for operators.
    role: String,
}

fn shop_out(s: shops::Shop, role: &str) -> ShopOut {
    ShopOut {
        id: s.id.uuid(),
        name: s.name,
        slug: s.slug,
        default_locale: s.default_locale.into(),
        role: role.into(),
    }
}

/// Create a shop; the caller becomes its owner.
#[utoipa::path(post, path = "/v1/shops", tag = "shops", request_body = ShopIn,
    responses(
        (status = 201, body = ShopOut, headers(("location" = String, description = "the new shop: `/v1/shops/{id}`"))),
        (status = 409, description = "slug taken", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn create_shop(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<ShopIn>,
) -> Result<super::Created<ShopOut>, ApiError> {
    let owner = caller.account_id()?;
    let mut errs = Errors::default();
    let name = validate::label(&mut errs, "name", &input.name, 100);
    let slug = validate::slug(&mut errs, "slug", &input.slug);
    errs.finish()?;
    let shop = shops::create(
        &state.db,
        &state.vault,
        owner,
        name,
        slug,
        input.default_locale.into(),
    )
    .await?;
    let location = format!("/v1/shops/{}", shop.id.uuid());
    Ok(super::created(location, shop_out(shop, "owner")))
}

/// Shops the caller belongs to (an API key sees its own shop).
#[utoipa::path(get, path = "/v1/shops", tag = "shops",
    responses((status = 200, body = Vec<ShopOut>)))]
async fn list_shops(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<ApiJson<Vec<ShopOut>>, ApiError> {
    let out = shops::list(&state.db, &caller)
        .await?
        .into_iter()
        .map(|(shop, role)| shop_out(shop, &role))
        .collect();
    Ok(ApiJson(out))
}

/// One shop.
#[utoipa::path(get, path = "/v1/shops/{shop_id}", tag = "shops",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = ShopOut), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_shop(
    State(state): State<AppState>,
    ctx: ShopCtx,
) -> Result<ApiJson<ShopOut>, ApiError> {
    let shop = shops::get(&state.db, &ctx).await?;
    Ok(ApiJson(shop_out(shop, ctx.role().as_str())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    #[schema(format = Email, min_length = 6, max_length = 254, pattern = "^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$")]
    email: String,
    /// Only `staff` can be granted; a shop has one owner.
    role: ShopRole,
}

#[derive(Serialize, ToSchema)]
pub struct InvitationOut {
    email: String,
    role: ShopRole,
    #[serde(with = "time::serde::rfc3339")]
    expires_at: time::OffsetDateTime,
    /// Give this to the invitee (harim sends no mail); they accept it signed in as `email`
    /// with `POST /v1/invitations/accept`. Shown this once.
    token: String,
}

/// Invite an e-mail address to the shop's staff (owner, signed in). Nothing changes for the
/// invitee until they accept; the answer is the same whether or not the address has an
/// account, and names no account.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/members", tag = "shops",
    params(("shop_id" = Uuid, Path)), request_body = MemberIn,
    responses(
        (status = 202, body = InvitationOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn add_member(
    State(state): State<AppState>,
    ctx: ShopCtx,
    ApiJson(input): ApiJson<MemberIn>,
) -> Result<(StatusCode, ApiJson<InvitationOut>), ApiError> {
    ctx.require_owner_session()?;
    let mut errs = Errors::default();
    let email = validate::email(&input.email);
    if email.is_none() {
        errs.add("email", "invalid", "Must be an e-mail address.");
    }
    if input.role != ShopRole::Staff {
        errs.add("role", "invalid", "Only the staff role can be granted.");
    }
    errs.finish()?;
    let email = email.unwrap_or_default();
    let inv = shops::invite(&state.db, &ctx, &email).await?;
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(InvitationOut {
            email: inv.email,
            role: ShopRole::Staff,
            expires_at: inv.expires_at,
            token: inv.token.expose_secret().to_string(),
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptIn {
    /// The invitation's token.
    token: String,
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    shop_id: Uuid,
    account_id: Uuid,
    role: ShopRole,
}

/// Accept an invitation, signed in as the invited address: the caller becomes staff of the shop.
#[utoipa::path(post, path = "/v1/invitations/accept", tag = "shops", request_body = AcceptIn,
    responses(
        (status = 200, body = MemberOut),
        (status = 401, body = crate::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not signed in with a session", body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "unknown, expired, used, for another address, or already a member", body = crate::Problem, content_type = "application/problem+json")))]
async fn accept_invitation(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<AcceptIn>,
) -> Result<ApiJson<MemberOut>, ApiError> {
    let m = shops::accept_invitation(&state.db, &caller, input.token.trim()).await?;
    Ok(ApiJson(MemberOut {
        shop_id: m.shop.uuid(),
        account_id: m.account.uuid(),
        role: m.role.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\s\\u0000-\\u001F\\u007F-\\u009F\\u180E\\u200B\\u2060\\uFEFF\\u202A-\\u202E\\u2066-\\u2069][^\\u0000-\\u001F\\u007F-\\u009F\\u180E\\u200B\\u2060\\uFEFF\\u202A-\\u202E\\u2066-\\u2069]*$"
    )]
    name: String,
    role: ShopRole,
    /// `["customers"]`: the key reaches only the customer routes. Absent: every route its role
    /// allows.
    #[serde(default)]
    scopes: Option<Vec<String>>,
    /// The customer reveal purposes the key may use (e.g. `["shipping"]` for a courier);
    /// absent: all of them. A reveal outside them is 403.
    #[serde(default)]
    reveal_purposes: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    id: Uuid,
    name: String,
    role: ShopRole,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reveal_purposes: Option<Vec<String>>,
    /// The key itself, shown this once. It acts for this shop only.
    key: String,
}

/// Create an API key for this shop (owner, signed in).
#[utoipa::path(post, path = "/v1/shops/{shop_id}/api-keys", tag = "shops",
    params(("shop_id" = Uuid, Path)), request_body = ApiKeyIn,
    responses(
        (status = 201, body = ApiKeyOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn create_api_key(
    State(state): State<AppState>,
    ctx: ShopCtx,
    ApiJson(input): ApiJson<ApiKeyIn>,
) -> Result<(StatusCode, ApiJson<ApiKeyOut>), ApiError> {
    ctx.require_owner_session()?;
    let mut errs = Errors::default();
    let name = validate::label(&mut errs, "name", &input.name, 100);
    if let Some(scopes) = &input.scopes {
        if scopes.is_empty() {
            errs.add(
                "scopes",
                "required",
                "Name at least one scope, or leave `scopes` out.",
            );
        }
        for (i, s) in scopes.iter().enumerate() {
            if s != "customers" {
                errs.add(
                    &format!("scopes[{i}]"),
                    "unknown_scope",
                    "The one scope is `customers`.",
                );
            }
        }
    }
    let mut purposes: Vec<String> = Vec::new();
    if let Some(list) = &input.reveal_purposes {
        if list.is_empty() {
            errs.add(
                "reveal_purposes",
                "required",
                "Name at least one purpose, or leave `reveal_purposes` out.",
            );
        }
        for (i, p) in list.iter().enumerate() {
            if harim_store::customers::Purpose::parse(p).is_none() {
                errs.add(
                    &format!("reveal_purposes[{i}]"),
                    "unknown_purpose",
                    "A purpose is one of shipping, order_notification, support, legal_obligation, data_subject_request.",
                );
            } else if !purposes.contains(p) {
                purposes.push(p.clone());
            }
        }
    }
    errs.finish()?;
    let limits = harim_store::auth::KeyLimits {
        customers_only: input.scopes.is_some(),
        reveal_purposes: input.reveal_purposes.is_some().then_some(purposes),
    };
    let (id, key) =
        shops::create_api_key(&state.db, &ctx, &name, input.role.into(), &limits).await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ApiKeyOut {
            id: id.uuid(),
            name,
            role: input.role,
            scopes: limits.customers_only.then(|| vec!["customers".to_string()]),
            reveal_purposes: limits.reveal_purposes,
            key: key.expose_secret().to_string(),
        }),
    ))
}

/// Revoke an API key (owner, signed in).
#[utoipa::path(delete, path = "/v1/shops/{shop_id}/api-keys/{key_id}", tag = "shops",
    params(("shop_id" = Uuid, Path), ("key_id" = Uuid, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn delete_api_key(
    State(state): State<AppState>,
    ctx: ShopCtx,
    Path((_, key_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    shops::delete_api_key(&state.db, &ctx, ApiKeyId::from(key_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
