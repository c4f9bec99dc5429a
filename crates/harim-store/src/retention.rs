//! The retention job: every retention rule of the [`crate::datamap`] that harim enforces
//! itself, run by one function, [`run`] (`harim serve` every `retention_interval_secs`,
//! `harim jobs run retention` by hand). Each rule reads its period from [`Periods`], the values
//! the platform's privacy policy prints, so the text and the job cannot disagree.
//!
//! [`RULES`] names what each rule covers; a test matches it against the data map, so a table,
//! object kind or residue given a time limit there cannot be left out of the job. Every rule is
//! safe to run concurrently and to kill at any point: objects are deleted before their rows are
//! marked, each row change is one statement or one transaction, and the next run finishes what
//! a killed one started.

use std::sync::Arc;

use harim_kyc::DocumentStore;
use harim_vault::Vault;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::{
    StoreError, audit, datamap,
    db::statement,
    entity::data_request::{self, RequestKind, RequestState},
    kyc, login_limit,
    rights::{erasure, export},
    tx::{self, Finish},
};

/// Every retention period harim enforces itself (from configuration). The platform policy
/// prints these values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Periods {
    /// `session_ttl_secs`: a session is deleted this long after it was created (or when its
    /// own expiry passes, if sooner).
    pub session_ttl_secs: u64,
    /// `api_key_unused_days`: an API key not used for this long is deleted.
    pub api_key_unused_days: u32,
    /// `export_ttl_secs`: an export archive is deleted this long after it became ready.
    pub export_ttl_secs: u64,
    /// `after_account_deletion_days`: what an erased account leaves behind
    /// ([`datamap::ACCOUNT_RESIDUE`]) is removed this long after the erasure.
    pub after_account_deletion_days: u32,
    /// `audit_retention_days`: audit entries older than this lose their content; their links
    /// stay, so the chains still verify.
    pub audit_days: u32,
    /// An erased shop's audit chain is deleted this long after the erasure
    /// ([`datamap::AUDIT_DAYS_AFTER_ERASURE`]; not configurable).
    pub audit_days_after_erasure: u32,
    /// `backup_retention_days`: how long the operator keeps backups. Not enforced by harim (the
    /// backups are the operator's); printed, and used for erasure receipts.
    pub backup_retention_days: u32,
    /// A sign-in counter is deleted this long after its one-minute window ended
    /// ([`datamap::LOGIN_WINDOW_RETENTION_SECS`]; not configurable).
    pub login_window_secs: u64,
}

impl Periods {
    /// The configuration defaults.
    pub const DEFAULT: Self = Self {
        session_ttl_secs: 12 * 3600,
        api_key_unused_days: 365,
        export_ttl_secs: 24 * 3600,
        after_account_deletion_days: datamap::AFTER_ACCOUNT_DELETION_DAYS,
        audit_days: 730,
        audit_days_after_erasure: datamap::AUDIT_DAYS_AFTER_ERASURE,
        backup_retention_days: 30,
        login_window_secs: datamap::LOGIN_WINDOW_RETENTION_SECS,
    };

    /// The period a [`Rule::period`] (a configuration key, or the name of a fixed period)
    /// names, in that key's unit.
    pub fn value(&self, period: &str) -> Option<u64> {
        Some(match period {
            "session_ttl_secs" => self.session_ttl_secs,
            "api_key_unused_days" => self.api_key_unused_days.into(),
            "export_ttl_secs" => self.export_ttl_secs,
            "after_account_deletion_days" => self.after_account_deletion_days.into(),
            "audit_retention_days" => self.audit_days.into(),
            "audit_days_after_erasure" => self.audit_days_after_erasure.into(),
            "backup_retention_days" => self.backup_retention_days.into(),
            "login_window_secs" => self.login_window_secs,
            _ => return None,
        })
    }
}

impl Default for Periods {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// One rule [`run`] implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Also the rule's field in [`Report`].
    pub name: &'static str,
    /// The data-map entries it enforces: table names, place names.
    pub entries: &'static [&'static str],
    /// The period it reads: a key of [`Periods::value`], or a shop setting.
    pub period: &'static str,
}

