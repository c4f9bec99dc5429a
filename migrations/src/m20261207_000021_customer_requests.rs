//! Customers' requests from the privacy page (issue 27): `customer_requests` (tenant table: one
//! row per request, from the one-time code to the answer: deadline, extension, hold, the sealed
//! export or the extended receipt) and `request_answers` (tenant table: what each subscribed
//! endpoint reported for the privacy event of a request). Expand only.

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
                .table(Alias::new("customer_requests"))
                .col(col("tenant_id").uuid().not_null())
                .col(col("id").uuid().not_null())
                .col(col("kind").string().not_null())
                .col(col("channel").string().not_null())
                .col(col("address_index").binary().null())
                .col(col("ip_index").binary().null())
                .col(col("customer_id").uuid().null())
                .col(col("language").string().not_null())
                .col(col("code_hash").binary().null())
                .col(col("code_sent_at").timestamp_with_time_zone().null())
                .col(col("codes_sent").integer().not_null())
                .col(col("tries").integer().not_null())
                .col(col("state").string().not_null())
                .col(col("created_at").timestamp_with_time_zone().not_null())
                .col(col("verified_at").timestamp_with_time_zone().null())
                .col(col("due_at").timestamp_with_time_zone().null())
                .col(col("extended_at").timestamp_with_time_zone().null())
                .col(col("extension_reason").text().null())
                .col(col("hold_until").timestamp_with_time_zone().null())
                .col(col("event_id").uuid().null())
                .col(col("erasure_request_id").uuid().null())
                .col(col("export").binary().null())
                .col(col("export_sha256").binary().null())
                .col(col("downloaded_at").timestamp_with_time_zone().null())
                .col(col("receipt").text().null())
                .col(col("signature").string().null())
                .col(col("key_id").string().null())
                .col(col("completed_at").timestamp_with_time_zone().null())
                .col(col("error").text().null())
                .primary_key(
                    Index::create()
                        .col(Alias::new("tenant_id"))
                        .col(Alias::new("id")),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_customer_requests_address")
                .table(Alias::new("customer_requests"))
                .col(Alias::new("tenant_id"))
                .col(Alias::new("address_index"))
                .col(Alias::new("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_customer_requests_state")
                .table(Alias::new("customer_requests"))
                .col(Alias::new("state"))
                .col(Alias::new("due_at"))
                .to_owned(),
        )
        .await?;
        // A completion callback finds its request by the event it answers.
        m.create_index(
            Index::create()
                .name("idx_customer_requests_event")
                .table(Alias::new("customer_requests"))
                .col(Alias::new("tenant_id"))
                .col(Alias::new("event_id"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Alias::new("request_answers"))
                .col(col("tenant_id").uuid().not_null())
                .col(col("event_id").uuid().not_null())
                .col(col("endpoint_id").uuid().not_null())
                .col(col("status").string().not_null())
                .col(col("items_removed").big_integer().not_null())
                .col(col("items_retained").text().not_null())
                .col(col("file_name").string().null())
                .col(col("file").binary().null())
                .col(col("file_sha256").binary().null())
                .col(col("received_at").timestamp_with_time_zone().not_null())
                .primary_key(
                    Index::create()
                        .col(Alias::new("tenant_id"))
                        .col(Alias::new("event_id"))
                        .col(Alias::new("endpoint_id")),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["request_answers", "customer_requests"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
