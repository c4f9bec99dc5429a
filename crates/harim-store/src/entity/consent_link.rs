use sea_orm::entity::prelude::*;

/// A visitor's first-party id (its SHA-256) tied to a customer: the visitor's consent events
/// count as the customer's from then on.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub visitor_hash: Vec<u8>,
    pub customer_id: Uuid,
    pub linked_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
