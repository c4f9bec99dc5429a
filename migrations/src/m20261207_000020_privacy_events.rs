//! Privacy events to the platform's other systems (issue 27): `webhook_endpoints` (platform
//! table: where events go, for which topics, the signing secret sealed under the platform key),
//! `privacy_events` (tenant table: one row per event, written in the transaction of the change
//! that causes it) and `event_deliveries` (tenant table: one row per event and endpoint, the
//! transactional outbox the sender works from). Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Alias::new("webhook_endpoints"))
                .col(col("id").uuid().not_null().primary_key())
                .col(col("url").string().not_null())
                .col(col("topics").string().not_null())
                .col(col("secret").binary().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("created_by").string().not_null())
                .col(col("disabled_at").timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("privacy_events"))
                .col(col("tenant_id").uuid().not_null())
                .col(col("id").uuid().not_null())
                .col(col("topic").string().not_null())
                .col(col("body").text().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .primary_key(
                    Index::create()
                        .col(Alias::new("tenant_id"))
                        .col(Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("event_deliveries"))
                .col(col("tenant_id").uuid().not_null())
                .col(col("event_id").uuid().not_null())
                .col(col("endpoint_id").uuid().not_null())
                .col(col("state").string().not_null())
                .col(col("attempts").integer().not_null())
                .col(col("next_attempt_at").timestamp_with_time_zone().not_null())
                .col(col("last_status").integer().null())
                .col(col("last_error").string().null())
                .col(col("delivered_at").timestamp_with_time_zone().null())
                .primary_key(
                    Index::create()
                        .col(Alias::new("tenant_id"))
                        .col(Alias::new("event_id"))
                        .col(Alias::new("endpoint_id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_event_deliveries_due")
                .table(Alias::new("event_deliveries"))
                .col(Alias::new("state"))
                .col(Alias::new("next_attempt_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_event_deliveries_endpoint")
                .table(Alias::new("event_deliveries"))
                .col(Alias::new("endpoint_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["event_deliveries", "privacy_events", "webhook_endpoints"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
