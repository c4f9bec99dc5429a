//! One test per conditional clause: it appears exactly when the setting that makes it true is
//! set, and disappears when it is not (both directions, on valid settings).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harim_policy::examples::{albanian_shop, history_meta, iranian_shop, saudi_shop};
use harim_policy::*;

/// Compiles valid settings (the test fails on invalid ones: a clause about settings that
/// cannot be published proves nothing).
fn doc(s: &PrivacySettings, shop: &ShopFacts) -> PolicyDocument {
    s.validate()
        .unwrap_or_else(|e| panic!("invalid test settings: {e:?}"));
    compile(s, shop)
}

fn clause<'d>(d: &'d PolicyDocument, id: &str) -> Option<&'d Clause> {
    d.sections
        .iter()
        .flat_map(|s| &s.clauses)
        .find(|c| c.id == id)
}

fn message(d: &PolicyDocument, id: &str) -> &'static str {
    clause(d, id)
        .unwrap_or_else(|| panic!("no clause {id}"))
        .message
}

fn english(s: &PrivacySettings, shop: &ShopFacts) -> String {
    let d = doc(s, shop);
    try_render_markdown(&d, &history_meta(s), Locale::En, &s.format_for(Locale::En)).unwrap()
}

/// The policy body, without the update history (which may name past settings).
fn body(md: &str) -> &str {
    md.split("## Update history").next().unwrap()
}

fn set_required(s: &mut PrivacySettings, c: CustomerDataCategory, required: bool) {
    s.customer_data
        .iter_mut()
        .find(|d| d.category == c)
        .unwrap()
        .required = required;
}

fn stop_collecting(s: &mut PrivacySettings, c: CustomerDataCategory) {
    s.customer_data.retain(|d| d.category != c);
}

#[test]
fn registration_number_clause_follows_the_setting() {
    let (mut s, shop) = iranian_shop();
    assert!(!doc(&s, &shop).has_clause("controller.registration"));
    s.controller.registration_number = Some("12345".into());
    assert!(doc(&s, &shop).has_clause("controller.registration"));
}

#[test]
fn dpo_clause_follows_the_setting() {
    let (mut s, shop) = albanian_shop();
    assert!(doc(&s, &shop).has_clause("controller.dpo"));
    s.controller.dpo_email = None;
    assert!(!doc(&s, &shop).has_clause("controller.dpo"));
}

#[test]
fn a_data_row_exists_exactly_for_each_collected_category() {
    let (mut s, shop) = saudi_shop();
    for c in CustomerDataCategory::ALL {
        let id = format!("data.category.{}", c.key());
        assert_eq!(doc(&s, &shop).has_clause(&id), s.collects(c), "{id}");
    }
    stop_collecting(&mut s, CustomerDataCategory::BirthDate);
    assert!(!doc(&s, &shop).has_clause("data.category.birth_date"));
}

#[test]
fn consequences_clause_appears_only_when_something_is_required() {
    let (mut s, shop) = iranian_shop();
    assert!(doc(&s, &shop).has_clause("data.consequences"));
    s.notifications.order_sms = false;
    s.processors.clear();
    for d in &mut s.customer_data {
        d.required = false;
    }
    assert!(!doc(&s, &shop).has_clause("data.consequences"));
}

#[test]
fn the_courier_is_named_only_when_a_shipping_processor_exists() {
    let (mut s, shop) = iranian_shop();
    assert!(!body(&english(&s, &shop)).contains("courier"));
    s.processors.push(Processor::new(
        ProcessorRole::Shipping,
        "Tipax",
        Country::Ir,
    ));
    assert!(body(&english(&s, &shop)).contains("courier"));
}

#[test]
fn order_email_clause_follows_the_setting() {
    let (mut s, shop) = iranian_shop();
    assert!(doc(&s, &shop).has_clause("notifications.order_email"));
    s.notifications.order_email = false;
    assert!(!doc(&s, &shop).has_clause("notifications.order_email"));
    assert!(!body(&english(&s, &shop)).contains("mailbox"));
}

#[test]
fn order_sms_and_its_opt_out_follow_the_setting_and_the_phone_requirement() {
    let (mut s, shop) = iranian_shop();
    let d = doc(&s, &shop);
    assert!(d.has_clause("notifications.order_sms"));
    // Phone is required in this shop: the customer can object, not leave the number out.
    assert_eq!(
        message(&d, "notifications.order_sms_opt_out"),
        "notifications-sms-opt-out-required"
    );
    set_required(&mut s, CustomerDataCategory::Phone, false);
    let d = doc(&s, &shop);
    assert_eq!(
        message(&d, "notifications.order_sms_opt_out"),
        "notifications-sms-opt-out-optional"
    );
    assert!(english(&s, &shop).contains("leave out your phone number"));
    s.notifications.order_sms = false;
    s.processors.retain(|p| p.role != ProcessorRole::Sms);
    let d = doc(&s, &shop);
    assert!(!d.has_clause("notifications.order_sms"));
    assert!(!d.has_clause("notifications.order_sms_opt_out"));
}

