//! Persistence of tenant keys: the vault makes and wraps them, this module stores and loads them,
//! and keeps the one shared answer to "may this root version wrap?" (`root_key_versions`).

use crate::ids::PLATFORM_TENANT;
use harim_vault::{Vault, WrappedTenantKey};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    sea_query::Expr,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    db::statement,
    entity::{redacted::RedactedBytes, tenant_key},
    error::StoreError,
};

fn u32_of(v: i32) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::internal("tenant key", "negative version"))
}

fn i32_of(v: u32) -> Result<i32, StoreError> {
    i32::try_from(v).map_err(|_| StoreError::internal("tenant key", "version overflow"))
}

pub fn wrapped(row: &tenant_key::Model) -> Result<WrappedTenantKey, StoreError> {
    Ok(WrappedTenantKey {
        tenant_id: row.tenant_id,
        tk_version: u32_of(row.tk_version)?,
        kek_version: u32_of(row.kek_version)?,
        wrapped: row.wrapped.0.clone(),
    })
}

/// The row of a freshly made tenant key (no encryptions yet).
pub(crate) fn new_row(wk: WrappedTenantKey) -> Result<tenant_key::ActiveModel, StoreError> {
    Ok(tenant_key::ActiveModel {
        tenant_id: Set(wk.tenant_id),
        tk_version: Set(i32_of(wk.tk_version)?),
        kek_version: Set(i32_of(wk.kek_version)?),
        wrapped: Set(RedactedBytes(wk.wrapped)),
        encryptions: Set(0),
        created_at: Set(OffsetDateTime::now_utc()),
    })
}

/// Creates and stores the first tenant key of a new shop.
pub async fn create(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<(), StoreError> {
    let kek = wrap_version(db, vault).await?;
    new_row(vault.create_tenant_key_at(tenant_id, kek)?)?
        .insert(db)
        .await?;
    Ok(())
}

/// The newest tenant key of a shop, with the vault's counter seeded from the stored count.
pub async fn current(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<WrappedTenantKey, StoreError> {
    let row = tenant_key::Entity::find()
        .filter(tenant_key::Column::TenantId.eq(tenant_id))
        .order_by_desc(tenant_key::Column::TkVersion)
        .one(db)
        .await?
        // Every shop has a key from its creation until its erasure shreds it.
        .ok_or(StoreError::NotFound)?;
    vault.record_persisted_count(
        tenant_id,
        u32_of(row.tk_version)?,
        u64::try_from(row.encryptions).unwrap_or(0),
    );
    wrapped(&row)
}

/// What [`current_for_write`] answers: the key to encrypt under and the root version the
/// database says may wrap (and blind-index), held until commit.
#[derive(Debug)]
pub struct ForWrite {
    pub key: WrappedTenantKey,
    pub wrap_version: u32,
}

/// [`current`], [`count_encryptions`] and [`wrap_version`] in one round trip, for a write that
/// will make `n` field encryptions under the shop's newest tenant key.
///
/// One `UPDATE` adds `n` to the newest key's stored count (so it takes that row's lock, held
/// until commit: the key cannot go away under the write, as with [`count_encryptions`]) and
/// returns the row, and its `RETURNING` reads the state of the provider's active root version
/// `FOR SHARE`, the very check and lock of [`check_wrappable`]. The vault's counter is seeded
/// with the count *before* this write, as [`current`] does, since the vault counts the `n`
/// encryptions itself as it makes them. When that root version's row is missing or not active,
/// the full [`wrap_version`] runs (a fresh database's first row, re-read the provider, refuse).
///
/// `NotFound` when the shop has no key (erased).
pub async fn current_for_write(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
    n: u64,
) -> Result<ForWrite, StoreError> {
    let n = i64::try_from(n).map_err(|_| StoreError::internal("tenant key", "count overflow"))?;
    let active = vault.provider().active_version();
    let row = db
        .query_one(statement(
            db,
            "UPDATE tenant_keys SET encryptions = encryptions + $2 \
             WHERE tenant_id = $1 \
             AND tk_version = (SELECT max(tk_version) FROM tenant_keys WHERE tenant_id = $1) \
             RETURNING tk_version, kek_version, wrapped, encryptions, \
             (SELECT state FROM root_key_versions WHERE version = $3 FOR SHARE) AS root_state",
            [tenant_id.into(), n.into(), i32_of(active)?.into()],
        ))
        .await?
        // Every shop has a key from its creation until its erasure shreds it.
        .ok_or(StoreError::NotFound)?;
    let tk_version = u32_of(row.try_get("", "tk_version")?)?;
    let encryptions: i64 = row.try_get("", "encryptions")?;
    let key = WrappedTenantKey {
        tenant_id,
        tk_version,
        kek_version: u32_of(row.try_get("", "kek_version")?)?,
        wrapped: row.try_get("", "wrapped")?,
    };
    vault.record_persisted_count(
        tenant_id,
        tk_version,
        u64::try_from(encryptions.saturating_sub(n)).unwrap_or(0),
    );
    let root_state: Option<String> = row.try_get("", "root_state")?;
    let wrap_version = if root_state.as_deref() == Some(RootKeyState::Active.as_str()) {
        active
    } else {
        wrap_version(db, vault).await?
    };
    Ok(ForWrite { key, wrap_version })
}

/// A given version of a shop's tenant key (the one a stored ciphertext names).
pub async fn version(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    tk_version: i32,
) -> Result<WrappedTenantKey, StoreError> {
    let row = tenant_key::Entity::find_by_id((tenant_id, tk_version))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::internal("tenant key", "referenced version missing"))?;
    wrapped(&row)
}

/// Adds `n` to the stored encryption count (same transaction as the write it counts). Fails
/// unless exactly that key's row changed: a write under a key that is gone must roll back,
/// never land.
pub async fn count_encryptions(
    db: &impl ConnectionTrait,
    wk: &WrappedTenantKey,
    n: u64,
) -> Result<(), StoreError> {
    let n = i64::try_from(n).map_err(|_| StoreError::internal("tenant key", "count overflow"))?;
    let res = tenant_key::Entity::update_many()
        .col_expr(
            tenant_key::Column::Encryptions,
            Expr::col(tenant_key::Column::Encryptions).add(n),
        )
        .filter(tenant_key::Column::TenantId.eq(wk.tenant_id))
        .filter(tenant_key::Column::TkVersion.eq(i32_of(wk.tk_version)?))
        .exec(db)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::internal(
            "tenant key",
            "the key a write was encrypted under is gone",
        ));
    }
    Ok(())
}

