//! Scopes: the only way a use case reaches data. A [`ShopScope`] is a verified (principal,
//! shop) pair and can be made only by [`ShopScope::resolve`]; every tenant use case takes one,
//! so no query can run for a shop the caller may not act in. The few platform-wide operations
//! (review queue, decisions, blind-index search, key administration) take a [`PlatformScope`].
//!
//! Every failure to resolve a tenant scope, including "the shop exists but belongs to someone
//! else", is [`StoreError::NotFound`], so a caller cannot learn which ids exist.
//!
//! On the request path a tenant route makes its scope from the bearer token in one statement
//! ([`ShopScope::authenticate`]: the token's row joined with the membership or the shop);
//! [`ShopScope::resolve`] is for a principal already authenticated.

use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    StoreError,
    auth::{self, Principal},
    db::statement,
    entity::{membership, platform_token, session, shop},
    ids::{PlatformTokenId, ShopId},
    roles::{PlatformRole, ShopRole},
};

fn shop_role(role: ShopRole) -> ShopAccess {
    match role {
        ShopRole::Owner => ShopAccess::Owner,
        ShopRole::Staff => ShopAccess::Staff,
    }
}

/// What the caller is inside this shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopAccess {
    /// A person with the owner role, or an owner-role API key.
    Owner,
    /// A staff member or staff-role API key: sees masks, cannot reveal or administer.
    Staff,
    /// A platform operator reaching into the shop for review or operations.
    Platform(PlatformRole),
}

impl ShopAccess {
    /// `owner`, `staff` or `platform`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShopAccess::Owner => "owner",
            ShopAccess::Staff => "staff",
            ShopAccess::Platform(_) => "platform",
        }
    }
}

/// A verified (principal, shop) pair. Fields are private: only [`ShopScope::resolve`] makes one.
#[derive(Debug, Clone)]
pub struct ShopScope {
    shop: ShopId,
    principal: Principal,
    role: ShopAccess,
}

impl ShopScope {
    /// The scope of `principal` in shop `shop`, if it may act there.
    pub async fn resolve(
        db: &impl ConnectionTrait,
        principal: Principal,
        shop: ShopId,
    ) -> Result<Self, StoreError> {
        let role = match &principal {
            Principal::Account { account_id, .. } => {
                let m = membership::Entity::find_by_id((shop.uuid(), account_id.uuid()))
                    .one(db)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                shop_role(m.role)
            }
            Principal::ApiKey {
                shop: key_shop,
                role,
                ..
            } => {
                if *key_shop != shop {
                    return Err(StoreError::NotFound);
                }
                shop_role(*role)
            }
            Principal::Platform { role, .. } => {
                shop::Entity::find_by_id(shop.uuid())
                    .one(db)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                ShopAccess::Platform(*role)
            }
        };
        Ok(Self {
            shop,
            principal,
            role,
        })
    }

    /// The scope of the holder of bearer `token` in shop `shop`, authenticating and resolving in
    /// one statement: [`auth::authenticate`] then [`ShopScope::resolve`] without the second
    /// round trip. `Ok(None)`: the token is unknown, expired or malformed (401);
    /// [`StoreError::NotFound`]: it is valid but may not act in `shop` (not a member, a key of
    /// another shop, no such shop), exactly as `resolve` answers.
    ///
    /// A session is read with a `LEFT JOIN` of its account's membership in `shop`, a platform
    /// token with a `LEFT JOIN` of the shop; an API key carries its shop, so its one lookup is
    /// all there is. As in `auth::authenticate`, the row is found by digest and the digest
    /// compared again in constant time, and an expired session is no session.
    pub async fn authenticate(
        db: &impl ConnectionTrait,
        token: &str,
        shop: ShopId,
    ) -> Result<Option<Self>, StoreError> {
        let digest = auth::token_digest(token);
        let (principal, role) = match token.get(..3) {
            Some("hs_") => {
                let Some(row) = db
                    .query_one(statement(
                        db,
                        "SELECT s.token_hash, s.account_id, s.created_at, s.expires_at, \
                         m.role AS member_role \
                         FROM sessions s LEFT JOIN memberships m \
                         ON m.tenant_id = $2 AND m.account_id = s.account_id \
                         WHERE s.token_hash = $1",
                        [digest.clone().into(), shop.uuid().into()],
                    ))
                    .await?
                else {
                    return Ok(None);
                };
                let s = session::Model::from_query_result(&row, "")?;
                if !auth::digests_equal(&s.token_hash, &digest)
                    || s.expires_at <= OffsetDateTime::now_utc()
                {
                    return Ok(None);
                }
                let member: Option<String> = row.try_get("", "member_role")?;
                let role = member
                    .as_deref()
                    .map(|r| {
                        ShopRole::parse(r)
                            .ok_or_else(|| StoreError::internal("membership", "unknown role"))
                    })
                    .transpose()?;
                (
                    Principal::Account {
                        account_id: s.account_id.into(),
                        session_digest: digest,
                    },
                    role.map(shop_role),
                )
            }
            Some("hk_") => {
                // The key's own row names its shop: the lookup is `authenticate`'s.
                let Some(principal) = auth::authenticate(db, token).await? else {
                    return Ok(None);
                };
                let role = match &principal {
                    Principal::ApiKey {
                        shop: key_shop,
                        role,
                        ..
                    } if *key_shop == shop => Some(shop_role(*role)),
                    _ => None,
                };
                (principal, role)
            }
            Some("ha_") => {
                let Some(row) = db
                    .query_one(statement(
                        db,
                        "SELECT t.id, t.token_hash, t.name, t.role, t.created_at, t.expires_at, \
                         sh.id AS shop_id \
                         FROM platform_tokens t LEFT JOIN shops sh ON sh.id = $2 \
                         WHERE t.token_hash = $1",
                        [digest.clone().into(), shop.uuid().into()],
                    ))
                    .await?
                else {
                    return Ok(None);
                };
                let t = platform_token::Model::from_query_result(&row, "")?;
                if !auth::digests_equal(&t.token_hash, &digest)
                    || !t.live_at(OffsetDateTime::now_utc())
                {
                    return Ok(None);
                }
                let found: Option<Uuid> = row.try_get("", "shop_id")?;
                (
                    Principal::Platform {
                        token_id: t.id.into(),
                        role: t.role,
                    },
                    found.map(|_| ShopAccess::Platform(t.role)),
                )
            }
            _ => return Ok(None),
        };
        let role = role.ok_or(StoreError::NotFound)?;
        Ok(Some(Self {
            shop,
            principal,
            role,
        }))
    }