#[test]
fn security_purpose_follows_ip_collection() {
    let (mut s, shop) = iranian_shop();
    assert!(doc(&s, &shop).has_clause("purposes.security"));
    stop_collecting(&mut s, CustomerDataCategory::IpAddress);
    assert!(!doc(&s, &shop).has_clause("purposes.security"));
}

#[test]
fn analytics_clauses_and_the_consent_basis_follow_the_services() {
    let (mut s, shop) = albanian_shop();
    let d = doc(&s, &shop);
    for id in [
        "analytics.services",
        "cookies.analytics",
        "rights.withdraw_consent",
        "recipients.analytics.matomo",
        "recipients.analytics.google_analytics",
    ] {
        assert!(d.has_clause(id), "{id}");
    }
    s.analytics.clear();
    let d = doc(&s, &shop);
    for id in [
        "analytics.services",
        "cookies.analytics",
        "rights.withdraw_consent",
        "recipients.analytics.matomo",
    ] {
        assert!(!d.has_clause(id), "{id}");
    }
}

/// The withdrawal right appears exactly when some clause states consent as the legal basis.
#[test]
fn withdrawal_right_appears_exactly_when_consent_is_a_stated_basis() {
    let cases = {
        let mut v = Vec::new();
        for (s, shop) in [iranian_shop(), albanian_shop(), saudi_shop()] {
            let mut none = s.clone();
            none.analytics.clear();
            v.push((s, shop.clone()));
            v.push((none, shop));
        }
        v
    };
    for (s, shop) in cases {
        let md = english(&s, &shop);
        let states_consent = body(&md).contains("Legal basis: consent");
        assert_eq!(
            doc(&s, &shop).has_clause("rights.withdraw_consent"),
            states_consent,
            "{md}"
        );
        assert_eq!(body(&md).contains("Withdrawing consent"), states_consent);
    }
}

#[test]
fn no_profiling_is_claimed_only_without_profiling_capable_analytics() {
    let (mut s, shop) = albanian_shop(); // Matomo + Google Analytics
    let d = doc(&s, &shop);
    assert_eq!(
        message(&d, "purposes.automated_decisions"),
        "purposes-automated-profiling"
    );
    let md = english(&s, &shop);
    assert!(!body(&md).contains("no profiling"));
    assert!(body(&md).contains("Google Analytics can build a profile"));
    assert!(!body(&md).contains("Matomo can build"));
    for service in [
        AnalyticsService::Hotjar,
        AnalyticsService::MicrosoftClarity,
        AnalyticsService::YandexMetrica,
    ] {
        s.analytics = vec![AnalyticsService::Matomo, service];
        assert_eq!(
            message(&doc(&s, &shop), "purposes.automated_decisions"),
            "purposes-automated-profiling"
        );
    }
    s.analytics = vec![AnalyticsService::Matomo];
    assert_eq!(
        message(&doc(&s, &shop), "purposes.automated_decisions"),
        "purposes-automated"
    );
    assert!(body(&english(&s, &shop)).contains("no profiling is carried out"));
}

#[test]
fn a_custom_analytics_service_links_to_its_privacy_policy() {
    let (mut s, shop) = saudi_shop();
    let d = doc(&s, &shop);
    assert_eq!(
        message(&d, "recipients.analytics.custom.zid_insights"),
        "recipients-analytics-url"
    );
    for l in Locale::ALL {
        let f = s.format_for(l);
        let h = try_render_html(&d, &history_meta(&s), l, &f).unwrap();
        assert!(
            h.contains("href=\"https://insights.example.sa/privacy\""),
            "{l:?}"
        );
        let m = try_render_markdown(&d, &history_meta(&s), l, &f).unwrap();
        assert!(m.contains("<https://insights.example.sa/privacy>"), "{l:?}");
    }
    s.analytics = vec![AnalyticsService::Matomo];
    assert_eq!(
        message(&doc(&s, &shop), "recipients.analytics.matomo"),
        "recipients-analytics"
    );
}