/// A stored version of a shop's tenant key, if it exists.
pub async fn find(
    db: &impl ConnectionTrait,
    tenant_id: Uuid,
    tk_version: i32,
) -> Result<Option<WrappedTenantKey>, StoreError> {
    tenant_key::Entity::find_by_id((tenant_id, tk_version))
        .one(db)
        .await?
        .as_ref()
        .map(wrapped)
        .transpose()
}

/// Creates tenant-key version 1 of `tenant_id` unless it exists (concurrent callers: one wins,
/// the others change nothing).
pub async fn create_if_missing(
    db: &impl ConnectionTrait,
    vault: &Vault,
    tenant_id: Uuid,
) -> Result<(), StoreError> {
    use sea_orm::sea_query::OnConflict;
    // The erasure fence: an erased shop is never keyed again.
    if crate::fence::fenced(db, tenant_id).await? {
        return Err(StoreError::NotFound);
    }
    let kek = wrap_version(db, vault).await?;
    tenant_key::Entity::insert(new_row(vault.create_tenant_key_at(tenant_id, kek)?)?)
        .on_conflict(
            OnConflict::columns([tenant_key::Column::TenantId, tenant_key::Column::TkVersion])
                .do_nothing()
                .to_owned(),
        )
        .do_nothing()
        .exec(db)
        .await?;
    Ok(())
}