/// Every rule [`run`] implements, in the order it runs them.
pub const RULES: &[Rule] = &[
    Rule {
        name: "expired_sessions",
        entries: &["sessions"],
        period: "session_ttl_secs",
    },
    Rule {
        name: "unused_api_keys",
        entries: &["api_keys"],
        period: "api_key_unused_days",
    },
    Rule {
        name: "expired_exports",
        entries: &[
            "data_requests",
            "Shop export archives",
            "Account export archives",
        ],
        period: "export_ttl_secs",
    },
    Rule {
        name: "kyc_documents",
        entries: &["kyc_documents", "KYC document objects"],
        period: "kyc_retention_days",
    },
    Rule {
        name: "account_residue",
        entries: &["audit_log", "data_requests"],
        period: "after_account_deletion_days",
    },
    Rule {
        name: "old_audit_entries",
        entries: &["audit_log"],
        period: "audit_retention_days",
    },
    Rule {
        name: "erased_shop_audit_chains",
        entries: &["audit_log", "audit_heads"],
        period: "audit_days_after_erasure",
    },
    Rule {
        name: "inactive_customers",
        entries: &["customers", "customer_keys"],
        period: "retention.customer_accounts_days",
    },
    Rule {
        name: "order_contacts",
        entries: &["customer_orders"],
        period: "retention.orders_days",
    },
    Rule {
        name: "login_windows",
        entries: &["login_attempts"],
        period: "login_window_secs",
    },
];

/// What an account-residue run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResidueReport {
    /// Erased accounts whose residue was removed.
    pub accounts: u64,
    /// Audit entries of those accounts whose content was removed.
    pub audit_entries_pruned: u64,
    /// `data_requests` rows that named them and no longer do.
    pub data_requests_anonymised: u64,
}

/// What one run did, per rule (the fields are [`RULES`]' names).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Sessions deleted.
    pub expired_sessions: u64,
    /// API keys deleted.
    pub unused_api_keys: u64,
    /// Export archives deleted (their requests marked expired).
    pub expired_exports: u64,
    pub kyc_documents: kyc::RetentionReport,
    pub account_residue: ResidueReport,
    /// Audit entries whose content was removed.
    pub old_audit_entries: u64,
    /// Erased shops' audit chains deleted.
    pub erased_shop_audit_chains: u64,
    /// Sign-in counters deleted.
    pub login_windows: u64,
    /// Customers erased for inactivity (the shop's `retention.customer_accounts_days`).
    pub inactive_customers: u64,
    /// Order contacts dropped (the shop's `retention.orders_days` after the last order).
    pub order_contacts: u64,
    /// Rules that failed this run (logged; the next run retries them).
    pub failed: Vec<&'static str>,
}

/// The actor of the audit entries the job writes.
const ACTOR: &str = "system:retention";

fn secs(s: u64, what: &str) -> Result<Duration, StoreError> {
    Ok(Duration::seconds(
        i64::try_from(s).map_err(|e| StoreError::internal(what, e))?,
    ))
}

fn days(d: u32) -> Duration {
    Duration::days(i64::from(d))
}

/// Runs every rule once at `now`. A rule that fails is logged and named in
/// [`Report::failed`], and the others still run; `Err` only when `periods` cannot be used.
pub async fn run(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    documents: &DocumentStore,
    periods: &Periods,
    now: OffsetDateTime,
) -> Result<Report, StoreError> {
    let session_ttl = secs(periods.session_ttl_secs, "session_ttl_secs")?;
    let export_ttl = secs(periods.export_ttl_secs, "export_ttl_secs")?;
    let mut report = Report::default();
    fn note<T>(failed: &mut Vec<&'static str>, rule: &'static str, r: Result<T, StoreError>) -> T
    where
        T: Default,
    {
        r.unwrap_or_else(|e| {
            tracing::warn!(rule, error = %e, "retention rule failed; retried next run");
            failed.push(rule);
            T::default()
        })
    }
    let f = &mut report.failed;
    report.expired_sessions = note(
        f,
        "expired_sessions",
        expired_sessions(db, session_ttl, now).await,
    );
    report.unused_api_keys = note(
        f,
        "unused_api_keys",
        unused_api_keys(db, vault, days(periods.api_key_unused_days), now).await,
    );
    report.expired_exports = note(
        f,
        "expired_exports",
        export::expire(db, documents, export_ttl, now).await,
    );
    report.kyc_documents = note(
        f,
        "kyc_documents",
        kyc::run_retention(db, vault, documents, now).await,
    );
    report.account_residue = note(
        f,
        "account_residue",
        account_residue(db, vault, days(periods.after_account_deletion_days), now).await,
    );
    report.old_audit_entries = note(
        f,
        "old_audit_entries",
        audit::prune(
            db,
            vault,
            audit::Prune::AtOrBefore(now - days(periods.audit_days)),
        )
        .await,
    );
    report.erased_shop_audit_chains = note(
        f,
        "erased_shop_audit_chains",
        erasure::purge_retained(db, vault, periods.audit_days_after_erasure, now).await,
    );
    report.login_windows = note(
        f,
        "login_windows",
        login_limit::purge(db, periods.login_window_secs, now).await,
    );
    let customers = note(
        f,
        "inactive_customers",
        crate::customers::run_retention(db, vault, now).await,
    );
    report.inactive_customers = customers.customers_erased;
    report.order_contacts = customers.order_contacts_dropped;
    for (rule, n) in [
        ("expired_sessions", report.expired_sessions),
        ("unused_api_keys", report.unused_api_keys),
        ("expired_exports", report.expired_exports),
        ("kyc_documents", report.kyc_documents.purged),
        ("account_residue", report.account_residue.accounts),
        ("old_audit_entries", report.old_audit_entries),
        ("erased_shop_audit_chains", report.erased_shop_audit_chains),
        ("login_windows", report.login_windows),
        ("inactive_customers", report.inactive_customers),
        ("order_contacts", report.order_contacts),
    ] {
        metrics::counter!("harim_retention_removed_total", "rule" => rule).increment(n);
    }
    if report != Report::default() {
        tracing::info!(report = ?report, "retention run");
    }
    Ok(report)
}

