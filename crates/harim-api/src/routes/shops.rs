//! Shops (tenants), their members and their API keys.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::ApiJson;
use crate::{
    AppState,
    auth::{Principal, ShopRole, TokenKind, mint_token},
    entity::{account, api_key, membership, shop},
    error::ApiError,
    tenant::{TenantCtx, TenantRole},
    validate::{self, Errors},
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_shop, list_shops))
        .routes(routes!(get_shop))
        .routes(routes!(add_member))
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

impl ShopLocale {
    pub fn as_str(self) -> &'static str {
        match self {
            ShopLocale::En => "en",
            ShopLocale::Fa => "fa",
            ShopLocale::Ar => "ar",
            ShopLocale::Sq => "sq",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.into())).ok()
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopIn {
    name: String,
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

fn shop_out(s: shop::Model, role: &str) -> ShopOut {
    ShopOut {
        id: s.id,
        name: s.name,
        slug: s.slug,
        default_locale: ShopLocale::parse(&s.default_locale).unwrap_or(ShopLocale::En),
        role: role.into(),
    }
}

fn role_name(role: TenantRole) -> &'static str {
    match role {
        TenantRole::Owner => "owner",
        TenantRole::Staff => "staff",
        TenantRole::Platform(_) => "platform",
    }
}

/// Create a shop; the caller becomes its owner.
#[utoipa::path(post, path = "/v1/shops", tag = "shops", request_body = ShopIn,
    responses(
        (status = 201, body = ShopOut),
        (status = 409, description = "slug taken", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn create_shop(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(input): ApiJson<ShopIn>,
) -> Result<(StatusCode, ApiJson<ShopOut>), ApiError> {
    let account_id = principal.account_id()?;
    let mut errs = Errors::default();
    let name = validate::label(&mut errs, "name", &input.name, 100);
    let slug = validate::slug(&mut errs, "slug", &input.slug);
    errs.finish()?;

    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    let model = shop::Model {
        id,
        name,
        slug,
        default_locale: input.default_locale.as_str().into(),
        created_at: now,
    };
    let row = model.clone();
    let vault = state.vault.clone();
    let result = state
        .db
        .transaction::<_, (), ApiError>(|txn| {
            Box::pin(async move {
                shop::ActiveModel::from(row).insert(txn).await?;
                membership::ActiveModel {
                    tenant_id: Set(id),
                    account_id: Set(account_id),
                    role: Set(ShopRole::Owner.as_str().into()),
                    created_at: Set(now),
                }
                .insert(txn)
                .await?;
                crate::keys::create(txn, &vault, id).await?;
                crate::audit::create_head(txn, id).await?;
                Ok(())
            })
        })
        .await;
    match result.map_err(ApiError::from) {
        Ok(()) => Ok((StatusCode::CREATED, ApiJson(shop_out(model, "owner")))),
        Err(e) if e.is_unique_violation() => {
            Err(ApiError::Conflict("A shop with this slug already exists."))
        }
        Err(e) => Err(e),
    }
}

/// Shops the caller belongs to (an API key sees its own shop).
#[utoipa::path(get, path = "/v1/shops", tag = "shops",
    responses((status = 200, body = Vec<ShopOut>)))]
async fn list_shops(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<ApiJson<Vec<ShopOut>>, ApiError> {
    let out = match principal {
        Principal::Account { account_id, .. } => {
            let members = membership::Entity::find()
                .filter(membership::Column::AccountId.eq(account_id))
                .all(&state.db)
                .await?;
            let ids: Vec<Uuid> = members.iter().map(|m| m.tenant_id).collect();
            let shops = shop::Entity::find()
                .filter(shop::Column::Id.is_in(ids))
                .order_by_asc(shop::Column::CreatedAt)
                .all(&state.db)
                .await?;
            shops
                .into_iter()
                .filter_map(|s| {
                    let role = members.iter().find(|m| m.tenant_id == s.id)?.role.clone();
                    Some(shop_out(s, &role))
                })
                .collect()
        }
        Principal::ApiKey {
            tenant_id, role, ..
        } => shop::Entity::find_by_id(tenant_id)
            .one(&state.db)
            .await?
            .map(|s| shop_out(s, role.as_str()))
            .into_iter()
            .collect(),
        Principal::Platform { .. } => {
            return Err(ApiError::Forbidden(
                "Platform operators use the /v1/admin endpoints.",
            ));
        }
    };
    Ok(ApiJson(out))
}

/// One shop.
#[utoipa::path(get, path = "/v1/shops/{shop_id}", tag = "shops",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = ShopOut), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_shop(
    State(state): State<AppState>,
    ctx: TenantCtx,
) -> Result<ApiJson<ShopOut>, ApiError> {
    let s = find_shop(&state.db, &ctx).await?;
    Ok(ApiJson(shop_out(s, role_name(ctx.role))))
}