/// The platform's own tenant key (version 1 of [`PLATFORM_TENANT`], never rotated: the audit
/// MAC key and the receipt signing key derive from it), created race-free on first use, and
/// only then: once an audit entry or a receipt key exists, a missing platform key is refused
/// ([`StoreError::PlatformKeyMissing`]) rather than made anew, which would silently change the
/// audit MAC key (every chain would stop verifying) and the receipt key (receipts handed out
/// could no longer be told from forgeries). Restore the row from a backup.
pub(crate) async fn platform(
    db: &impl ConnectionTrait,
    vault: &Vault,
) -> Result<WrappedTenantKey, StoreError> {
    if let Some(wk) = find(db, PLATFORM_TENANT, 1).await? {
        return Ok(wk);
    }
    let used = db
        .query_one(statement(
            db,
            "SELECT (EXISTS (SELECT 1 FROM audit_log) OR EXISTS (SELECT 1 FROM receipt_keys)) \
             AS used",
            [],
        ))
        .await?
        .map(|r| r.try_get::<bool>("", "used"))
        .transpose()?
        .unwrap_or(true);
    if used {
        // Another process may have made it between the two reads (on a fresh database).
        if let Some(wk) = find(db, PLATFORM_TENANT, 1).await? {
            return Ok(wk);
        }
        tracing::error!(
            "the platform's tenant key is missing from a database that has used it; refusing to make a new one"
        );
        return Err(StoreError::PlatformKeyMissing);
    }
    create_if_missing(db, vault, PLATFORM_TENANT).await?;
    find(db, PLATFORM_TENANT, 1)
        .await?
        .ok_or_else(|| StoreError::internal("platform key", "missing after creation"))
}

/// States of a root key version in `root_key_versions`, the one record every process shares;
/// stored by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootKeyState {
    /// May wrap new keys.
    Active,
    /// Unwraps what it wrapped, wraps nothing new: on its way to destruction.
    DecryptOnly,
    /// Gone from the key provider for good.
    Destroyed,
}

impl RootKeyState {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RootKeyState::Active => "active",
            RootKeyState::DecryptOnly => "decrypt_only",
            RootKeyState::Destroyed => "destroyed",
        }
    }
}

