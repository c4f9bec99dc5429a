//! Customers' choices and the messages sent to them (issue 26).
//!
//! - `consent_events`: append-only, one hash-chained stream per shop (`seq`, `prev_hash`,
//!   `hash`, a MAC under the audit key); an event of a customer (`customer_id`) or of a visitor
//!   known only by a random first-party id (`visitor_hash`, its SHA-256). An erased customer's
//!   events keep `seq`, `prev_hash` and `hash` and lose everything else, with `erased_mac`.
//!   `receipt_id` is shared by the events one request recorded (the receipt's page and JSON).
//! - `consent_heads`: the head of each shop's stream.
//! - `consent_links`: a visitor id the storefront has tied to a customer.
//! - `consent_renewals`: per purpose, the policy version from which older consents need renewal.
//! - `notifications`: the transactional outbox of the notification gate; the template's values
//!   sealed under the customer's key until sent, then only the hash of the body.
//! - `suppressions`: recipients (a platform-keyed digest of the phone or address) that said stop.
//!
//! Every table is a tenant table (`tenant_id` leads every key). Expand only.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Clone, Copy)]
enum Kind {
    Uuid,
    Text,
    Bytes,
    Int,
    BigInt,
    Time,
}

fn col(name: &str, kind: Kind, null: bool) -> ColumnDef {
    let mut c = ColumnDef::new(Alias::new(name));
    match kind {
        Kind::Uuid => c.uuid(),
        Kind::Text => c.string(),
        Kind::Bytes => c.binary(),
        Kind::Int => c.integer(),
        Kind::BigInt => c.big_integer(),
        Kind::Time => c.timestamp_with_time_zone(),
    };
    if null {
        c.null();
    } else {
        c.not_null();
    }
    c.to_owned()
}

async fn table(
    m: &SchemaManager<'_>,
    name: &str,
    cols: &[(&str, Kind, bool)],
    key: &[&str],
) -> Result<(), DbErr> {
    let mut t = Table::create();
    t.table(Alias::new(name));
    for (c, k, null) in cols {
        t.col(col(c, *k, *null));
    }
    let mut pk = Index::create();
    for c in key {
        pk.col(Alias::new(*c));
    }
    t.primary_key(&mut pk);
    m.create_table(t.to_owned()).await
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table));
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use Kind::*;
        table(
            m,
            "consent_events",
            &[
                ("tenant_id", Uuid, false),
                ("seq", BigInt, false),
                ("id", Uuid, false),
                ("receipt_id", Uuid, true),
                ("customer_id", Uuid, true),
                ("visitor_hash", Bytes, true),
                ("purpose", Text, true),
                ("state", Text, true),
                ("policy_version", Int, true),
                ("policy_hash", Text, true),
                ("language", Text, true),
                ("collection", Text, true),
                ("actor", Text, true),
                ("at", Time, false),
                ("valid_until", Time, true),
                ("prev_hash", Bytes, false),
                ("hash", Bytes, false),
                ("erased_mac", Bytes, true),
            ],
            &["tenant_id", "seq"],
        )
        .await?;
        index(
            m,
            "idx_consent_events_customer",
            "consent_events",
            &["tenant_id", "customer_id"],
            false,
        )
        .await?;
        index(
            m,
            "idx_consent_events_receipt",
            "consent_events",
            &["tenant_id", "receipt_id"],
            false,
        )
        .await?;
        index(
            m,
            "idx_consent_events_visitor",
            "consent_events",
            &["tenant_id", "visitor_hash"],
            false,
        )
        .await?;
        table(
            m,
            "consent_heads",
            &[
                ("tenant_id", Uuid, false),
                ("seq", BigInt, false),
                ("hash", Bytes, false),
            ],
            &["tenant_id"],
        )
        .await?;
        table(
            m,
            "consent_links",
            &[
                ("tenant_id", Uuid, false),
                ("visitor_hash", Bytes, false),
                ("customer_id", Uuid, false),
                ("linked_at", Time, false),
            ],
            &["tenant_id", "visitor_hash"],
        )
        .await?;
        index(
            m,
            "idx_consent_links_customer",
            "consent_links",
            &["tenant_id", "customer_id"],
            false,
        )
        .await?;
        table(
            m,
            "consent_renewals",
            &[
                ("tenant_id", Uuid, false),
                ("purpose", Text, false),
                ("since_version", Int, false),
                ("marked_at", Time, false),
            ],
            &["tenant_id", "purpose"],
        )
        .await?;
        table(
            m,
            "notifications",
            &[
                ("tenant_id", Uuid, false),
                ("id", Uuid, false),
                ("customer_id", Uuid, true),
                ("channel", Text, false),
                ("kind", Text, false),
                ("template", Text, false),
                ("request_id", Text, true),
                ("payload", Bytes, true),
                ("body_sha256", Bytes, true),
                ("recipient_index", Bytes, true),
                ("state", Text, false),
                ("attempts", Int, false),
                ("next_attempt_at", Time, false),
                ("provider", Text, true),
                ("provider_message_id", Text, true),
                ("last_error", Text, true),
                ("created_at", Time, false),
                ("sent_at", Time, true),
            ],
            &["tenant_id", "id"],
        )
        .await?;
        index(
            m,
            "idx_notifications_request",
            "notifications",
            &["tenant_id", "request_id"],
            true,
        )
        .await?;
        index(
            m,
            "idx_notifications_due",
            "notifications",
            &["state", "next_attempt_at"],
            false,
        )
        .await?;
        index(
            m,
            "idx_notifications_recipient",
            "notifications",
            &["recipient_index"],
            false,
        )
        .await?;
        table(
            m,
            "suppressions",
            &[
                ("tenant_id", Uuid, false),
                ("channel", Text, false),
                ("recipient_index", Bytes, false),
                ("reason", Text, false),
                ("at", Time, false),
            ],
            &["tenant_id", "channel", "recipient_index"],
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "suppressions",
            "notifications",
            "consent_renewals",
            "consent_links",
            "consent_heads",
            "consent_events",
        ] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
