use sea_orm::entity::prelude::*;

/// Every value column is an AES-256-GCM ciphertext bound to (tenant, table, record, field,
/// tenant-key version); the blind indexes are HMACs, useless without the root key.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "merchant_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub tk_version: i32,
    pub full_name: Vec<u8>,
    pub national_id: Vec<u8>,
    pub iban: Vec<u8>,
    pub birth_date: Vec<u8>,
    pub phone: Vec<u8>,
    pub email: Vec<u8>,
    pub address: Vec<u8>,
    pub postal_code: Option<Vec<u8>>,
    pub country: Vec<u8>,
    pub national_id_bidx: Vec<u8>,
    pub iban_bidx: Vec<u8>,
    pub bidx_version: i32,
    pub updated_at: TimeDateTimeWithTimeZone,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MerchantIdentity")
            .field("tenant_id", &self.tenant_id)
            .field("tk_version", &self.tk_version)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The ciphertext of a field by its API name.
    pub fn field(&self, name: &str) -> Option<&[u8]> {
        Some(match name {
            "full_name" => &self.full_name,
            "national_id" => &self.national_id,
            "iban" => &self.iban,
            "birth_date" => &self.birth_date,
            "phone" => &self.phone,
            "email" => &self.email,
            "address" => &self.address,
            "postal_code" => return self.postal_code.as_deref(),
            "country" => &self.country,
            _ => return None,
        })
    }
}

impl ActiveModel {
    /// Sets a field's ciphertext by its API name: with [`Model::field`], the one map between
    /// field names and columns.
    pub fn set_field(&mut self, name: &str, ciphertext: Vec<u8>) -> Result<(), UnknownField> {
        use sea_orm::ActiveValue::Set;
        match name {
            "full_name" => self.full_name = Set(ciphertext),
            "national_id" => self.national_id = Set(ciphertext),
            "iban" => self.iban = Set(ciphertext),
            "birth_date" => self.birth_date = Set(ciphertext),
            "phone" => self.phone = Set(ciphertext),
            "email" => self.email = Set(ciphertext),
            "address" => self.address = Set(ciphertext),
            "postal_code" => self.postal_code = Set(Some(ciphertext)),
            "country" => self.country = Set(ciphertext),
            _ => return Err(UnknownField),
        }
        Ok(())
    }
}

/// A field name that is not a column of `merchant_identities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownField;

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