/// Sessions whose own expiry passed or that are older than `ttl` (a shortened
/// `session_ttl_secs` applies to sessions made before the change too). One statement.
async fn expired_sessions(
    db: &DatabaseConnection,
    ttl: Duration,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    Ok(db
        .execute(statement(
            db,
            "DELETE FROM sessions WHERE expires_at <= $1 OR created_at <= $2",
            [now.into(), (now - ttl).into()],
        ))
        .await?
        .rows_affected())
}

/// API keys last used (or, never used, created) `unused` or longer ago. Each deletion is
/// audited in its shop's chain, and re-checked inside that transaction, so a key used in the
/// meantime stays.
async fn unused_api_keys(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    unused: Duration,
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    const STALE: &str = "COALESCE(last_used_at, created_at) <= $1";
    let cutoff = now - unused;
    let rows = db
        .query_all(statement(
            db,
            &format!("SELECT tenant_id, id FROM api_keys WHERE {STALE}"),
            [cutoff.into()],
        ))
        .await?;
    let mut n = 0;
    for r in rows {
        let tenant_id: Uuid = r.try_get("", "tenant_id")?;
        let id: Uuid = r.try_get("", "id")?;
        let event = audit::Event {
            actor: ACTOR.into(),
            action: audit::Action::ApiKeyExpire,
            fields: vec![format!("api_key:{id}")],
            purpose: None,
            request_id: None,
        };
        let deleted = tx::audited(db, vault, tenant_id, event, move |txn| {
            Box::pin(async move {
                let gone = txn
                    .execute(statement(
                        txn,
                        &format!(
                            "DELETE FROM api_keys WHERE tenant_id = $2 AND id = $3 AND {STALE}"
                        ),
                        [cutoff.into(), tenant_id.into(), id.into()],
                    ))
                    .await?
                    .rows_affected();
                // Used or revoked meanwhile: nothing happened, so nothing is recorded.
                Ok(if gone == 1 {
                    Finish::Commit(true)
                } else {
                    Finish::Rollback(false)
                })
            })
        })
        .await?;
        n += u64::from(deleted);
    }
    Ok(n)
}

