use sea_orm::entity::prelude::*;

/// A shop's customer: every personal field sealed (format 0x02) under the customer's own key
/// (`customer_keys`); the phone and e-mail also as keyed lookups under the shop's index key of
/// tenant-key version `index_tk_version`. `locale` and `external_ref` (the commerce core's own
/// opaque id) are plain: neither identifies the person.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: Vec<u8>,
    pub email: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    /// The addresses as one sealed JSON array.
    pub addresses: Option<Vec<u8>>,
    pub locale: Option<String>,
    pub external_ref: Option<String>,
    pub email_index: Option<Vec<u8>>,
    pub phone_index: Option<Vec<u8>>,
    pub index_tk_version: i32,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    /// The last write or order: what the inactivity retention rule counts from.
    pub last_active_at: TimeDateTimeWithTimeZone,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Customer")
            .field("tenant_id", &self.tenant_id)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
