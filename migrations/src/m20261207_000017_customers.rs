//! The shop's customers in the vault (issue 25): `customer_keys` (one data key per customer,
//! wrapped by the shop's tenant key; deleting its row erases the customer), `customers` (every
//! personal field sealed under that key, and keyed lookups of the normalised phone and e-mail
//! under a per-shop index key), `customer_orders` (what tax law keeps of an order, and the
//! contact used for it, sealed under the customer's key) and `customer_fences` (an erased
//! customer id, never keyed again). Every table is a tenant table: `tenant_id` leads every
//! key, so on Citus each is distributed by it and colocated with the shop's other rows.
//! Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerKeys {
    Table,
    TenantId,
    CustomerId,
    TkVersion,
    Wrapped,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    TenantId,
    Id,
    Name,
    Email,
    Phone,
    Addresses,
    Locale,
    ExternalRef,
    EmailIndex,
    PhoneIndex,
    IndexTkVersion,
    CreatedAt,
    UpdatedAt,
    LastActiveAt,
}

#[derive(DeriveIden)]
enum CustomerOrders {
    Table,
    TenantId,
    Id,
    CustomerId,
    OrderRef,
    PlacedAt,
    TotalAmount,
    Currency,
    Contact,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerFences {
    Table,
    TenantId,
    CustomerId,
    ErasedAt,
    RequestId,
    Mac,
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CustomerKeys::Table)
                .col(ColumnDef::new(CustomerKeys::TenantId).uuid().not_null())
                .col(ColumnDef::new(CustomerKeys::CustomerId).uuid().not_null())
                .col(ColumnDef::new(CustomerKeys::TkVersion).integer().not_null())
                .col(ColumnDef::new(CustomerKeys::Wrapped).binary().not_null())
                .col(ts(CustomerKeys::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(CustomerKeys::TenantId)
                        .col(CustomerKeys::CustomerId),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Customers::Table)
                .col(ColumnDef::new(Customers::TenantId).uuid().not_null())
                .col(ColumnDef::new(Customers::Id).uuid().not_null())
                .col(ColumnDef::new(Customers::Name).binary().not_null())
                .col(ColumnDef::new(Customers::Email).binary().null())
                .col(ColumnDef::new(Customers::Phone).binary().null())
                .col(ColumnDef::new(Customers::Addresses).binary().null())
                .col(ColumnDef::new(Customers::Locale).string().null())
                .col(ColumnDef::new(Customers::ExternalRef).string().null())
                .col(ColumnDef::new(Customers::EmailIndex).binary().null())
                .col(ColumnDef::new(Customers::PhoneIndex).binary().null())
                .col(
                    ColumnDef::new(Customers::IndexTkVersion)
                        .integer()
                        .not_null(),
                )
                .col(ts(Customers::CreatedAt))
                .col(ts(Customers::UpdatedAt))
                .col(ts(Customers::LastActiveAt))
                .primary_key(Index::create().col(Customers::TenantId).col(Customers::Id))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_customers_phone", Customers::PhoneIndex),
            ("idx_customers_email", Customers::EmailIndex),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(Customers::Table)
                    .col(Customers::TenantId)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(
            Index::create()
                .name("idx_customers_last_active")
                .table(Customers::Table)
                .col(Customers::TenantId)
                .col(Customers::LastActiveAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CustomerOrders::Table)
                .col(ColumnDef::new(CustomerOrders::TenantId).uuid().not_null())
                .col(ColumnDef::new(CustomerOrders::Id).uuid().not_null())
                .col(ColumnDef::new(CustomerOrders::CustomerId).uuid().null())
                .col(ColumnDef::new(CustomerOrders::OrderRef).string().not_null())
                .col(ts(CustomerOrders::PlacedAt))
                .col(
                    ColumnDef::new(CustomerOrders::TotalAmount)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(CustomerOrders::Currency).string().not_null())
                .col(ColumnDef::new(CustomerOrders::Contact).binary().null())
                .col(ts(CustomerOrders::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(CustomerOrders::TenantId)
                        .col(CustomerOrders::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_customer_orders_customer")
                .table(CustomerOrders::Table)
                .col(CustomerOrders::TenantId)
                .col(CustomerOrders::CustomerId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CustomerFences::Table)
                .col(ColumnDef::new(CustomerFences::TenantId).uuid().not_null())
                .col(ColumnDef::new(CustomerFences::CustomerId).uuid().not_null())
                .col(ts(CustomerFences::ErasedAt))
                .col(ColumnDef::new(CustomerFences::RequestId).uuid().not_null())
                .col(ColumnDef::new(CustomerFences::Mac).binary().not_null())
                .primary_key(
                    Index::create()
                        .col(CustomerFences::TenantId)
                        .col(CustomerFences::CustomerId),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            CustomerFences::Table.into_iden(),
            CustomerOrders::Table.into_iden(),
            Customers::Table.into_iden(),
            CustomerKeys::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
