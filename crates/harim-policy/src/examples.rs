//! Three contrasting, valid example configurations (used by tests, benches and API docs).

use time::macros::date;

use crate::diff::Change;
use crate::doc::ShopFacts;
use crate::locale::{Calendar, Locale};
use crate::meta::{HistoryEntry, PolicyMeta};
use crate::settings::{
    AnalyticsService, Contact, Controller, Cookie, CookiePurpose, Country,
    CustomerDataCategory as C, LocaleSettings, Notifications, PaymentGateway, Practices,
    PrivacySettings, Processor, ProcessorRole, Retention, opt, req,
};

fn all_locales(default: Locale, ar_calendar: Calendar) -> Vec<LocaleSettings> {
    let mut v: Vec<LocaleSettings> = Locale::ALL
        .iter()
        .map(|l| LocaleSettings::customary(*l))
        .collect();
    for l in &mut v {
        if l.locale == Locale::Ar {
            l.calendar = ar_calendar;
        }
    }
    v.sort_by_key(|l| l.locale != default);
    v
}

/// A small Iranian shop: the platform default with order SMS on (through Kavenegar).
#[must_use]
pub fn iranian_shop() -> (PrivacySettings, ShopFacts) {
    let s = PrivacySettings {
        processors: vec![Processor {
            localized_names: [(Locale::Fa, "کاوه‌نگار".to_owned())].into(),
            ..Processor::new(ProcessorRole::Sms, "Kavenegar", Country::Ir)
        }],
        retention: Retention {
            orders_days: 0,
            orders_years: Some(5),
            ..PrivacySettings::default().retention
        },
        practices: Practices {
            no_sale: true,
            enamad: true,
            tax_e_invoices: true,
            ..Practices::default()
        },
        contact: Contact {
            email: "info@golsorkh.example".into(),
            phone: Some("+98 21 8888 1234".into()),
            address: None,
        },
        controller: Controller {
            legal_name: "مریم احمدی".into(),
            registration_number: None,
            country: Country::Ir,
            dpo_email: None,
            vat_number: None,
        },
        locales: all_locales(Locale::Fa, Calendar::Gregorian),
        ..PrivacySettings::default()
    };
    let shop = ShopFacts {
        shop_name: "گل سرخ".into(),
        slug: "golsorkh".into(),
        platform_name: "Harim".into(),
        platform_country: Country::Ir,
        backup_days: 30,
        public_url: Some("https://golsorkh.example".into()),
    };
    (s, shop)
}

/// An Albanian shop: no SMS, analytics (Matomo, Google Analytics), Raiffeisen and PayPal.
#[must_use]
pub fn albanian_shop() -> (PrivacySettings, ShopFacts) {
    let s = PrivacySettings {
        customer_data: vec![
            req(C::Name),
            req(C::Email),
            opt(C::Phone),
            req(C::Address),
            req(C::PostalCode),
            req(C::OrderHistory),
            req(C::PaymentReference),
            req(C::IpAddress),
            req(C::DeviceCookies),
        ],
        notifications: Notifications {
            order_email: true,
            order_sms: false,
            marketing_sms: false,
            marketing_email: false,
        },
        analytics: vec![AnalyticsService::Matomo, AnalyticsService::GoogleAnalytics],
        payment_gateways: vec![PaymentGateway::RaiffeisenPos, PaymentGateway::Paypal],
        processors: vec![Processor::new(
            ProcessorRole::Shipping,
            "Posta Shqiptare",
            Country::Al,
        )],
        retention: Retention {
            customer_accounts_days: 730,
            // Albanian accounting law keeps books for ten years: set in years, purged by the
            // calendar.
            orders_days: 0,
            orders_years: Some(10),
            server_logs_days: 90,
            kyc_documents_after_decision_days: 180,
            after_account_deletion_days: 30,
        },
        response_days: 30,
        erasure_hold_days: 0,
        contact: Contact {
            email: "privacy@dyqani-ilir.example".into(),
            phone: Some("+355 4 222 3344".into()),
            address: Some("Rruga e Durrësit 12, Tiranë".into()),
        },
        controller: Controller {
            legal_name: "Ilir Shpk".into(),
            registration_number: Some("L91234567A".into()),
            country: Country::Al,
            dpo_email: Some("dpo@dyqani-ilir.example".into()),
            vat_number: None,
        },
        practices: Practices {
            no_sale: true,
            staff_confidentiality: true,
            external_links: true,
            business_transfer: true,
            cookies: vec![
                Cookie {
                    name: "session".into(),
                    purpose: CookiePurpose::Essential,
                    lifetime_days: 0,
                },
                Cookie {
                    name: "cart".into(),
                    purpose: CookiePurpose::Essential,
                    lifetime_days: 30,
                },
                Cookie {
                    name: "_pk_id".into(),
                    purpose: CookiePurpose::Analytics,
                    lifetime_days: 390,
                },
                Cookie {
                    name: "_ga".into(),
                    purpose: CookiePurpose::Analytics,
                    lifetime_days: 400,
                },
            ],
            ..Practices::default()
        },
        minimum_age: 16,
        locales: all_locales(Locale::Sq, Calendar::Gregorian),
        default_locale: Locale::Sq,
    };
    let shop = ShopFacts {
        shop_name: "Dyqani i Ilirit".into(),
        slug: "dyqani-ilir".into(),
        platform_name: "Harim".into(),
        platform_country: Country::De,
        backup_days: 35,
        public_url: None,
    };
    (s, shop)
}

