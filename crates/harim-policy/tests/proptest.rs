//! Random valid settings render in every locale with no missing message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harim_policy::examples::history_meta;
use harim_policy::*;
use proptest::prelude::*;

fn category() -> impl Strategy<Value = CustomerDataCategory> {
    proptest::sample::select(CustomerDataCategory::ALL.to_vec())
}

fn analytics() -> impl Strategy<Value = AnalyticsService> {
    prop_oneof![
        Just(AnalyticsService::GoogleAnalytics),
        Just(AnalyticsService::Matomo),
        Just(AnalyticsService::YandexMetrica),
        Just(AnalyticsService::Hotjar),
        Just(AnalyticsService::MicrosoftClarity),
        (
            "[A-Za-z][A-Za-z <>&\"']{0,20}",
            proptest::sample::select(Country::ALL.to_vec())
        )
            .prop_map(|(name, country)| AnalyticsService::Custom {
                name,
                url: "https://example.com/privacy".into(),
                country
            }),
    ]
}

prop_compose! {
    fn settings()(
        cats in proptest::collection::btree_map(category(), any::<bool>(), 1..12),
        order_email in any::<bool>(),
        order_sms in any::<bool>(),
        an in proptest::collection::vec(analytics(), 0..4),
        gws in proptest::sample::subsequence(PaymentGateway::ALL.to_vec(), 0..4),
        sms_country in proptest::sample::select(Country::ALL.to_vec()),
        controller_country in proptest::sample::select(Country::ALL.to_vec()),
        platform_country in proptest::sample::select(Country::ALL.to_vec()),
        r in (30u32..=3660, 30u32..=4000, 1u32..=400, 1u32..=3660, 1u32..=90),
        response_days in 1u32..=30,
        minimum_age in 13u8..=21,
        dpo in any::<bool>(),
        phone in any::<bool>(),
        cal in proptest::sample::select(vec![Calendar::Gregorian, Calendar::Persian, Calendar::IslamicUmalqura]),
        digits in proptest::sample::select(vec![Digits::Latin, Digits::Arab, Digits::Arabext]),
    ) -> (PrivacySettings, Country) {
        let mut customer_data: Vec<CollectedData> =
            cats.into_iter().map(|(category, required)| CollectedData { category, required }).collect();
        if order_sms && !customer_data.iter().any(|d| d.category == CustomerDataCategory::Phone) {
            customer_data.push(CollectedData { category: CustomerDataCategory::Phone, required: true });
        }
        let mut analytics = Vec::new();
        for a in an { if !analytics.contains(&a) { analytics.push(a); } }
        let processors = if order_sms {
            vec![Processor::new(ProcessorRole::Sms, "SMS <Co>", sms_country)]
        } else { vec![] };
        let locales = Locale::ALL.iter().map(|l| LocaleSettings { locale: *l, calendar: cal, digits }).collect();
        (PrivacySettings {
            customer_data,
            notifications: Notifications { order_email, order_sms, marketing_sms: false, marketing_email: false },
            analytics,
            payment_gateways: gws,
            processors,
            retention: Retention {
                customer_accounts_days: r.0,
                orders_days: r.1,
                orders_years: None,
                server_logs_days: r.2,
                kyc_documents_after_decision_days: r.3,
                after_account_deletion_days: r.4,
            },
            response_days,
            erasure_hold_days: 0,
            contact: Contact {
                email: "x@example.com".into(),
                phone: phone.then(|| "+1 (555) 010-0000".into()),
                address: phone.then(|| "1 <Main> St".into()),
            },
            controller: Controller {
                legal_name: "Acme & Co".into(),
                registration_number: dpo.then(|| "R-1".into()),
                country: controller_country,
                dpo_email: dpo.then(|| "dpo@example.com".into()),
                vat_number: None,
            },
            practices: Default::default(),
            minimum_age,
            locales,
            default_locale: Locale::En,
        }, platform_country)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_valid_settings_render_in_every_locale_without_missing_messages((s, platform_country) in settings(), (old, _) in settings()) {
        prop_assert!(s.validate().is_ok(), "{:?}", s.validate());
        let shop = ShopFacts {
            shop_name: "<i>Shop</i>".into(),
            slug: "shop".into(),
            platform_name: "Harim".into(),
            public_url: None,
            platform_country,
            backup_days: 30,
        };
        let doc = compile(&s, &shop);
        // Transfers are stated exactly when some recipient, the platform included, is abroad.
        let abroad = doc.recipients.iter().any(|r| r.country != s.controller.country);
        prop_assert_eq!(doc.has_clause("transfers.intro"), abroad);
        prop_assert_eq!(
            doc.has_clause("transfers.platform.harim"),
            platform_country != s.controller.country
        );
        let mut meta = history_meta(&s);
        meta.history[1].changes = diff(&old, &s);
        for l in Locale::ALL {
            let f = s.format_for(l);
            let h = try_render_html(&doc, &meta, l, &f);
            prop_assert!(h.is_ok(), "{:?}: {:?}", l, h.err());
            let h = h.unwrap();
            prop_assert!(!h.contains("<i>Shop"));
            prop_assert_eq!(h.contains("notifications.order_sms"), s.notifications.order_sms);
            prop_assert_eq!(h.contains("data-clause=\"analytics.services\""), !s.analytics.is_empty());
            let m = try_render_markdown(&doc, &meta, l, &f);
            prop_assert!(m.is_ok(), "{:?}: {:?}", l, m.err());
        }
        prop_assert!(canonical_json(&s).len() > 10);
    }
}
