use sea_orm::entity::prelude::*;

/// An erased customer. While this row exists (for ever) no key is made for the id again and
/// every route of the id answers 404. MACed under the audit key (label
/// `harim-customer-fence-v1`), so a planted row is not mistaken for an erasure.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_fences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: Uuid,
    pub erased_at: TimeDateTimeWithTimeZone,
    pub request_id: Uuid,
    pub mac: Vec<u8>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
