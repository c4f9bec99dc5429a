//! Retirement: a root version goes decrypt-only (database first, then the provider) and is
//! destroyed once nothing references it and every process has had time to see it.

use super::*;

/// Tenant keys and identities' blind indexes under root version `v`.
async fn references(db: &DatabaseConnection, v: i32) -> Result<(u64, u64), sea_orm::DbErr> {
    let tk = tenant_key::Entity::find()
        .filter(tenant_key::Column::KekVersion.eq(v))
        .count(db)
        .await?;
    let bi = merchant_identity::Entity::find()
        .filter(merchant_identity::Column::BidxVersion.eq(v))
        .count(db)
        .await?;
    Ok((tk, bi))
}

/// How long a retired version stays decrypt-only before [`retire`] destroys it: longer than
/// any process goes without re-reading the key provider (`serve` re-reads it every 5 s, and on
/// any unknown version at most once a second) and than a wrapping transaction lasts.
pub const RETIRE_GRACE: Duration = Duration::from_secs(30);

/// Marks `version` decrypt-only in the database (once: a second call keeps the first time) and
/// returns since when. On PostgreSQL the upsert waits for every transaction that holds the
/// version's row `FOR SHARE` while wrapping under it (see `tenant_keys::check_wrappable`); every later
/// one sees the new state and refuses. On SQLite writers are serialised anyway.
pub(super) async fn mark_decrypt_only(
    db: &DatabaseConnection,
    version: i32,
) -> Result<OffsetDateTime, StoreError> {
    let txn = db.begin().await?;
    txn.execute(statement(
        &txn,
        "INSERT INTO root_key_versions (version, state, changed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (version) DO UPDATE SET state = $2, changed_at = $3 \
         WHERE root_key_versions.state = $4",
        [
            version.into(),
            crate::tenant_keys::RootKeyState::DecryptOnly
                .as_str()
                .into(),
            OffsetDateTime::now_utc().into(),
            crate::tenant_keys::RootKeyState::Active.as_str().into(),
        ],
    ))
    .await?;
    let row = txn
        .query_one(statement(
            &txn,
            "SELECT changed_at FROM root_key_versions WHERE version = $1",
            [version.into()],
        ))
        .await?
        .ok_or_else(|| StoreError::internal("root key", "version row missing"))?;
    let since: OffsetDateTime = row.try_get("", "changed_at")?;
    txn.commit().await?;
    Ok(since)
}

/// Retires root version `version`: refuses while it is active or referenced by any tenant key
/// or blind index; otherwise marks it decrypt-only (database first, then the provider) and, once
/// it has been decrypt-only for `grace`, checks the references again and destroys it for good,
/// recording the retirement (audit + a `retire` job row). Before that it answers
/// [`RotationError::GracePeriod`] with the instant to call again (`harim keys retire` waits).
pub async fn retire(
    db: &DatabaseConnection,
    vault: &Vault,
    version: u32,
    operator: &PlatformScope,
    grace: Duration,
) -> Result<(), RotationError> {
    operator.require_admin()?;
    let actor = &operator.actor();
    let provider = vault.provider();
    provider.reload().map_err(vault_err)?;
    if provider.active_version() == version {
        return Err(RotationError::Active(version));
    }
    if provider.state(version).is_none() {
        return Err(RotationError::Unknown(version));
    }
    let v = i32_of(version)?;
    let (tk, bi) = references(db, v).await?;
    if tk > 0 || bi > 0 {
        return Err(RotationError::Referenced {
            version,
            tenant_keys: tk,
            blind_indexes: bi,
        });
    }
    let since = mark_decrypt_only(db, v).await?;
    if provider.state(version) == Some(KeyState::Active) {
        provider.retire_version(version).map_err(vault_err)?;
    }
    let destroy_after = since + grace;
    if OffsetDateTime::now_utc() < destroy_after {
        return Err(RotationError::GracePeriod {
            version,
            destroy_after,
        });
    }
    // Anything that wrapped under it before it became decrypt-only has committed by now.
    let (tk, bi) = references(db, v).await?;
    if tk > 0 || bi > 0 {
        return Err(RotationError::Referenced {
            version,
            tenant_keys: tk,
            blind_indexes: bi,
        });
    }
    provider.destroy_version(version).map_err(vault_err)?;
    vault.clear_cache();
    let now = OffsetDateTime::now_utc();
    let id = Uuid::now_v7();
    let txn = db.begin().await?;
    rotation_job::ActiveModel {
        id: Set(id),
        kind: Set(JobKind::Retire),
        target_kek_version: Set(v),
        state: Set(JobState::Done),
        total: Set(0),
        done: Set(0),
        error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(Some(now)),
    }
    .insert(&txn)
    .await?;
    txn.execute(statement(
        &txn,
        "UPDATE root_key_versions SET state = $1, changed_at = $2 WHERE version = $3",
        [
            crate::tenant_keys::RootKeyState::Destroyed.as_str().into(),
            now.into(),
            v.into(),
        ],
    ))
    .await?;
    audit::append(
        &txn,
        vault,
        PLATFORM_TENANT,
        audit::Event {
            actor: actor.to_string(),
            action: audit::Action::KeysVersionRetired,
            fields: vec![format!("kek_version:{version}")],
            purpose: None,
            request_id: None,
        },
    )
    .await?;
    // Every replica re-reads its key provider when this commits.
    crate::events::notify(&txn, crate::events::Event::Keyring).await?;
    txn.commit().await?;
    tracing::info!(
        kek_version = version,
        "root key version retired (destroyed)"
    );
    Ok(())
}