/// A Saudi shop: Umm al-Qura calendar for Arabic, HyperPay and Tap, SMS through Unifonic,
/// identity documents for age-restricted goods.
#[must_use]
pub fn saudi_shop() -> (PrivacySettings, ShopFacts) {
    let s = PrivacySettings {
        customer_data: vec![
            req(C::Name),
            req(C::Email),
            req(C::Phone),
            req(C::Address),
            opt(C::PostalCode),
            req(C::OrderHistory),
            req(C::PaymentReference),
            req(C::IpAddress),
            req(C::DeviceCookies),
            opt(C::BirthDate),
            opt(C::NationalId),
            opt(C::IdentityDocument),
        ],
        notifications: Notifications {
            order_email: true,
            order_sms: true,
            marketing_sms: false,
            marketing_email: false,
        },
        analytics: vec![AnalyticsService::Custom {
            name: "Zid Insights".into(),
            url: "https://insights.example.sa/privacy".into(),
            country: Country::Sa,
        }],
        payment_gateways: vec![PaymentGateway::Hyperpay, PaymentGateway::Tap],
        processors: vec![
            Processor::new(ProcessorRole::Sms, "Unifonic", Country::Sa),
            Processor::new(ProcessorRole::Email, "Amazon SES", Country::Bh),
        ],
        retention: Retention {
            customer_accounts_days: 1095,
            // Saudi commercial-books law: ten years, set in years.
            orders_days: 0,
            orders_years: Some(10),
            server_logs_days: 180,
            kyc_documents_after_decision_days: 90,
            after_account_deletion_days: 14,
        },
        response_days: 30,
        erasure_hold_days: 0,
        contact: Contact {
            email: "privacy@nakheel.example".into(),
            phone: Some("+966 11 234 5678".into()),
            address: Some("طريق الملك فهد، الرياض".into()),
        },
        controller: Controller {
            legal_name: "شركة النخيل للتجارة".into(),
            registration_number: Some("1010123456".into()),
            country: Country::Sa,
            dpo_email: None,
            vat_number: Some("300123456700003".into()),
        },
        practices: Practices {
            no_sale: true,
            staff_confidentiality: true,
            customer_passwords: true,
            ..Practices::default()
        },
        minimum_age: 18,
        locales: all_locales(Locale::Ar, Calendar::IslamicUmalqura),
        default_locale: Locale::Ar,
    };
    let shop = ShopFacts {
        shop_name: "متجر النخيل".into(),
        slug: "nakheel".into(),
        platform_name: "Harim".into(),
        platform_country: Country::Sa,
        backup_days: 30,
        public_url: Some("https://nakheel.example".into()),
    };
    (s, shop)
}

/// The settings an example shop had before its current version: order SMS was off (with no
/// SMS processor), the last analytics service had not been added yet, and server logs were
/// kept for a different period. Always valid when `current` is.
#[must_use]
pub fn earlier_settings(current: &PrivacySettings) -> PrivacySettings {
    let mut e = current.clone();
    if e.notifications.order_sms {
        e.notifications.order_sms = false;
        e.processors.retain(|p| p.role != ProcessorRole::Sms);
    }
    e.analytics.pop();
    e.retention.server_logs_days = if current.retention.server_logs_days == 30 {
        60
    } else {
        30
    };
    e
}

/// Version 2 metadata (effective 2025-03-21 = 1 Farvardin 1404) whose history is computed:
/// version 1 was [`earlier_settings`], and version 2's changes are
/// `diff(earlier_settings(current), current)`, so the history cannot contradict `current`.
#[must_use]
pub fn history_meta(current: &PrivacySettings) -> PolicyMeta {
    let earlier = earlier_settings(current);
    PolicyMeta {
        version: 2,
        effective_at: date!(2025 - 03 - 21),
        history: second_version_history(
            date!(2024 - 09 - 01),
            date!(2025 - 03 - 21),
            crate::diff::diff(&earlier, current),
        ),
        alternates: alternates(current),
        previous_hash: Some("0".repeat(64)),
    }
}

/// The history of a policy at version 2: version 1 took effect on `first` (a first version has
/// no changes), version 2 on `second` with `changes`.
#[must_use]
pub fn second_version_history(
    first: time::Date,
    second: time::Date,
    changes: Vec<Change>,
) -> Vec<HistoryEntry> {
    vec![
        HistoryEntry {
            version: 1,
            effective_at: first,
            changes: vec![],
        },
        HistoryEntry {
            version: 2,
            effective_at: second,
            changes,
        },
    ]
}

/// The published locales, the default first (as the publisher lists them).
fn alternates(s: &PrivacySettings) -> Vec<Locale> {
    let mut v = vec![s.default_locale];
    v.extend(
        s.published_locales()
            .into_iter()
            .filter(|l| *l != s.default_locale),
    );
    v
}
