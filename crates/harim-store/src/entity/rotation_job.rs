//! A root-key rotation job (or a record of a retired root version), persisted so that a killed
//! worker resumes where it was. See `crate::rotation`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "key_rotation_jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: JobKind,
    pub target_kek_version: i32,
    pub state: JobState,
    /// Rows to re-wrap when the job started (tenant keys + identities' blind indexes).
    pub total: i64,
    /// Rows re-wrapped so far; updated in the same transaction as each batch.
    pub done: i64,
    pub error: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub finished_at: Option<TimeDateTimeWithTimeZone>,
}

/// What a job does. Stored as its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum JobKind {
    /// Re-wrap every tenant key and blind index under `target_kek_version`.
    #[sea_orm(string_value = "root")]
    Root,
    /// A record that `target_kek_version` was destroyed.
    #[sea_orm(string_value = "retire")]
    Retire,
    /// Rotate every shop's tenant key created before the job.
    #[sea_orm(string_value = "tenant")]
    Tenant,
}

/// Where a job is. Stored as its name; the unfinished ones (`pending`, `running`, `failed`) are
/// what the partial unique index admits one of per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum JobState {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "running")]
    Running,
    #[sea_orm(string_value = "done")]
    Done,
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl JobState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// Pending, running or failed: a failed job is resumed, not replaced.
    pub const UNFINISHED: [JobState; 3] = [JobState::Pending, JobState::Running, JobState::Failed];
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
