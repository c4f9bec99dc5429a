//! Typed "what changed" items between two settings values, worded in every locale.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::clause::{Arg, days_from_to, key_id, msg, need, role, text};
use crate::delta::{added_removed, changed};
use crate::i18n::{Localizer, plain};
use crate::locale::{Locale, LocaleFormat};
use crate::settings::{
    AnalyticsService, CustomerDataCategory, PaymentGateway, PrivacySettings, ProcessorRole,
    RetentionKind, RetentionPeriod,
};

/// One change between two policy versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A data category is now collected.
    CustomerDataAdded {
        /// Category.
        category: CustomerDataCategory,
        /// Required or optional.
        required: bool,
    },
    /// A data category is no longer collected.
    CustomerDataRemoved {
        /// Category.
        category: CustomerDataCategory,
    },
    /// A category switched between required and optional.
    CustomerDataRequirementChanged {
        /// Category.
        category: CustomerDataCategory,
        /// New value.
        required: bool,
    },
    /// The shop now gets an e-mail per order.
    NotificationEmailEnabled,
    /// The shop no longer gets an e-mail per order.
    NotificationEmailDisabled,
    /// Order text messages switched on.
    NotificationSmsEnabled,
    /// Order text messages switched off.
    NotificationSmsDisabled,
    /// Offers by text message (with consent) switched on.
    MarketingSmsEnabled,
    /// Offers by text message switched off.
    MarketingSmsDisabled,
    /// Offers by e-mail (with consent) switched on.
    MarketingEmailEnabled,
    /// Offers by e-mail switched off.
    MarketingEmailDisabled,
    /// Analytics service added.
    AnalyticsAdded {
        /// Service.
        service: AnalyticsService,
    },
    /// Analytics service removed.
    AnalyticsRemoved {
        /// Service.
        service: AnalyticsService,
    },
    /// Payment gateway added.
    PaymentGatewayAdded {
        /// Gateway.
        gateway: PaymentGateway,
    },
    /// Payment gateway removed.
    PaymentGatewayRemoved {
        /// Gateway.
        gateway: PaymentGateway,
    },
    /// Processor added.
    ProcessorAdded {
        /// Role.
        role: ProcessorRole,
        /// Vendor name.
        name: String,
        /// The vendor's name by language (absent: none), so the history names it as the
        /// policy does.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        localized_names: BTreeMap<Locale, String>,
    },
    /// Processor removed.
    ProcessorRemoved {
        /// Role.
        role: ProcessorRole,
        /// Vendor name.
        name: String,
        /// The vendor's name by language (absent: none), so the history names it as the
        /// policy does.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        localized_names: BTreeMap<Locale, String>,
    },
    /// A retention period changed.
    RetentionChanged {
        /// Which period.
        kind: RetentionKind,
        /// Old days (for a period set in years, its longest reading in days).
        from: u32,
        /// New days (likewise).
        to: u32,
        /// Old period in calendar years, when it was set in years: worded so, never as days.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_years: Option<u32>,
        /// New period in calendar years, when it is set in years.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to_years: Option<u32>,
    },
    /// Answer time for privacy requests changed.
    ResponseTimeChanged {
        /// Old days.
        from: u32,
        /// New days.
        to: u32,
    },
    /// Minimum age changed.
    MinimumAgeChanged {
        /// Old age.
        from: u8,
        /// New age.
        to: u8,
    },
    /// Contact details changed.
    ContactChanged,
    /// Controller identity or country changed.
    ControllerChanged,
    /// A language was added.
    LocaleAdded {
        /// Language.
        locale: Locale,
    },
    /// A language was removed.
    LocaleRemoved {
        /// Language.
        locale: Locale,
    },
    /// A change to the platform's own policy (its facts or its data map).
    Platform {
        /// What changed.
        change: crate::platform::PlatformChange,
    },
}

