//! A root-key rotation job (or a record of a retired root version), persisted so that a killed
//! worker resumes where it was. See `crate::rotation`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_rotation_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `root` (re-wrap every tenant key and blind index under `target_kek_version`) or
    /// `retire` (a record that `target_kek_version` was destroyed).
    pub kind: String,
    pub target_kek_version: i32,
    /// `pending`, `running`, `done` or `failed`.
    pub state: String,
    /// Rows to re-wrap when the job started (tenant keys + identities' blind indexes).
    pub total: i64,
    /// Rows re-wrapped so far; updated in the same transaction as each batch.
    pub done: i64,
    pub error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