#[test]
fn processor_and_gateway_rows_follow_the_settings() {
    let (mut s, shop) = saudi_shop();
    let d = doc(&s, &shop);
    assert!(d.has_clause("recipients.processor.sms.unifonic"));
    assert!(d.has_clause("recipients.payment.tap"));
    assert!(d.has_clause("security.payment_cards"));
    s.payment_gateways.clear();
    s.processors.retain(|p| p.role != ProcessorRole::Email);
    let d = doc(&s, &shop);
    assert!(!d.has_clause("recipients.payment.tap"));
    assert!(!d.has_clause("recipients.processor.email.amazon_ses"));
    assert!(!d.has_clause("security.payment_cards"));
}

#[test]
fn transfers_appear_exactly_when_a_recipient_is_abroad_including_the_platform() {
    let (s, mut shop) = iranian_shop(); // everything in Iran
    assert!(!doc(&s, &shop).sections.iter().any(|x| x.id == "transfers"));
    shop.platform_country = Country::De;
    let d = doc(&s, &shop);
    assert!(d.has_clause("transfers.intro"));
    assert!(d.has_clause("transfers.platform.harim"));
    assert!(d.has_clause("transfers.safeguards"));
    let abroad: Vec<&Recipient> = d
        .recipients
        .iter()
        .filter(|r| r.country != d.controller_country)
        .collect();
    assert_eq!(abroad.len(), 1);
}

#[test]
fn a_recipient_has_one_name_in_the_recipients_and_the_transfers_lists() {
    let (s, shop) = saudi_shop(); // Tap Payments is in Kuwait
    let d = doc(&s, &shop);
    assert!(d.has_clause("transfers.payment.tap_payments"));
    for l in Locale::ALL {
        let h = try_render_html(&d, &history_meta(&s), l, &s.format_for(l)).unwrap();
        let mut loc = i18n::Localizer::new(l, s.format_for(l));
        let name = loc.text("gateway-tap");
        let row = |id: &str| {
            let start = h.find(&format!("data-clause=\"{id}\"")).unwrap();
            h[start..start + h[start..].find('\n').unwrap()].to_owned()
        };
        assert!(row("recipients.payment.tap").contains(&name), "{l:?}");
        assert!(
            row("transfers.payment.tap_payments").contains(&name),
            "{l:?}"
        );
        if l != Locale::En && l != Locale::Sq {
            assert!(!h.contains("Tap Payments"), "{l:?} names Tap two ways");
        }
    }
}

#[test]
fn retention_rows_follow_the_collected_categories_and_backups_are_always_stated() {
    let (mut s, shop) = saudi_shop();
    let d = doc(&s, &shop);
    for kind in RetentionKind::ALL {
        assert!(d.has_clause(&format!("retention.{}", kind.field())));
    }
    assert!(d.has_clause("retention.backups"));
    s.customer_data.retain(|c| {
        !matches!(
            c.category,
            CustomerDataCategory::NationalId | CustomerDataCategory::IdentityDocument
        )
    });
    let d = doc(&s, &shop);
    assert!(!d.has_clause("retention.kyc_documents_after_decision_days"));
    assert!(d.has_clause("retention.after_account_deletion_days"));
    assert!(d.has_clause("retention.backups"));
}

#[test]
fn the_backup_clause_states_the_platform_backup_period() {
    let (s, mut shop) = iranian_shop();
    shop.backup_days = 45;
    assert!(english(&s, &shop).contains("for up to 45 days"));
    shop.backup_days = 7;
    assert!(english(&s, &shop).contains("for up to seven days"));
}

#[test]
fn cookie_clauses_follow_device_data_and_analytics() {
    let (mut s, shop) = albanian_shop();
    let d = doc(&s, &shop);
    assert!(d.has_clause("cookies.essential"));
    stop_collecting(&mut s, CustomerDataCategory::DeviceCookies);
    let d = doc(&s, &shop);
    assert!(!d.has_clause("cookies.essential"));
    assert!(d.has_clause("cookies.analytics"));
    s.analytics.clear();
    let d = doc(&s, &shop);
    assert!(!d.sections.iter().any(|x| x.id == "cookies"));
}

#[test]
fn staff_view_recording_is_narrowed_when_the_order_email_is_on() {
    let (mut s, shop) = iranian_shop();
    assert_eq!(
        message(&doc(&s, &shop), "security.encryption"),
        "security-encryption-order-email"
    );
    assert!(english(&s, &shop).contains("outside this record"));
    s.notifications.order_email = false;
    assert_eq!(
        message(&doc(&s, &shop), "security.encryption"),
        "security-encryption"
    );
    assert!(!english(&s, &shop).contains("outside this record"));
}