impl Change {
    /// The message id and arguments wording this change.
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        let cat = |c: &CustomerDataCategory| format!("cat-{}", key_id(c.key()));
        // A category with its requirement; `gender` lets the sentence agree with its noun.
        let row = |c: &CustomerDataCategory, required: bool| {
            vec![
                ("category", msg(cat(c))),
                ("need", need(required)),
                ("gender", Arg::Gender(cat(c))),
            ]
        };
        let gw = |g: &PaymentGateway| msg(format!("gateway-{}", key_id(g.key())));
        let lang = |l: &Locale| msg(format!("lang-{}", l.tag()));
        match self {
            Self::CustomerDataAdded { category, required } => {
                ("change-data-added", row(category, *required))
            }
            Self::CustomerDataRemoved { category } => (
                "change-data-removed",
                vec![("category", msg(cat(category)))],
            ),
            Self::CustomerDataRequirementChanged { category, required } => {
                ("change-data-requirement", row(category, *required))
            }
            Self::NotificationEmailEnabled => ("change-order-email-on", vec![]),
            Self::NotificationEmailDisabled => ("change-order-email-off", vec![]),
            Self::NotificationSmsEnabled => ("change-order-sms-on", vec![]),
            Self::NotificationSmsDisabled => ("change-order-sms-off", vec![]),
            Self::MarketingSmsEnabled => ("change-marketing-sms-on", vec![]),
            Self::MarketingSmsDisabled => ("change-marketing-sms-off", vec![]),
            Self::MarketingEmailEnabled => ("change-marketing-email-on", vec![]),
            Self::MarketingEmailDisabled => ("change-marketing-email-off", vec![]),
            Self::AnalyticsAdded { service } => (
                "change-analytics-added",
                vec![("service", text(service.name()))],
            ),
            Self::AnalyticsRemoved { service } => (
                "change-analytics-removed",
                vec![("service", text(service.name()))],
            ),
            Self::PaymentGatewayAdded { gateway } => {
                ("change-gateway-added", vec![("gateway", gw(gateway))])
            }
            Self::PaymentGatewayRemoved { gateway } => {
                ("change-gateway-removed", vec![("gateway", gw(gateway))])
            }
            Self::ProcessorAdded {
                role: r,
                name,
                localized_names,
            } => (
                "change-processor-added",
                vec![("name", named(name, localized_names)), ("role", role(*r))],
            ),
            Self::ProcessorRemoved {
                role: r,
                name,
                localized_names,
            } => (
                "change-processor-removed",
                vec![("name", named(name, localized_names)), ("role", role(*r))],
            ),
            Self::RetentionChanged {
                kind,
                from,
                to,
                from_years,
                to_years,
            } => {
                // A period set in years is worded in years, as the policy words it.
                let period =
                    |days: u32, years: Option<u32>| years.map_or(Arg::Days(days), Arg::Years);
                let args = vec![
                    (
                        "kind",
                        msg(format!("retention-kind-{}", key_id(kind.field()))),
                    ),
                    ("from", period(*from, *from_years)),
                    ("to", period(*to, *to_years)),
                ];
                ("change-retention", args)
            }
            Self::ResponseTimeChanged { from, to } => {
                ("change-response-time", days_from_to(*from, *to))
            }
            Self::MinimumAgeChanged { from, to } => (
                "change-minimum-age",
                vec![
                    ("from", Arg::Number(u32::from(*from))),
                    ("to", Arg::Number(u32::from(*to))),
                ],
            ),
            Self::ContactChanged => ("change-contact", vec![]),
            Self::ControllerChanged => ("change-controller", vec![]),
            Self::LocaleAdded { locale } => {
                ("change-locale-added", vec![("language", lang(locale))])
            }
            Self::LocaleRemoved { locale } => {
                ("change-locale-removed", vec![("language", lang(locale))])
            }
            Self::Platform { change } => change.message(),
        }
    }

    /// One sentence in `locale`, with the locale's customary digits.
    #[must_use]
    pub fn describe(&self, locale: Locale) -> String {
        let mut l = Localizer::new(locale, LocaleFormat::customary(locale));
        self.describe_with(&mut l)
    }

    /// One sentence using an existing localizer (its digits; errors are collected there).
    pub fn describe_with(&self, l: &mut Localizer) -> String {
        let (id, args) = self.message();
        plain(&l.message(id, &args))
    }
}

/// What changed from `old` to `new`, in a stable order.
#[must_use]
pub fn diff(old: &PrivacySettings, new: &PrivacySettings) -> Vec<Change> {
    let mut out = customer_data_changes(old, new);
    out.extend(switched(
        old.notifications.order_email,
        new.notifications.order_email,
        Change::NotificationEmailEnabled,
        Change::NotificationEmailDisabled,
    ));
    out.extend(switched(
        old.notifications.order_sms,
        new.notifications.order_sms,
        Change::NotificationSmsEnabled,
        Change::NotificationSmsDisabled,
    ));
    out.extend(switched(
        old.notifications.marketing_sms,
        new.notifications.marketing_sms,
        Change::MarketingSmsEnabled,
        Change::MarketingSmsDisabled,
    ));
    out.extend(switched(
        old.notifications.marketing_email,
        new.notifications.marketing_email,
        Change::MarketingEmailEnabled,
        Change::MarketingEmailDisabled,
    ));
    out.extend(vendor_changes(old, new));
    for kind in RetentionKind::ALL {
        let years = |p: RetentionPeriod| match p {
            RetentionPeriod::Years(y) => Some(y),
            RetentionPeriod::Days(_) => None,
        };
        out.extend(changed(
            old.retention.period(kind),
            new.retention.period(kind),
            |from, to| Change::RetentionChanged {
                kind,
                from: old.retention.days(kind),
                to: new.retention.days(kind),
                from_years: years(from),
                to_years: years(to),
            },
        ));
    }
    out.extend(changed(old.response_days, new.response_days, |from, to| {
        Change::ResponseTimeChanged { from, to }
    }));
    out.extend(changed(old.minimum_age, new.minimum_age, |from, to| {
        Change::MinimumAgeChanged { from, to }
    }));
    if old.contact != new.contact {
        out.push(Change::ContactChanged);
    }
    if old.controller != new.controller {
        out.push(Change::ControllerChanged);
    }
    let locales =
        |s: &PrivacySettings| -> Vec<Locale> { s.locales.iter().map(|l| l.locale).collect() };
    out.extend(added_removed(
        &locales(old),
        &locales(new),
        |&locale| Change::LocaleAdded { locale },
        |&locale| Change::LocaleRemoved { locale },
    ));
    out
}

