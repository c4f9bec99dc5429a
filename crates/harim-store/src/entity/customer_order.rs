use sea_orm::entity::prelude::*;

/// An order of a customer: what tax law keeps (reference, time, total, currency) in plain, and
/// the contact used for it (shipping address, phone) sealed under the customer's key. Erasing
/// the customer sets `customer_id` and `contact` to NULL and keeps the rest.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub customer_id: Option<Uuid>,
    pub order_ref: String,
    pub placed_at: TimeDateTimeWithTimeZone,
    /// A decimal string as the commerce core sent it (never a float).
    pub total_amount: String,
    pub currency: String,
    pub contact: Option<Vec<u8>>,
    pub created_at: TimeDateTimeWithTimeZone,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerOrder")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
