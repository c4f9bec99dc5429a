//! The guarded re-wrap statements: only a row still under the version it was read under changes,
//! so a row is never re-wrapped twice whatever workers overlap.

use super::*;

/// The idempotent single-row re-wrap: only a row still under `old` changes.
pub(super) async fn update_one(
    db: &impl ConnectionTrait,
    old: i32,
    new: &WrappedTenantKey,
) -> Result<u64, StoreError> {
    let res = tenant_key::Entity::update_many()
        .col_expr(
            tenant_key::Column::Wrapped,
            Expr::value(new.wrapped.clone()),
        )
        .col_expr(
            tenant_key::Column::KekVersion,
            Expr::value(i32_of(new.kek_version)?),
        )
        .filter(tenant_key::Column::TenantId.eq(new.tenant_id))
        .filter(tenant_key::Column::TkVersion.eq(i32_of(new.tk_version)?))
        .filter(tenant_key::Column::KekVersion.eq(old))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The same guarded update for a whole batch in one statement (PostgreSQL):
/// `UPDATE tenant_keys t SET wrapped = v.wrapped, kek_version = $1 FROM (VALUES ...) v
///  WHERE t.tenant_id = v.tenant_id AND t.tk_version = v.tk_version AND t.kek_version = v.old`.
pub async fn update_bulk_pg(
    db: &impl ConnectionTrait,
    target: i32,
    rows: &[(i32, WrappedTenantKey)],
) -> Result<u64, StoreError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let mut sql = String::from(
        "UPDATE tenant_keys AS t SET wrapped = v.wrapped, kek_version = $1 FROM (VALUES ",
    );
    let mut values: Vec<sea_orm::Value> = Vec::with_capacity(1 + rows.len() * 4);
    values.push(target.into());
    for (i, (old, new)) in rows.iter().enumerate() {
        let b = 2 + i * 4;
        if i > 0 {
            sql.push(',');
        }
        sql.push_str(&format!("(${}, ${}, ${}, ${})", b, b + 1, b + 2, b + 3));
        values.push(new.tenant_id.into());
        values.push(i32_of(new.tk_version)?.into());
        values.push((*old).into());
        values.push(new.wrapped.clone().into());
    }
    sql.push_str(
        ") AS v(tenant_id, tk_version, old, wrapped) \
         WHERE t.tenant_id = v.tenant_id AND t.tk_version = v.tk_version AND t.kek_version = v.old",
    );
    let res = db
        .execute(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            sql,
            values,
        ))
        .await?;
    Ok(res.rows_affected())
}