    /// The shop.
    pub fn shop(&self) -> ShopId {
        self.shop
    }

    /// The shop's id as stored (`tenant_id` columns).
    pub fn tenant_id(&self) -> Uuid {
        self.shop.uuid()
    }

    pub fn principal(&self) -> &Principal {
        &self.principal
    }

    pub fn role(&self) -> ShopAccess {
        self.role
    }

    /// True when the caller is a signed-in person (not an API key or platform token).
    pub fn via_session(&self) -> bool {
        matches!(self.principal, Principal::Account { .. })
    }

    /// Who acts, for audit records.
    pub fn actor(&self) -> String {
        self.principal.actor()
    }

    /// Owner-only actions are refused to staff (who can already see the shop exists).
    pub fn require_owner(&self) -> Result<(), StoreError> {
        match self.role {
            ShopAccess::Owner => Ok(()),
            _ => Err(StoreError::Forbidden("Only the shop owner may do this.")),
        }
    }

    /// Owner acting through a session (not an API key): managing members and keys.
    pub fn require_owner_session(&self) -> Result<(), StoreError> {
        self.require_owner_signed_in("API keys cannot manage members or keys.")
    }

    /// Owner acting through a session (not an API key), refused with `why` otherwise: what a
    /// leaked key must not be able to do (erase the shop, take all its data out at once).
    pub fn require_owner_signed_in(&self, why: &'static str) -> Result<(), StoreError> {
        self.require_owner()?;
        if !self.via_session() {
            return Err(StoreError::Forbidden(why));
        }
        Ok(())
    }
}

/// A platform operator, for the platform-wide use cases. Fields are private: only
/// [`PlatformScope::of`] (a platform token's principal) and [`PlatformScope::command_line`] make
/// one, so a use case that takes a `PlatformScope` knows an operator is acting, and checks the
/// role itself ([`PlatformScope::require`]) instead of trusting the handler to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformScope {
    operator: Operator,
    role: PlatformRole,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Operator {
    Token(PlatformTokenId),
    CommandLine(String),
}

impl PlatformScope {
    /// The operator behind `principal`, if it is one.
    pub fn of(principal: &Principal) -> Option<Self> {
        match principal {
            Principal::Platform { token_id, role } => Some(Self {
                operator: Operator::Token(*token_id),
                role: *role,
            }),
            _ => None,
        }
    }

    /// The `harim` command line, acting as `actor` (recorded as is in audit entries). Whoever
    /// runs it holds the database credentials and the key provider, which is more than any
    /// platform role grants, so it acts as an admin.
    pub fn command_line(actor: impl Into<String>) -> Self {
        Self {
            operator: Operator::CommandLine(actor.into()),
            role: PlatformRole::Admin,
        }
    }

    /// The operator's role.
    pub fn role(&self) -> PlatformRole {
        self.role
    }

    /// Who acts, for audit records.
    pub fn actor(&self) -> String {
        match &self.operator {
            Operator::Token(token_id) => Principal::Platform {
                token_id: *token_id,
                role: self.role,
            }
            .actor(),
            Operator::CommandLine(actor) => actor.clone(),
        }
    }

    /// Refused unless the operator has `role`.
    pub fn require(&self, role: PlatformRole, why: &'static str) -> Result<(), StoreError> {
        if self.role == role {
            Ok(())
        } else {
            Err(StoreError::Forbidden(why))
        }
    }

    /// Refused unless the operator is an admin: root keys, tenant keys, platform publishing.
    pub fn require_admin(&self) -> Result<(), StoreError> {
        self.require(PlatformRole::Admin, "Platform admins only.")
    }
}
