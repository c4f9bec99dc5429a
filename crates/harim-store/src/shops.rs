//! Shops (tenants), their members and their API keys.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use secrecy::SecretString;
use time::OffsetDateTime;

use harim_policy::Locale;
use harim_vault::Vault;

use crate::{
    StoreError, audit,
    auth::{Principal, TokenKind, mint_token},
    entity::{account, api_key, invitation, membership, shop},
    ids::{AccountId, ApiKeyId, ShopId},
    roles::ShopRole,
    scope::ShopScope,
    tenant_keys,
};

/// A shop as its members see it.
#[derive(Debug, Clone)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub slug: String,
    pub default_locale: Locale,
}

impl From<shop::Model> for Shop {
    fn from(m: shop::Model) -> Self {
        Self {
            id: m.id.into(),
            name: m.name,
            slug: m.slug,
            // Rows are written from a `Locale`; an unknown tag could only come from outside.
            default_locale: Locale::from_tag(&m.default_locale).unwrap_or(Locale::En),
        }
    }
}

/// Creates a shop with `owner` as its owner, its first tenant key and its audit chain, in one
/// transaction. The name and slug are already validated.
pub async fn create(
    db: &DatabaseConnection,
    vault: &std::sync::Arc<Vault>,
    owner: AccountId,
    name: String,
    slug: String,
    default_locale: Locale,
) -> Result<Shop, StoreError> {
    let now = OffsetDateTime::now_utc();
    let model = shop::Model {
        id: ShopId::new().uuid(),
        name,
        slug,
        default_locale: default_locale.tag().to_string(),
        created_at: now,
    };
    let row = model.clone();
    let vault = vault.clone();
    let id = model.id;
    crate::checkpoint::reached("shops.create.before_transaction", &model.slug).await;
    let result = db
        .transaction::<_, (), StoreError>(|txn| {
            Box::pin(async move {
                let slug = row.slug.clone();
                shop::ActiveModel::from(row).insert(txn).await?;
                // An erased shop's slug is never handed to another shop (its old links would
                // then serve someone else's policy). Checked after the insert, inside the
                // transaction: the insert waits on the slug's unique index while an erasure of
                // the shop holding it is uncommitted, so by now that erasure's fence is visible.
                // Checked before the transaction, an erasure committing in between lost the slug.
                if crate::fence::slug_erased(txn, &slug).await? {
                    return Err(StoreError::Conflict(
                        "A shop with this slug already exists.",
                    ));
                }
                // The owner must still exist when its membership is made. The membership's
                // foreign key holds that: its check takes a key-share lock on the account's row,
                // which an erasure of the account (it locks the row `FOR UPDATE` before it looks
                // for the shops it solely owns, `rights::erasure::erase_account`) either waits
                // for (and then finds this shop and erases it too) or holds first (and this
                // insert then finds no row: a foreign-key violation, refused below). Never a
                // shop without an owner. No explicit `FOR SHARE` here: on Citus a row lock on a
                // reference table takes a shard-wide lock that the membership insert's own lock
                // conflicts with, so two creations at once deadlocked. The plain read only gives
                // the usual case its clear answer.
                let erased = StoreError::Conflict("The account was erased; no shop was created.");
                if txn
                    .query_one(crate::db::statement(
                        txn,
                        "SELECT id FROM accounts WHERE id = $1",
                        [owner.uuid().into()],
                    ))
                    .await?
                    .is_none()
                {
                    return Err(erased);
                }
                let member = membership::ActiveModel {
                    tenant_id: Set(id),
                    account_id: Set(owner.uuid()),
                    role: Set(ShopRole::Owner),
                    created_at: Set(now),
                }
                .insert(txn)
                .await
                .map_err(StoreError::from);
                match member {
                    Err(e) if e.is_foreign_key_violation() => return Err(erased),
                    other => other?,
                };
                tenant_keys::create(txn, &vault, id).await?;
                audit::create_head(txn, id).await?;
                Ok(())
            })
        })
        .await
        .map_err(StoreError::from);
    match result {
        Ok(()) => Ok(model.into()),
        Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(
            "A shop with this slug already exists.",
        )),
        Err(e) => Err(e),
    }
}