#[test]
fn email_notice_of_changes_is_promised_only_when_email_is_required() {
    let (mut s, shop) = iranian_shop(); // e-mail optional
    assert!(!doc(&s, &shop).has_clause("changes.email_notice"));
    set_required(&mut s, CustomerDataCategory::Email, true);
    assert!(doc(&s, &shop).has_clause("changes.email_notice"));
    stop_collecting(&mut s, CustomerDataCategory::Email);
    assert!(!doc(&s, &shop).has_clause("changes.email_notice"));
}

#[test]
fn contact_phone_and_address_follow_the_settings() {
    let (mut s, shop) = albanian_shop();
    let d = doc(&s, &shop);
    assert!(d.has_clause("contact.phone") && d.has_clause("contact.address"));
    s.contact.phone = None;
    s.contact.address = None;
    let d = doc(&s, &shop);
    assert!(!d.has_clause("contact.phone") && !d.has_clause("contact.address"));
}

#[test]
fn the_complaint_clause_links_the_authority_where_it_has_a_site() {
    let (mut s, shop) = albanian_shop();
    assert_eq!(
        message(&doc(&s, &shop), "rights.complain"),
        "rights-complain-url"
    );
    s.controller.country = Country::Ae;
    assert_eq!(
        message(&doc(&s, &shop), "rights.complain"),
        "rights-complain"
    );
}

#[test]
fn arabic_names_a_saudi_statute_nizam_and_any_other_qanun() {
    let (s, shop) = saudi_shop();
    let f = s.format_for(Locale::Ar);
    let sa = try_render_markdown(&doc(&s, &shop), &history_meta(&s), Locale::Ar, &f).unwrap();
    assert!(sa.contains("الأساس النظامي"));
    assert!(!sa.contains("القانون") && !sa.contains("قانوني"));
    let mut ae = s.clone();
    ae.controller.country = Country::Ae;
    let md = try_render_markdown(&doc(&ae, &shop), &history_meta(&ae), Locale::Ar, &f).unwrap();
    assert!(md.contains("الأساس القانوني"));
    assert!(!md.contains("النظام") && !md.contains("نظامي"), "{md}");
}

/// Albanian glosses «kukit» with the English word once, at the first mention in running text:
/// the device-data row where that category is collected, else the analytics-cookie sentence.
#[test]
fn the_albanian_cookie_gloss_stands_at_the_first_mention_only() {
    let (mut s, shop) = albanian_shop();
    let sq = |s: &PrivacySettings| {
        let d = doc(s, &shop);
        try_render_markdown(&d, &history_meta(s), Locale::Sq, &s.format_for(Locale::Sq)).unwrap()
    };
    let m = sq(&s);
    assert_eq!(m.matches("(cookies)").count(), 1, "{m}");
    assert!(
        m.contains("Të dhënat e pajisjes dhe kukit (cookies):"),
        "{m}"
    );
    assert!(m.contains("## Kukit\n"), "{m}");
    assert!(!m.contains("(analytics cookies)"), "{m}");
    stop_collecting(&mut s, CustomerDataCategory::DeviceCookies);
    let m = sq(&s);
    let body = m.split("## Historiku").next().unwrap();
    assert!(!body.contains("kukit (cookies)"), "{m}");
    assert_eq!(body.matches("(analytics cookies)").count(), 1, "{m}");
    // English needs no gloss: the plain sentence either way.
    assert!(!english(&s, &shop).contains("(analytics cookies)"));
}

/// On an English or Albanian page a Persian name in the update history is isolated, as it is
/// in the clauses, so the bracket after it stays where it belongs.
#[test]
fn a_right_to_left_name_in_the_history_is_isolated_on_left_to_right_pages() {
    let (s, _) = iranian_shop();
    let mut old = s.clone();
    old.processors.clear();
    old.notifications.order_sms = false;
    let mut new = s.clone();
    new.processors[0].name = "کاوه‌نگار".into();
    new.processors[0].localized_names.clear();
    let changes = diff(&old, &new);
    let render = |l: Locale| {
        let meta = PolicyMeta {
            history: harim_policy::examples::second_version_history(
                time::macros::date!(2024 - 09 - 01),
                time::macros::date!(2025 - 03 - 21),
                changes.clone(),
            ),
            ..history_meta(&new)
        };
        let d = doc(&new, &iranian_shop().1);
        try_render_markdown(&d, &meta, l, &new.format_for(l)).unwrap()
    };
    for l in [Locale::En, Locale::Sq] {
        let m = render(l);
        let hist = m.split("\n## ").last().unwrap();
        assert!(hist.contains("\u{2068}کاوه‌نگار\u{2069}"), "{l:?}: {hist}");
    }
}
