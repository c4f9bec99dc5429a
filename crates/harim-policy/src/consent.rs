//! The purposes a shop's customers can consent to, as its settings name them, and which of them
//! a change of the settings touches (so consents given under the older version need renewal).
//!
//! Purpose ids are stable strings, stored with every consent event: `order_sms`, `order_email`,
//! `marketing_sms`, `marketing_email`, `analytics`, and `analytics:<service key>` for each
//! configured analytics service (`analytics:google_analytics`, `analytics:custom.zid-insights`).

use std::collections::BTreeSet;

use crate::{Change, CustomerDataCategory, PrivacySettings, ProcessorRole};

/// Purposes of transactional messages: sent unless the customer refused them.
pub const ORDER_PURPOSES: [&str; 2] = ["order_sms", "order_email"];
/// Purposes that need a customer's `given` consent before anything is done for them.
pub const OPT_IN_PURPOSES: [&str; 3] = ["marketing_sms", "marketing_email", "analytics"];

/// Whether `purpose` is a well-formed purpose id (not whether a shop uses it).
#[must_use]
pub fn is_purpose(purpose: &str) -> bool {
    ORDER_PURPOSES.contains(&purpose)
        || OPT_IN_PURPOSES.contains(&purpose)
        || purpose.strip_prefix("analytics:").is_some_and(|k| {
            !k.is_empty()
                && k.len() <= 96
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
}

/// Whether a purpose needs a `given` consent (marketing, analytics) rather than only the absence
/// of a refusal (order messages, which the contract needs).
#[must_use]
pub fn needs_opt_in(purpose: &str) -> bool {
    !ORDER_PURPOSES.contains(&purpose)
}

/// The purposes the settings name, in a stable order: order messages as enabled (order e-mail
/// whenever the shop collects e-mail addresses: order confirmations are part of the contract),
/// marketing channels as switched on, analytics and one purpose per configured service.
#[must_use]
pub fn purposes(s: &PrivacySettings) -> Vec<String> {
    let mut out = Vec::new();
    if s.notifications.order_sms {
        out.push("order_sms".to_string());
    }
    if s.collects(CustomerDataCategory::Email) {
        out.push("order_email".to_string());
    }
    if s.notifications.marketing_sms {
        out.push("marketing_sms".to_string());
    }
    if s.notifications.marketing_email {
        out.push("marketing_email".to_string());
    }
    if !s.analytics.is_empty() {
        out.push("analytics".to_string());
        out.extend(s.analytics.iter().map(|a| format!("analytics:{}", a.key())));
    }
    out
}

/// The purposes a banner asks about: those that need opt-in (order messages are not asked).
#[must_use]
pub fn banner_purposes(s: &PrivacySettings) -> Vec<String> {
    purposes(s)
        .into_iter()
        .filter(|p| needs_opt_in(p))
        .collect()
}

/// Purposes whose consents given under the older version must be renewed after `changes`: a
/// purpose switched on again, a new analytics service (the general `analytics` purpose too, since
/// what it covers grew), a new SMS or e-mail processor (a new recipient of the phone or
/// address). Removals narrow what was consented to and touch nothing.
#[must_use]
pub fn touched_purposes(changes: &[Change]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |p: &str| {
        out.insert(p.to_string());
    };
    for c in changes {
        match c {
            Change::NotificationSmsEnabled => add("order_sms"),
            Change::MarketingSmsEnabled => add("marketing_sms"),
            Change::MarketingEmailEnabled => add("marketing_email"),
            Change::AnalyticsAdded { service } => {
                add("analytics");
                add(&format!("analytics:{}", service.key()));
            }
            Change::ProcessorAdded {
                role: ProcessorRole::Sms,
                ..
            } => {
                add("order_sms");
                add("marketing_sms");
            }
            Change::ProcessorAdded {
                role: ProcessorRole::Email,
                ..
            } => {
                add("order_email");
                add("marketing_email");
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnalyticsService;

    #[test]
    fn purpose_ids_are_checked() {
        for p in ["order_sms", "analytics", "analytics:custom.zid-insights"] {
            assert!(is_purpose(p), "{p}");
        }
        for p in [
            "",
            "marketing",
            "analytics:",
            "analytics:Bad",
            "analytics:a b",
            "x",
        ] {
            assert!(!is_purpose(p), "{p}");
        }
    }

    #[test]
    fn a_new_service_touches_analytics_and_itself_and_a_removal_touches_nothing() {
        let added = Change::AnalyticsAdded {
            service: AnalyticsService::Hotjar,
        };
        let removed = Change::AnalyticsRemoved {
            service: AnalyticsService::Hotjar,
        };
        let t = touched_purposes(&[added, removed, Change::ContactChanged]);
        assert_eq!(
            t.into_iter().collect::<Vec<_>>(),
            ["analytics", "analytics:hotjar"]
        );
        assert!(touched_purposes(&[Change::MarketingSmsDisabled]).is_empty());
    }
}