/// Categories added or switched between required and optional, in the new order, then those
/// no longer collected.
fn customer_data_changes(old: &PrivacySettings, new: &PrivacySettings) -> Vec<Change> {
    let mut out = Vec::new();
    for n in &new.customer_data {
        match old.customer_data.iter().find(|o| o.category == n.category) {
            None => out.push(Change::CustomerDataAdded {
                category: n.category,
                required: n.required,
            }),
            Some(o) if o.required != n.required => {
                out.push(Change::CustomerDataRequirementChanged {
                    category: n.category,
                    required: n.required,
                });
            }
            Some(_) => {}
        }
    }
    for o in &old.customer_data {
        if !new.collects(o.category) {
            out.push(Change::CustomerDataRemoved {
                category: o.category,
            });
        }
    }
    out
}

/// `on` when a switch went from off to on, `off` when it went from on to off.
fn switched(old: bool, new: bool, on: Change, off: Change) -> Option<Change> {
    match (old, new) {
        (false, true) => Some(on),
        (true, false) => Some(off),
        _ => None,
    }
}

/// Analytics services, payment gateways and processors added or removed, in that order.
fn vendor_changes(old: &PrivacySettings, new: &PrivacySettings) -> Vec<Change> {
    let mut out = added_removed(
        &old.analytics,
        &new.analytics,
        |a| Change::AnalyticsAdded { service: a.clone() },
        |a| Change::AnalyticsRemoved { service: a.clone() },
    );
    out.extend(added_removed(
        &old.payment_gateways,
        &new.payment_gateways,
        |&gateway| Change::PaymentGatewayAdded { gateway },
        |&gateway| Change::PaymentGatewayRemoved { gateway },
    ));
    out.extend(added_removed(
        &old.processors,
        &new.processors,
        |p| Change::ProcessorAdded {
            role: p.role,
            name: p.name.clone(),
            localized_names: p.localized_names.clone(),
        },
        |p| Change::ProcessorRemoved {
            role: p.role,
            name: p.name.clone(),
            localized_names: p.localized_names.clone(),
        },
    ));
    out
}

/// Every kind of change once, for tests that every change is worded in every locale.
#[must_use]
pub fn sample_changes() -> Vec<Change> {
    let mut v = vec![
        Change::NotificationEmailEnabled,
        Change::NotificationEmailDisabled,
        Change::NotificationSmsEnabled,
        Change::NotificationSmsDisabled,
        Change::MarketingSmsEnabled,
        Change::MarketingSmsDisabled,
        Change::MarketingEmailEnabled,
        Change::MarketingEmailDisabled,
        Change::AnalyticsAdded {
            service: AnalyticsService::Hotjar,
        },
        Change::AnalyticsRemoved {
            service: AnalyticsService::GoogleAnalytics,
        },
        Change::ResponseTimeChanged { from: 30, to: 14 },
        Change::MinimumAgeChanged { from: 16, to: 18 },
        Change::ContactChanged,
        Change::ControllerChanged,
    ];
    for c in CustomerDataCategory::ALL {
        v.push(Change::CustomerDataAdded {
            category: c,
            required: true,
        });
        v.push(Change::CustomerDataRemoved { category: c });
        v.push(Change::CustomerDataRequirementChanged {
            category: c,
            required: false,
        });
    }
    for g in PaymentGateway::ALL {
        v.push(Change::PaymentGatewayAdded { gateway: g });
        v.push(Change::PaymentGatewayRemoved { gateway: g });
    }
    for role in [
        ProcessorRole::Sms,
        ProcessorRole::Email,
        ProcessorRole::Hosting,
        ProcessorRole::Shipping,
        ProcessorRole::Support,
    ] {
        v.push(Change::ProcessorAdded {
            role,
            name: "Vendor".into(),
            localized_names: BTreeMap::new(),
        });
        v.push(Change::ProcessorRemoved {
            role,
            name: "Vendor".into(),
            localized_names: BTreeMap::new(),
        });
    }
    for kind in RetentionKind::ALL {
        v.push(Change::RetentionChanged {
            kind,
            from: 1,
            to: 11,
            from_years: None,
            to_years: None,
        });
    }
    for locale in Locale::ALL {
        v.push(Change::LocaleAdded { locale });
        v.push(Change::LocaleRemoved { locale });
    }
    v
}

/// A vendor's name, in the page's language where it has one there.
fn named(name: &str, by_locale: &BTreeMap<Locale, String>) -> Arg {
    if by_locale.is_empty() {
        text(name)
    } else {
        Arg::Localized(
            name.to_owned(),
            by_locale.iter().map(|(l, n)| (*l, n.clone())).collect(),
        )
    }
}
