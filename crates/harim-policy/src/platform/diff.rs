//! What changed between two versions of the platform policy's inputs, and how each change is
//! worded (the platform's entries of the shared [`crate::Change`] list).

use serde::{Deserialize, Serialize};

use super::facts::{MerchantData, Platform, PlatformPolicyInputs};
use crate::clause::{Arg, country, days_from_to, key_id, msg, role, text};
use crate::delta::{added_removed, changed};
use crate::settings::{Country, ProcessorRole};

/// One change between two versions of the platform policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlatformChange {
    /// The operator's name, registration, country or contact changed.
    OperatorChanged,
    /// The host or its country changed.
    HostingChanged {
        /// New host.
        name: String,
        /// New country.
        country: Country,
    },
    /// A processor was added.
    ProcessorAdded {
        /// Role.
        role: ProcessorRole,
        /// Name.
        name: String,
    },
    /// A processor was removed.
    ProcessorRemoved {
        /// Role.
        role: ProcessorRole,
        /// Name.
        name: String,
    },
    /// The platform holds a new category of data.
    DataAdded {
        /// Data-map category key.
        category: String,
    },
    /// The platform no longer holds a category.
    DataRemoved {
        /// Data-map category key.
        category: String,
    },
    /// What a category holds, why or on what basis changed.
    DataChanged {
        /// Data-map category key.
        category: String,
    },
    /// How long a category is kept changed.
    RetentionChanged {
        /// Data-map category key.
        category: String,
    },
    /// How long backups are kept changed.
    BackupsChanged {
        /// Before, days.
        from: u32,
        /// After, days.
        to: u32,
    },
    /// How long the service log is kept changed.
    LogsChanged {
        /// Before, days.
        from: u32,
        /// After, days.
        to: u32,
    },
    /// The time to answer a request changed.
    ResponseTimeChanged {
        /// Before, days.
        from: u32,
        /// After, days.
        to: u32,
    },
    /// Root keys moved into, or out of, a hardware security module.
    KeyCustodyChanged {
        /// Whether they are in one now.
        in_hsm: bool,
    },
    /// A route that carries out a right changed.
    RoutesChanged,
}

impl PlatformChange {
    /// The message id and arguments wording this change.
    pub(crate) fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        let cat = |k: &str| ("category", msg(format!("pp-cat-{}", key_id(k))));
        match self {
            Self::OperatorChanged => ("pp-change-operator", vec![]),
            Self::HostingChanged { name, country: c } => (
                "pp-change-hosting",
                vec![("name", text(name)), ("country", country(*c))],
            ),
            Self::ProcessorAdded { role: r, name } => (
                "pp-change-processor-added",
                vec![("name", text(name)), ("role", role(*r))],
            ),
            Self::ProcessorRemoved { role: r, name } => (
                "pp-change-processor-removed",
                vec![("name", text(name)), ("role", role(*r))],
            ),
            Self::DataAdded { category } => ("pp-change-data-added", vec![cat(category)]),
            Self::DataRemoved { category } => ("pp-change-data-removed", vec![cat(category)]),
            Self::DataChanged { category } => ("pp-change-data-changed", vec![cat(category)]),
            Self::RetentionChanged { category } => ("pp-change-retention", vec![cat(category)]),
            Self::BackupsChanged { from, to } => ("pp-change-backups", days_from_to(*from, *to)),
            Self::LogsChanged { from, to } => ("pp-change-logs", days_from_to(*from, *to)),
            Self::ResponseTimeChanged { from, to } => {
                ("pp-change-response-time", days_from_to(*from, *to))
            }
            Self::KeyCustodyChanged { in_hsm: true } => ("pp-change-hsm-on", vec![]),
            Self::KeyCustodyChanged { in_hsm: false } => ("pp-change-hsm-off", vec![]),
            Self::RoutesChanged => ("pp-change-routes", vec![]),
        }
    }
}

/// What changed from `old` to `new`, in a stable order.
#[must_use]
pub fn diff_platform(
    old: &PlatformPolicyInputs,
    new: &PlatformPolicyInputs,
) -> Vec<PlatformChange> {
    let (o, n) = (&old.platform, &new.platform);
    let mut out = operator_and_hosting(o, n);
    out.extend(added_removed(
        &o.processors,
        &n.processors,
        |p| PlatformChange::ProcessorAdded {
            role: p.role,
            name: p.name.clone(),
        },
        |p| PlatformChange::ProcessorRemoved {
            role: p.role,
            name: p.name.clone(),
        },
    ));
    out.extend(data_changes(&old.data.entries, &new.data.entries));
    out.extend(
        [
            changed(o.log_retention_days, n.log_retention_days, |from, to| {
                PlatformChange::LogsChanged { from, to }
            }),
            changed(
                o.backup_retention_days,
                n.backup_retention_days,
                |from, to| PlatformChange::BackupsChanged { from, to },
            ),
            changed(old.response_days, new.response_days, |from, to| {
                PlatformChange::ResponseTimeChanged { from, to }
            }),
            changed(old.keys_in_hsm, new.keys_in_hsm, |_, in_hsm| {
                PlatformChange::KeyCustodyChanged { in_hsm }
            }),
        ]
        .into_iter()
        .flatten(),
    );
    if old.routes != new.routes {
        out.push(PlatformChange::RoutesChanged);
    }
    out
}

/// The operator's identity or contact, then the host.
fn operator_and_hosting(o: &Platform, n: &Platform) -> Vec<PlatformChange> {
    let mut out = Vec::new();
    if (
        &o.operator,
        &o.registration_number,
        o.country,
        &o.contact_email,
        &o.dpo_email,
        &o.name,
    ) != (
        &n.operator,
        &n.registration_number,
        n.country,
        &n.contact_email,
        &n.dpo_email,
        &n.name,
    ) {
        out.push(PlatformChange::OperatorChanged);
    }
    if (&o.hosting_provider, o.hosting_country) != (&n.hosting_provider, n.hosting_country) {
        out.push(PlatformChange::HostingChanged {
            name: n.hosting_provider.clone(),
            country: n.hosting_country,
        });
    }
    out
}

/// Data-map categories added or changed, in the new map's order, then those removed.
fn data_changes(old: &[MerchantData], new: &[MerchantData]) -> Vec<PlatformChange> {
    let mut out = Vec::new();
    for e in new {
        let category = || e.category.clone();
        let Some(x) = old.iter().find(|x| x.category == e.category) else {
            out.push(PlatformChange::DataAdded {
                category: category(),
            });
            continue;
        };
        if (x.subject, &x.bases, &x.fields, x.encrypted)
            != (e.subject, &e.bases, &e.fields, e.encrypted)
        {
            out.push(PlatformChange::DataChanged {
                category: category(),
            });
        }
        if x.periods != e.periods {
            out.push(PlatformChange::RetentionChanged {
                category: category(),
            });
        }
    }
    for x in old {
        if !new.iter().any(|e| e.category == x.category) {
            out.push(PlatformChange::DataRemoved {
                category: x.category.clone(),
            });
        }
    }
    out
}