/// Records a root version the caller has just made (rotation start, in its transaction) as
/// active: the one way a version other than a fresh database's first gets its row.
pub(crate) async fn record_new_version(
    db: &impl ConnectionTrait,
    kek_version: u32,
) -> Result<(), StoreError> {
    db.execute(statement(
        db,
        "INSERT INTO root_key_versions (version, state, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (version) DO NOTHING",
        [
            i32_of(kek_version)?.into(),
            RootKeyState::Active.as_str().into(),
            OffsetDateTime::now_utc().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Checks, inside the caller's transaction, that root version `kek_version` may wrap, and holds
/// that answer until commit: the version's row is read `FOR SHARE` (PostgreSQL), so a
/// retirement waits for this transaction and a later one sees the new state; on SQLite the
/// insert attempt takes the write lock, which serialises the same way.
///
/// A version with no row may not wrap (issue 24): versions get their rows when rotation makes
/// them ([`record_new_version`]), so a version only the provider knows (an object someone put
/// in the token, a keyring edited by hand) is never used. The exception is a fresh database,
/// with no row at all: its first version gets its row here, on the first wrap.
pub async fn check_wrappable(
    db: &impl ConnectionTrait,
    kek_version: u32,
) -> Result<bool, StoreError> {
    let v = i32_of(kek_version)?;
    db.execute(statement(
        db,
        "INSERT INTO root_key_versions (version, state, changed_at) SELECT $1, $2, $3 \
         WHERE NOT EXISTS (SELECT 1 FROM root_key_versions) \
         ON CONFLICT (version) DO NOTHING",
        [
            v.into(),
            RootKeyState::Active.as_str().into(),
            OffsetDateTime::now_utc().into(),
        ],
    ))
    .await?;
    let row = db
        .query_one(statement(
            db,
            "SELECT state FROM root_key_versions WHERE version = $1 FOR SHARE",
            [v.into()],
        ))
        .await?;
    let Some(row) = row else {
        tracing::error!(
            kek_version,
            "root version unknown to the database (no rotation made it); it may not wrap"
        );
        return Ok(false);
    };
    let state: String = row.try_get("", "state")?;
    Ok(state == RootKeyState::Active.as_str())
}

/// The root version new tenant keys are wrapped under, checked against the database (see
/// [`check_wrappable`]). A process whose copy of the key provider is stale (another one
/// retired its active version) re-reads it once; if that does not help, the write is refused
/// rather than wrapped under a version that is on its way to destruction.
pub async fn wrap_version(db: &impl ConnectionTrait, vault: &Vault) -> Result<u32, StoreError> {
    let v = vault.provider().active_version();
    if check_wrappable(db, v).await? {
        return Ok(v);
    }
    let _ = vault.provider().reload();
    let fresh = vault.provider().active_version();
    if fresh != v && check_wrappable(db, fresh).await? {
        tracing::info!(
            stale = v,
            active = fresh,
            "key provider re-read: its active root version was retired"
        );
        return Ok(fresh);
    }
    // The provider's newest version may have no row yet: a rotation made it and has not
    // committed its row (or nobody made it through a rotation at all). Wrap under the newest
    // version the database still says is active, which the provider holds as active too: it
    // stays readable, and the rotation re-wraps whatever lands under it.
    let rows = db
        .query_all(statement(
            db,
            "SELECT version FROM root_key_versions WHERE state = $1 ORDER BY version DESC",
            [RootKeyState::Active.as_str().into()],
        ))
        .await?;
    for row in rows {
        let known = u32_of(row.try_get("", "version")?)?;
        if vault.provider().state(known) == Some(harim_vault::KeyState::Active)
            && check_wrappable(db, known).await?
        {
            return Ok(known);
        }
    }
    tracing::error!(
        kek_version = v,
        "the active root version is retired in the database, or unknown to it"
    );
    Err(StoreError::Unavailable(
        "The root key is being retired; try again in a moment.",
    ))
}

/// Binds every root version to the provider identifier the database recorded for it (a
/// PKCS#11 CKA_ID; issue 24): a recorded id is pinned in the provider, which refuses the
/// version if its object carries another one ([`harim_vault::VaultError::KeyIdMismatch`]), and
/// a version whose row has no id yet gets the provider's. On a database with no version row at
/// all (a fresh install), the provider's active version gets its row here, with its id, rather
/// than later by the first wrap. Run at start-up and by the rotation worker after each re-read
/// of the provider; a provider with no identifiers (file, env) records nothing.
pub async fn bind_key_ids(db: &impl ConnectionTrait, vault: &Vault) -> Result<(), StoreError> {
    let provider = vault.provider();
    let rows = db
        .query_all(statement(
            db,
            "SELECT version, key_id_hex FROM root_key_versions",
            [],
        ))
        .await?;
    if rows.is_empty() {
        let v = provider.active_version();
        if let Some(id) = provider.key_id(v) {
            db.execute(statement(
                db,
                "INSERT INTO root_key_versions (version, state, changed_at, key_id_hex) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING",
                [
                    i32_of(v)?.into(),
                    RootKeyState::Active.as_str().into(),
                    OffsetDateTime::now_utc().into(),
                    hex::encode(id).into(),
                ],
            ))
            .await?;
        }
    }
    for row in rows {
        let v = u32_of(row.try_get("", "version")?)?;
        let recorded: Option<String> = row.try_get("", "key_id_hex")?;
        match recorded {
            Some(hex_id) => {
                let id =
                    hex::decode(&hex_id).map_err(|e| StoreError::internal("root key id", e))?;
                provider.pin_key_id(v, &id)?;
            }
            None => {
                let Some(id) = provider.key_id(v) else {
                    continue;
                };
                // Only where none is recorded: two processes recording at once write one id.
                db.execute(statement(
                    db,
                    "UPDATE root_key_versions SET key_id_hex = $1 \
                     WHERE version = $2 AND key_id_hex IS NULL",
                    [hex::encode(&id).into(), i32_of(v)?.into()],
                ))
                .await?;
                let row = db
                    .query_one(statement(
                        db,
                        "SELECT key_id_hex FROM root_key_versions WHERE version = $1",
                        [i32_of(v)?.into()],
                    ))
                    .await?;
                if let Some(row) = row {
                    let now: Option<String> = row.try_get("", "key_id_hex")?;
                    if let Some(now) = now {
                        let id = hex::decode(&now)
                            .map_err(|e| StoreError::internal("root key id", e))?;
                        provider.pin_key_id(v, &id)?;
                    }
                }
            }
        }
    }
    Ok(())
}