/// The shops `principal` belongs to, with its role in each (an API key sees its own shop).
pub async fn list(
    db: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Vec<(Shop, String)>, StoreError> {
    match principal {
        Principal::Account { account_id, .. } => {
            let members = membership::Entity::find()
                .filter(membership::Column::AccountId.eq(*account_id))
                .all(db)
                .await?;
            let ids: Vec<uuid::Uuid> = members.iter().map(|m| m.tenant_id).collect();
            let shops = shop::Entity::find()
                .filter(shop::Column::Id.is_in(ids))
                .order_by_asc(shop::Column::CreatedAt)
                .all(db)
                .await?;
            Ok(shops
                .into_iter()
                .filter_map(|s| {
                    let role = members.iter().find(|m| m.tenant_id == s.id)?.role;
                    Some((s.into(), role.as_str().to_string()))
                })
                .collect())
        }
        Principal::ApiKey { shop, role, .. } => Ok(shop::Entity::find_by_id(shop.uuid())
            .one(db)
            .await?
            .map(|s| (s.into(), role.as_str().to_string()))
            .into_iter()
            .collect()),
        Principal::Platform { .. } => Err(StoreError::Forbidden(
            "Platform operators use the /v1/admin endpoints.",
        )),
    }
}

/// The scope's shop.
pub async fn get(db: &impl ConnectionTrait, scope: &ShopScope) -> Result<Shop, StoreError> {
    Ok(find(db, scope).await?.into())
}

/// The scope's shop row.
pub async fn find(db: &impl ConnectionTrait, scope: &ShopScope) -> Result<shop::Model, StoreError> {
    shop::Entity::find_by_id(scope.tenant_id())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

/// How long an invitation can be accepted.
pub const INVITATION_TTL: time::Duration = time::Duration::days(7);

/// An invitation as its sender sees it: no account id, and the same whether or not the
/// address has an account (an owner cannot use invitations to learn who has signed up).
#[derive(Debug)]
pub struct Invitation {
    pub email: String,
    pub role: ShopRole,
    pub expires_at: OffsetDateTime,
    /// Handed to the invitee (harim sends no mail); shown once, stored as a digest.
    pub token: SecretString,
}

/// Invites `email` (validated, lowercased) to the scope's shop as staff (owner, signed in).
/// Nothing changes for the invitee until they accept.
pub async fn invite(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    email: &str,
) -> Result<Invitation, StoreError> {
    scope.require_owner_session()?;
    let token = mint_token(TokenKind::Invitation);
    let now = OffsetDateTime::now_utc();
    let expires_at = now + INVITATION_TTL;
    invitation::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        id: Set(uuid::Uuid::now_v7()),
        email: Set(email.to_string()),
        role: Set(ShopRole::Staff),
        token_hash: Set(token.digest),
        invited_by: Set(scope.actor()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        accepted_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Invitation {
        email: email.to_string(),
        role: ShopRole::Staff,
        expires_at,
        token: token.token,
    })
}

/// A membership, once an invitation is accepted.
#[derive(Debug, Clone)]
pub struct Membership {
    pub shop: ShopId,
    pub account: AccountId,
    pub role: ShopRole,
}

const INVITATION_UNUSABLE: &str =
    "This invitation is unknown, expired, already used, or for another e-mail address.";

/// Accepts an invitation: `principal` must be signed in as the invited address. One answer for
/// every reason it cannot be used, so a token reveals nothing about the shop or the address.
pub async fn accept_invitation(
    db: &DatabaseConnection,
    principal: &Principal,
    token: &str,
) -> Result<Membership, StoreError> {
    let account_id = principal.account_id()?;
    let digest = crate::auth::token_digest(token);
    let txn = db.begin().await?;
    // Write first (SQLite: take the write lock before reading): claim the invitation.
    let now = OffsetDateTime::now_utc();
    let claimed = invitation::Entity::update_many()
        .col_expr(
            invitation::Column::AcceptedAt,
            sea_orm::sea_query::Expr::value(Some(now)),
        )
        .filter(invitation::Column::TokenHash.eq(digest.clone()))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(StoreError::Conflict(INVITATION_UNUSABLE));
    }
    let inv = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(digest.clone()))
        .one(&txn)
        .await?
        .filter(|i| crate::auth::digests_equal(&i.token_hash, &digest))
        .ok_or(StoreError::Conflict(INVITATION_UNUSABLE))?;
    let account = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    if account.email != inv.email {
        // Dropping the transaction rolls the claim back: the invitee can still use it.
        return Err(StoreError::Conflict(INVITATION_UNUSABLE));
    }
    let res = membership::ActiveModel {
        tenant_id: Set(inv.tenant_id),
        account_id: Set(account_id.uuid()),
        role: Set(inv.role),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(StoreError::from);
    match res {
        Ok(_) => {}
        Err(e) if e.is_unique_violation() => {
            return Err(StoreError::Conflict(
                "This account is already a member of the shop.",
            ));
        }
        Err(e) => return Err(e),
    }
    txn.commit().await?;
    Ok(Membership {
        shop: inv.tenant_id.into(),
        account: account_id,
        role: inv.role,
    })
}

/// A new API key of the scope's shop (owner, signed in); the key is shown once.
pub async fn create_api_key(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    name: &str,
    role: ShopRole,
    limits: &crate::auth::KeyLimits,
) -> Result<(ApiKeyId, SecretString), StoreError> {
    scope.require_owner_session()?;
    let token = mint_token(TokenKind::ApiKey);
    let id = ApiKeyId::new();
    let now = OffsetDateTime::now_utc();
    api_key::ActiveModel {
        tenant_id: Set(scope.tenant_id()),
        id: Set(id.uuid()),
        key_hash: Set(token.digest),
        name: Set(name.to_string()),
        role: Set(role),
        created_at: Set(now),
        // A key never used counts from its creation.
        last_used_at: Set(Some(now)),
        scopes: Set(limits.customers_only.then(|| "customers".to_string())),
        reveal_purposes: Set(limits.reveal_purposes.as_ref().map(|p| p.join(","))),
    }
    .insert(db)
    .await?;
    Ok((id, token.token))
}

/// Revokes an API key of the scope's shop (owner, signed in); another shop's key is not found.
pub async fn delete_api_key(
    db: &impl ConnectionTrait,
    scope: &ShopScope,
    key: ApiKeyId,
) -> Result<(), StoreError> {
    scope.require_owner_session()?;
    let res = api_key::Entity::delete_many()
        .filter(api_key::Column::TenantId.eq(scope.tenant_id()))
        .filter(api_key::Column::Id.eq(key.uuid()))
        .exec(db)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