pub(crate) async fn find_shop(
    db: &impl ConnectionTrait,
    ctx: &TenantCtx,
) -> Result<shop::Model, ApiError> {
    shop::Entity::find_by_id(ctx.tenant_id)
        .one(db)
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberIn {
    email: String,
    /// Only `staff` can be granted; a shop has one owner.
    role: ShopRole,
}

#[derive(Serialize, ToSchema)]
pub struct MemberOut {
    account_id: Uuid,
    email: String,
    role: ShopRole,
}

/// Add an existing account to the shop as staff (owner only).
#[utoipa::path(post, path = "/v1/shops/{shop_id}/members", tag = "shops",
    params(("shop_id" = Uuid, Path)), request_body = MemberIn,
    responses(
        (status = 201, body = MemberOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, description = "already a member", body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn add_member(
    State(state): State<AppState>,
    ctx: TenantCtx,
    ApiJson(input): ApiJson<MemberIn>,
) -> Result<(StatusCode, ApiJson<MemberOut>), ApiError> {
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
    let acct = account::Entity::find()
        .filter(account::Column::Email.eq(email.clone()))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::validation_one(
                "email",
                "unknown_account",
                "No account uses this e-mail address; ask them to sign up first.",
            )
        })?;
    let res = membership::ActiveModel {
        tenant_id: Set(ctx.tenant_id),
        account_id: Set(acct.id),
        role: Set(ShopRole::Staff.as_str().into()),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(&state.db)
    .await;
    match res {
        Ok(_) => Ok((
            StatusCode::CREATED,
            ApiJson(MemberOut {
                account_id: acct.id,
                email,
                role: ShopRole::Staff,
            }),
        )),
        Err(e) => match ApiError::from(e) {
            e if e.is_unique_violation() => Err(ApiError::Conflict(
                "This account is already a member of the shop.",
            )),
            e => Err(e),
        },
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    name: String,
    role: ShopRole,
}

#[derive(Serialize, ToSchema)]
pub struct ApiKeyOut {
    id: Uuid,
    name: String,
    role: ShopRole,
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
    ctx: TenantCtx,
    ApiJson(input): ApiJson<ApiKeyIn>,
) -> Result<(StatusCode, ApiJson<ApiKeyOut>), ApiError> {
    ctx.require_owner_session()?;
    let mut errs = Errors::default();
    let name = validate::label(&mut errs, "name", &input.name, 100);
    errs.finish()?;
    let token = mint_token(TokenKind::ApiKey);
    let id = Uuid::now_v7();
    api_key::ActiveModel {
        tenant_id: Set(ctx.tenant_id),
        id: Set(id),
        key_hash: Set(token.digest),
        name: Set(name.clone()),
        role: Set(input.role.as_str().into()),
        created_at: Set(OffsetDateTime::now_utc()),
    }
    .insert(&state.db)
    .await?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ApiKeyOut {
            id,
            name,
            role: input.role,
            key: token.token.expose_secret().to_string(),
        }),
    ))
}

/// Revoke an API key (owner, signed in).
#[utoipa::path(delete, path = "/v1/shops/{shop_id}/api-keys/{key_id}", tag = "shops",
    params(("shop_id" = Uuid, Path), ("key_id" = Uuid, Path)),
    responses((status = 204, description = "revoked"), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn delete_api_key(
    State(state): State<AppState>,
    ctx: TenantCtx,
    Path((_, key_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    ctx.require_owner_session()?;
    let res = api_key::Entity::delete_many()
        .filter(api_key::Column::TenantId.eq(ctx.tenant_id))
        .filter(api_key::Column::Id.eq(key_id))
        .exec(&state.db)
        .await?;
    if res.rows_affected == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}