/// The residue of accounts erased `after` or longer ago ([`datamap::ACCOUNT_RESIDUE`]). The
/// account erasure's request row lists the account in its progress until this has run (the
/// progress is cleared last, in the same transaction as the rest), so a run killed half way
/// is redone by the next.
///
/// The request row only says what is left to do; what the rule acts on is the account's
/// authentic `account.erase` entry in the platform chain ([`audit::erased_account`]), old
/// enough. A row inserted with SQL naming a live account would otherwise prune every entry that
/// account is the actor of: such a row is left alone, counted and logged as tampering.
async fn account_residue(
    db: &DatabaseConnection,
    vault: &Arc<Vault>,
    after: Duration,
    now: OffsetDateTime,
) -> Result<ResidueReport, StoreError> {
    let mut report = ResidueReport::default();
    let mut refused = 0;
    let rows = data_request::Entity::find()
        .filter(data_request::Column::Kind.eq(RequestKind::EraseAccount))
        .filter(data_request::Column::State.eq(RequestState::Completed))
        .filter(data_request::Column::RequestedAt.lte(now - after))
        .filter(data_request::Column::Progress.is_not_null())
        .all(db)
        .await?;
    for row in rows {
        let members: Vec<Uuid> = row
            .progress
            .as_deref()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .and_then(|p| serde_json::from_value(p["members"].clone()).ok())
            .unwrap_or_default();
        let mut confirmed = true;
        for account in &members {
            match audit::erased_account(db, vault, *account).await? {
                Some(at) if at <= now - after => {}
                _ => confirmed = false,
            }
        }
        if !confirmed {
            crate::evidence::tampering(
                "data_request",
                &format!(
                    "request {}: an account it names has no authentic erasure old enough; residue kept",
                    row.id
                ),
            );
            refused += 1;
            continue;
        }
        for account in &members {
            // The same actor string `Principal::actor` writes for a signed-in person.
            let actor = format!("account:{account}");
            report.audit_entries_pruned +=
                audit::prune(db, vault, audit::Prune::Actor(&actor)).await?;
        }
        let txn = db.begin().await?;
        for account in &members {
            report.data_requests_anonymised += txn
                .execute(statement(
                    &txn,
                    "UPDATE data_requests SET subject_account = NULL WHERE subject_account = $1",
                    [(*account).into()],
                ))
                .await?
                .rows_affected();
            txn.execute(statement(
                &txn,
                "UPDATE data_requests SET progress = NULL WHERE state = 'completed' \
                 AND kind IN ('erase_shop', 'erase_account') AND progress LIKE $1",
                [format!("%{account}%").into()],
            ))
            .await?;
        }
        txn.execute(statement(
            &txn,
            "UPDATE data_requests SET progress = NULL WHERE tenant_id = $1 AND id = $2",
            [row.tenant_id.into(), row.id.into()],
        ))
        .await?;
        txn.commit().await?;
        report.accounts += 1;
    }
    if refused > 0 {
        return Err(StoreError::Internal(format!(
            "{refused} account erasures' residue was kept: no authentic account.erase entry confirms them"
        )));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use datamap::{Erasure, Event, Holds, Retention, Until};

    /// The period key the job must read for a retention the data map states, or `None` when
    /// the entry has no time limit harim enforces.
    fn period_of(r: Retention) -> Option<&'static str> {
        let p = Periods::DEFAULT;
        match r {
            Retention::WhileAccountExists
            | Retention::WhileShopExists
            | Retention::Operator { .. } => None,
            Retention::Config { key, .. } => Some(key),
            Retention::ShopSetting { setting, .. } => Some(setting),
            Retention::Days {
                days,
                from: Event::Erasure,
            } => {
                assert_eq!(
                    u64::from(days),
                    p.value("audit_days_after_erasure").unwrap()
                );
                Some("audit_days_after_erasure")
            }
            Retention::Seconds {
                secs,
                from: Event::WindowEnd,
            } => {
                assert_eq!(secs, p.login_window_secs);
                Some("login_window_secs")
            }
            other => panic!("a retention the job has no rule for: {other:?}"),
        }
    }

    /// Everything the data map gives a time limit (tables, places, what erasure keeps for a
    /// while, an erased account's residue) is covered by a rule of the job reading that period.
    #[test]
    fn every_time_limit_of_the_data_map_is_run_by_the_job() {
        let mut wanted: Vec<(&str, &str)> = Vec::new();
        for t in datamap::TABLES {
            if let Holds::Personal {
                retention, erasure, ..
            } = t.holds
            {
                wanted.extend(period_of(retention).map(|p| (t.name, p)));
                if let Erasure::Retain {
                    until: Until::DaysAfterErasure { days },
                    ..
                } = erasure
                {
                    assert_eq!(days, Periods::DEFAULT.audit_days_after_erasure);
                    wanted.push((t.name, "audit_days_after_erasure"));
                }
            }
        }
        for p in datamap::PLACES {
            wanted.extend(period_of(p.retention).map(|k| (p.name, k)));
        }
        for r in datamap::ACCOUNT_RESIDUE {
            wanted.push((r.table, period_of(r.retention).unwrap()));
        }
        assert!(wanted.len() > 10, "{wanted:?}");
        for (entry, period) in wanted {
            assert!(
                RULES
                    .iter()
                    .any(|r| r.period == period && r.entries.contains(&entry)),
                "{entry}: no rule of retention::run enforces `{period}`"
            );
        }
    }

    /// Every rule reads a period [`Periods`] has (KYC: the shop's own setting), and names
    /// entries the data map has; the report has one field per rule.
    #[test]
    fn every_rule_reads_a_period_and_is_reported() {
        let report = serde_json::to_value(Report::default()).unwrap();
        for r in RULES {
            assert!(
                Periods::DEFAULT.value(r.period).is_some()
                    || r.period == "kyc_retention_days"
                    || r.period.starts_with("retention."),
                "{}: unknown period {}",
                r.name,
                r.period
            );
            for e in r.entries {
                assert!(
                    datamap::table(e).is_some() || datamap::PLACES.iter().any(|p| p.name == *e),
                    "{}: {e} is not in the data map",
                    r.name
                );
            }
            assert!(report.get(r.name).is_some(), "{} is not reported", r.name);
        }
        assert_eq!(Periods::default(), Periods::DEFAULT);
    }
}
