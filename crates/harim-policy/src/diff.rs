//! Typed "what changed" items between two settings values, worded in every locale.

use serde::{Deserialize, Serialize};

use crate::doc::Arg;
use crate::i18n::{Localizer, plain};
use crate::locale::{Locale, LocaleFormat};
use crate::settings::{
    AnalyticsService, CustomerDataCategory, PaymentGateway, PrivacySettings, ProcessorRole,
    RetentionKind,
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
    },
    /// Processor removed.
    ProcessorRemoved {
        /// Role.
        role: ProcessorRole,
        /// Vendor name.
        name: String,
    },
    /// A retention period changed.
    RetentionChanged {
        /// Which period.
        kind: RetentionKind,
        /// Old days.
        from: u32,
        /// New days.
        to: u32,
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
        let cat = |c: &CustomerDataCategory| Arg::Msg(format!("cat-{}", c.key().replace('_', "-")));
        let need = |r: bool| crate::doc::need(r);
        let gender =
            |c: &CustomerDataCategory| Arg::Gender(format!("cat-{}", c.key().replace('_', "-")));
        let gw = |g: &PaymentGateway| Arg::Msg(format!("gateway-{}", g.key().replace('_', "-")));
        let role = |r: &ProcessorRole| Arg::Msg(format!("role-{}", r.key()));
        let lang = |l: &Locale| Arg::Msg(format!("lang-{}", l.tag()));
        match self {
            Self::CustomerDataAdded { category, required } => (
                "change-data-added",
                vec![
                    ("category", cat(category)),
                    ("need", need(*required)),
                    ("gender", gender(category)),
                ],
            ),
            Self::CustomerDataRemoved { category } => {
                ("change-data-removed", vec![("category", cat(category))])
            }
            Self::CustomerDataRequirementChanged { category, required } => (
                "change-data-requirement",
                vec![
                    ("category", cat(category)),
                    ("need", need(*required)),
                    ("gender", gender(category)),
                ],
            ),
            Self::NotificationEmailEnabled => ("change-order-email-on", vec![]),
            Self::NotificationEmailDisabled => ("change-order-email-off", vec![]),
            Self::NotificationSmsEnabled => ("change-order-sms-on", vec![]),
            Self::NotificationSmsDisabled => ("change-order-sms-off", vec![]),
            Self::AnalyticsAdded { service } => (
                "change-analytics-added",
                vec![("service", Arg::Text(service.name().into()))],
            ),
            Self::AnalyticsRemoved { service } => (
                "change-analytics-removed",
                vec![("service", Arg::Text(service.name().into()))],
            ),
            Self::PaymentGatewayAdded { gateway } => {
                ("change-gateway-added", vec![("gateway", gw(gateway))])
            }
            Self::PaymentGatewayRemoved { gateway } => {
                ("change-gateway-removed", vec![("gateway", gw(gateway))])
            }
            Self::ProcessorAdded { role: r, name } => (
                "change-processor-added",
                vec![("name", Arg::Text(name.clone())), ("role", role(r))],
            ),
            Self::ProcessorRemoved { role: r, name } => (
                "change-processor-removed",
                vec![("name", Arg::Text(name.clone())), ("role", role(r))],
            ),
            Self::RetentionChanged { kind, from, to } => (
                "change-retention",
                vec![
                    (
                        "kind",
                        Arg::Msg(format!("retention-kind-{}", kind.field().replace('_', "-"))),
                    ),
                    ("from", Arg::Days(*from)),
                    ("to", Arg::Days(*to)),
                ],
            ),
            Self::ResponseTimeChanged { from, to } => (
                "change-response-time",
                vec![("from", Arg::Days(*from)), ("to", Arg::Days(*to))],
            ),
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
    match (old.notifications.order_email, new.notifications.order_email) {
        (false, true) => out.push(Change::NotificationEmailEnabled),
        (true, false) => out.push(Change::NotificationEmailDisabled),
        _ => {}
    }
    match (old.notifications.order_sms, new.notifications.order_sms) {
        (false, true) => out.push(Change::NotificationSmsEnabled),
        (true, false) => out.push(Change::NotificationSmsDisabled),
        _ => {}
    }
    for a in &new.analytics {
        if !old.analytics.contains(a) {
            out.push(Change::AnalyticsAdded { service: a.clone() });
        }
    }
    for a in &old.analytics {
        if !new.analytics.contains(a) {
            out.push(Change::AnalyticsRemoved { service: a.clone() });
        }
    }
    for g in &new.payment_gateways {
        if !old.payment_gateways.contains(g) {
            out.push(Change::PaymentGatewayAdded { gateway: *g });
        }
    }
    for g in &old.payment_gateways {
        if !new.payment_gateways.contains(g) {
            out.push(Change::PaymentGatewayRemoved { gateway: *g });
        }
    }
    for p in &new.processors {
        if !old.processors.contains(p) {
            out.push(Change::ProcessorAdded {
                role: p.role,
                name: p.name.clone(),
            });
        }
    }
    for p in &old.processors {
        if !new.processors.contains(p) {
            out.push(Change::ProcessorRemoved {
                role: p.role,
                name: p.name.clone(),
            });
        }
    }
    for kind in RetentionKind::ALL {
        let (from, to) = (old.retention.days(kind), new.retention.days(kind));
        if from != to {
            out.push(Change::RetentionChanged { kind, from, to });
        }
    }
    if old.response_days != new.response_days {
        out.push(Change::ResponseTimeChanged {
            from: old.response_days,
            to: new.response_days,
        });
    }
    if old.minimum_age != new.minimum_age {
        out.push(Change::MinimumAgeChanged {
            from: old.minimum_age,
            to: new.minimum_age,
        });
    }
    if old.contact != new.contact {
        out.push(Change::ContactChanged);
    }
    if old.controller != new.controller {
        out.push(Change::ControllerChanged);
    }
    for l in &new.locales {
        if !old.locales.iter().any(|o| o.locale == l.locale) {
            out.push(Change::LocaleAdded { locale: l.locale });
        }
    }
    for l in &old.locales {
        if !new.locales.iter().any(|n| n.locale == l.locale) {
            out.push(Change::LocaleRemoved { locale: l.locale });
        }
    }
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
        });
        v.push(Change::ProcessorRemoved {
            role,
            name: "Vendor".into(),
        });
    }
    for kind in RetentionKind::ALL {
        v.push(Change::RetentionChanged {
            kind,
            from: 1,
            to: 11,
        });
    }
    for locale in Locale::ALL {
        v.push(Change::LocaleAdded { locale });
        v.push(Change::LocaleRemoved { locale });
    }
    v
}
