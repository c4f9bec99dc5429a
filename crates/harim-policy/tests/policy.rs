//! Behaviour tests for harim-policy.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use harim_policy::examples::{albanian_shop, history_meta, iranian_shop, saudi_shop};
use harim_policy::i18n::{Localizer, ftl_source, load_errors, message_ids};
use harim_policy::*;

fn all_examples() -> Vec<(&'static str, PrivacySettings, ShopFacts)> {
    let (a, b) = iranian_shop();
    let (c, d) = albanian_shop();
    let (e, f) = saudi_shop();
    vec![("iran", a, b), ("albania", c, d), ("saudi", e, f)]
}

fn html(s: &PrivacySettings, shop: &ShopFacts, l: Locale) -> String {
    try_render_html(&compile(s, shop), &history_meta(s), l, &s.format_for(l)).unwrap()
}

#[test]
fn every_locale_defines_exactly_the_same_message_ids() {
    let en: BTreeSet<String> = message_ids(Locale::En).into_iter().collect();
    assert!(en.len() > 150);
    for l in Locale::ALL {
        assert!(load_errors(l).is_empty(), "{l:?}: {:?}", load_errors(l));
        let ids = message_ids(l);
        let set: BTreeSet<String> = ids.iter().cloned().collect();
        assert_eq!(set.len(), ids.len(), "{l:?} has a duplicate id");
        let missing: Vec<_> = en.difference(&set).collect();
        let extra: Vec<_> = set.difference(&en).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{l:?}: missing {missing:?}, extra {extra:?}"
        );
    }
}

/// Variables a message uses, read from the source (`{ $name }` and selectors). A message runs
/// from its `id =` line to the next id, comment or blank line (selector lines such as `}):`
/// belong to it).
fn variables(locale: Locale, id: &str) -> Vec<String> {
    let src = format!(
        "{}\n{}",
        ftl_source(locale),
        i18n::platform_ftl_source(locale)
    );
    let mut in_msg = false;
    let mut vars = BTreeSet::new();
    for line in src.lines() {
        if line.starts_with(|c: char| c.is_ascii_lowercase()) {
            in_msg = line.split(" =").next() == Some(id);
        } else if line.trim().is_empty() || line.starts_with('#') {
            in_msg = false;
        }
        if in_msg {
            for part in line.split('$').skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect();
                vars.insert(name);
            }
        }
    }
    vars.into_iter().collect()
}

#[test]
fn every_message_formats_without_errors_in_every_locale() {
    for l in Locale::ALL {
        let mut loc = Localizer::new(l, LocaleFormat::customary(l));
        for id in message_ids(l) {
            let vars = variables(l, &id);
            let args: Vec<(&str, Arg)> = vars
                .iter()
                .map(|v| {
                    let a = if v == "n" {
                        Arg::Number(5)
                    } else {
                        Arg::Text("X".into())
                    };
                    (v.as_str(), a)
                })
                .collect();
            let out = i18n::plain(&loc.message(&id, &args));
            assert!(!out.trim().is_empty(), "{l:?} {id} is empty");
            assert!(
                !out.contains(['\u{2068}', '\u{2069}']),
                "{l:?} {id} has isolation marks"
            );
        }
        assert!(loc.errors.is_empty(), "{l:?}: {:?}", loc.errors);
    }
}

#[test]
fn every_change_is_worded_in_every_locale() {
    for l in Locale::ALL {
        let mut loc = Localizer::new(l, LocaleFormat::customary(l));
        for c in sample_changes() {
            let t = c.describe_with(&mut loc);
            assert!(!t.is_empty());
        }
        assert!(loc.errors.is_empty(), "{l:?}: {:?}", loc.errors);
    }
}

#[test]
fn example_settings_are_valid_and_render_without_errors_everywhere() {
    for (name, s, shop) in all_examples() {
        s.validate().unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let doc = compile(&s, &shop);
        for l in Locale::ALL {
            let f = s.format_for(l);
            try_render_html(&doc, &history_meta(&s), l, &f).unwrap();
            try_render_markdown(&doc, &history_meta(&s), l, &f).unwrap();
            let j = render_json(&doc, &history_meta(&s), l, &f);
            assert_eq!(j["language"], l.tag());
        }
    }
}

#[test]
fn the_default_settings_do_not_validate_until_the_owner_fills_them_in() {
    let errs = PrivacySettings::default().validate().unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"contact.email"));
    assert!(fields.contains(&"controller.legal_name"));
    assert!(fields.contains(&"notifications.order_sms"));
    let d = PrivacySettings::default();
    assert!(d.notifications.order_email && d.notifications.order_sms);
}

#[test]
fn out_of_range_retention_is_reported_with_its_json_path() {
    let (mut s, _) = iranian_shop();
    s.retention.orders_years = Some(40);
    s.retention.customer_accounts_days = 0;
    s.retention.server_logs_days = 100_000;
    s.minimum_age = 5;
    let errs = s.validate().unwrap_err();
    let got: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert!(got.contains(&("retention.orders_years", "out_of_range")));
    assert!(got.contains(&("retention.customer_accounts_days", "out_of_range")));
    assert!(got.contains(&("retention.server_logs_days", "out_of_range")));
    assert!(got.contains(&("minimum_age", "out_of_range")));
}

#[test]
fn hostile_custom_analytics_and_duplicates_are_rejected() {
    let (mut s, _) = albanian_shop();
    s.analytics.push(AnalyticsService::Custom {
        name: "Evil\u{0007}".into(),
        url: "javascript:alert(1)".into(),
        country: Country::Us,
    });
    s.analytics.push(AnalyticsService::Matomo);
    s.customer_data.push(s.customer_data[0]);
    s.contact.email = "a@b\"><script>".into();
    s.default_locale = Locale::Fa;
    s.locales.retain(|l| l.locale != Locale::Fa);
    let errs = s.validate().unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    for f in [
        "analytics[2].custom.name",
        "analytics[2].custom.url",
        "analytics[3]",
        "customer_data[9].category",
        "contact.email",
        "default_locale",
    ] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
}

#[test]
fn unknown_fields_are_refused_when_deserialising() {
    let (s, _) = iranian_shop();
    let mut v = serde_json::to_value(&s).unwrap();
    v["surprise"] = serde_json::json!(true);
    assert!(serde_json::from_value::<PrivacySettings>(v).is_err());
    let mut v = serde_json::to_value(&s).unwrap();
    v["retention"]["forever"] = serde_json::json!(1);
    assert!(serde_json::from_value::<PrivacySettings>(v).is_err());
    let back: PrivacySettings = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn toggling_order_sms_adds_and_removes_the_sms_clause_in_all_four_languages() {
    let (on, shop) = iranian_shop();
    let mut off = on.clone();
    off.notifications.order_sms = false;
    off.processors.clear();
    off.validate().unwrap();
    assert!(compile(&on, &shop).has_clause("notifications.order_sms"));
    assert!(!compile(&off, &shop).has_clause("notifications.order_sms"));
    let sms_words = [
        (Locale::En, "text messages (SMS)"),
        (Locale::Fa, "پیامک"),
        (Locale::Ar, "رسائل نصية"),
        (Locale::Sq, "mesazhe SMS"),
    ];
    for (l, word) in sms_words {
        let h_on = html(&on, &shop, l);
        let h_off = html(&off, &shop, l);
        assert!(h_on.contains("data-clause=\"notifications.order_sms\""));
        assert!(!h_off.contains("data-clause=\"notifications.order_sms\""));
        // Persian readers know the provider as «کاوه‌نگار» (its localized name).
        let provider = if l == Locale::Fa {
            "کاوه‌نگار"
        } else {
            "Kavenegar"
        };
        assert!(h_on.contains(provider), "{l:?} names the SMS provider");
        let body_off = h_off.split("id=\"history\"").next().unwrap();
        let body_on = h_on.split("id=\"history\"").next().unwrap();
        assert!(body_on.contains(word), "{l:?}");
        assert!(!body_off.contains(word), "{l:?} still mentions SMS: {word}");
    }
    let d = diff(&on, &off);
    assert!(d.contains(&Change::NotificationSmsDisabled));
    assert!(d.iter().any(|c| matches!(c, Change::ProcessorRemoved {
        role: ProcessorRole::Sms,
        name,
        ..
    } if name == "Kavenegar")));
    assert_eq!(diff(&off, &on)[0], Change::NotificationSmsEnabled);
    assert!(
        Change::NotificationSmsEnabled
            .describe(Locale::Fa)
            .contains("پیامک")
    );
}

#[test]
fn analytics_clause_exists_only_when_analytics_is_configured_and_names_each_service() {
    let (s, shop) = albanian_shop();
    let doc = compile(&s, &shop);
    assert!(doc.has_clause("analytics.services"));
    assert!(doc.has_clause("cookies.analytics"));
    for l in Locale::ALL {
        let h = html(&s, &shop, l);
        assert!(h.contains("Matomo") && h.contains("Google Analytics"));
    }
    let (s, shop) = iranian_shop();
    let doc = compile(&s, &shop);
    assert!(!doc.has_clause("analytics.services"));
    assert!(!doc.has_clause("cookies.analytics"));
}

fn persian_digits(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x06F0 + c.to_digit(10).unwrap()).unwrap())
        .collect()
}

fn arabic_digits(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(0x0660 + c.to_digit(10).unwrap()).unwrap())
        .collect()
}

/// ICU groups thousands; the test numbers stay below 1000 or we compare with grouping.
fn localised(n: u32, l: Locale, f: LocaleFormat) -> String {
    let loc = Localizer::new(l, f);
    loc.number(n)
}

#[test]
fn every_retention_period_appears_localised_in_every_language() {
    let (s, shop) = saudi_shop(); // collects every retention kind
    for l in Locale::ALL {
        let f = s.format_for(l);
        let h = html(&s, &shop, l);
        for kind in RetentionKind::ALL {
            // A period set in years is stated in years, one set in days in days.
            let want = match s.retention.period(kind) {
                harim_policy::RetentionPeriod::Days(d) => Localizer::new(l, f).days(d, false),
                harim_policy::RetentionPeriod::Years(y) => Localizer::new(l, f).years(y, false),
            };
            let clause = format!("data-clause=\"retention.{}\"", kind.field());
            let start = h
                .find(&clause)
                .unwrap_or_else(|| panic!("{l:?} lacks {clause}"));
            let line = &h[start..h[start..].find('\n').unwrap() + start];
            assert!(line.contains(&want), "{l:?}: {line} lacks {want}");
            match f.digits {
                Digits::Arab => assert!(!line.chars().any(|c| c.is_ascii_digit())),
                Digits::Arabext => assert!(!line.chars().any(|c| c.is_ascii_digit())),
                Digits::Latin => {}
            }
        }
    }
    // Spot checks of the digit systems themselves.
    assert_eq!(
        localised(90, Locale::Fa, LocaleFormat::customary(Locale::Fa)),
        persian_digits(90)
    );
    assert_eq!(
        localised(180, Locale::Ar, s.format_for(Locale::Ar)),
        arabic_digits(180)
    );
    assert_eq!(
        localised(90, Locale::Sq, LocaleFormat::customary(Locale::Sq)),
        "90"
    );
}

#[test]
fn persian_dates_use_the_solar_hijri_calendar_and_arabic_uses_umm_al_qura_when_chosen() {
    let (s, shop) = saudi_shop();
    let fa = html(&s, &shop, Locale::Fa);
    assert!(fa.contains("۱ فروردین ۱۴۰۴"), "Solar Hijri date");
    let ar = html(&s, &shop, Locale::Ar);
    assert!(ar.contains("رمضان ١٤٤٦"), "Umm al-Qura date");
    let (s2, shop2) = albanian_shop();
    let ar_greg = html(&s2, &shop2, Locale::Ar);
    assert!(ar_greg.contains("مارس ٢٠٢٥"), "Gregorian Arabic date");
    let sq = html(&s2, &shop2, Locale::Sq);
    assert!(sq.contains("21 mars 2025"));
}

#[test]
fn script_in_the_shop_name_is_escaped_everywhere() {
    let (s, mut shop) = iranian_shop();
    shop.shop_name = "<script>alert('x')</script> & \"co\"".into();
    shop.platform_name = "<b>plat</b>".into();
    let doc = compile(&s, &shop);
    for l in Locale::ALL {
        let h = render_html(&doc, &history_meta(&s), l, &s.format_for(l));
        assert!(!h.contains("<script>"), "{l:?}");
        assert!(!h.contains("<b>plat"), "{l:?}");
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;co&quot;"));
        let md = render_markdown(&doc, &history_meta(&s), l, &s.format_for(l));
        assert!(!md.contains("<script>"), "{l:?} markdown");
    }
}

#[test]
fn html_pages_declare_language_direction_and_isolate_ltr_tokens() {
    let (s, shop) = saudi_shop();
    for l in Locale::ALL {
        let h = html(&s, &shop, l);
        assert!(h.starts_with("<!DOCTYPE html>"));
        let dir = l.direction().as_str();
        assert!(h.contains(&format!("<html lang=\"{}\" dir=\"{dir}\"", l.tag())));
        for tag in [
            "<header>",
            "<nav ",
            "<main>",
            "<section ",
            "<h2 ",
            "<footer>",
            "@media print",
        ] {
            assert!(h.contains(tag), "{l:?} lacks {tag}");
        }
        assert!(h.contains("<bdi dir=\"ltr\" class=\"nw\"><a href=\"mailto:privacy@nakheel.example\">privacy@nakheel.example</a></bdi>"));
        assert!(h.contains("<a href=\"tel:+966112345678\">+966 11 234 5678</a>"));
        assert!(
            !h.contains(['\u{2068}', '\u{2069}']),
            "no fluent isolation marks"
        );
        assert!(h.contains("Noto Naskh Arabic"));
    }
}

#[test]
fn the_shop_is_named_controller_and_vendors_appear_as_recipients() {
    let (s, shop) = saudi_shop();
    let doc = compile(&s, &shop);
    assert_eq!(doc.controller_name, "شركة النخيل للتجارة");
    let names: Vec<&str> = doc.recipients.iter().map(|r| r.name.as_str()).collect();
    for n in [
        "Harim",
        "Unifonic",
        "Amazon SES",
        "HyperPay",
        "Tap Payments",
        "Zid Insights",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    // Amazon SES (Bahrain) and Tap (Kuwait) are outside Saudi Arabia: a transfers section exists.
    assert!(doc.has_clause("transfers.intro"));
    assert!(doc.has_clause("rights.complain"));
    let (s, shop) = iranian_shop();
    assert!(
        !compile(&s, &shop).has_clause("transfers.intro"),
        "all Iranian recipients"
    );
}

#[test]
fn gdpr_article_13_items_are_present() {
    let (s, shop) = albanian_shop();
    let doc = compile(&s, &shop);
    for id in [
        "controller.identity",
        "controller.dpo",
        "purposes.orders",
        "recipients.platform",
        "transfers.safeguards",
        "retention.orders_days",
        "rights.access",
        "rights.rectify",
        "rights.erase",
        "rights.restrict",
        "rights.object",
        "rights.portability",
        "rights.withdraw_consent",
        "rights.complain",
        "data.consequences",
        "purposes.automated_decisions",
        "children.minimum_age",
        "changes.publication",
        "contact.email",
    ] {
        assert!(doc.has_clause(id), "{id}");
    }
}

#[test]
fn diff_reports_typed_changes_in_a_stable_order() {
    let (old, _) = albanian_shop();
    let mut new = old.clone();
    new.retention.server_logs_days = 30;
    new.analytics
        .retain(|a| *a != AnalyticsService::GoogleAnalytics);
    new.analytics.push(AnalyticsService::Hotjar);
    new.payment_gateways.push(PaymentGateway::Stripe);
    new.minimum_age = 18;
    let d = diff(&old, &new);
    assert_eq!(
        d,
        vec![
            Change::AnalyticsAdded {
                service: AnalyticsService::Hotjar
            },
            Change::AnalyticsRemoved {
                service: AnalyticsService::GoogleAnalytics
            },
            Change::PaymentGatewayAdded {
                gateway: PaymentGateway::Stripe
            },
            Change::RetentionChanged {
                kind: RetentionKind::ServerLogs,
                from: 90,
                to: 30,
                from_years: None,
                to_years: None,
            },
            Change::MinimumAgeChanged { from: 16, to: 18 },
        ]
    );
    assert!(diff(&old, &old).is_empty());
    let fa = d[3].describe(Locale::Fa);
    assert!(fa.contains("۹۰ روز") && fa.contains("۳۰ روز"), "{fa}");
    let ar = d[3].describe(Locale::Ar);
    assert!(ar.contains("٩٠ يومًا"), "{ar}");
    assert_eq!(
        d[3].describe(Locale::En),
        "Retention changed: server logs, from 90 days to 30 days."
    );
}

#[test]
fn a_retention_change_set_in_years_is_worded_in_years() {
    let (mut old, _) = iranian_shop();
    old.retention.orders_years = None;
    old.retention.orders_days = 1825;
    let mut new = old.clone();
    new.retention.orders_years = Some(10);
    let d = diff(&old, &new);
    assert_eq!(d.len(), 1, "{d:?}");
    let Change::RetentionChanged {
        from_years,
        to_years,
        ..
    } = &d[0]
    else {
        panic!("{d:?}");
    };
    assert_eq!((*from_years, *to_years), (None, Some(10)));
    assert_eq!(
        d[0].describe(Locale::En),
        "Retention changed: orders, from 1,825 days to 10 years."
    );
    assert!(d[0].describe(Locale::Fa).contains("۱۰ سال"));
    assert!(d[0].describe(Locale::Ar).contains("١٠ سنوات"));
    assert!(d[0].describe(Locale::Sq).contains("10 vjet"));
    // Ten years either way: the same period, whatever its reading in days.
    let mut same = new.clone();
    same.retention.orders_days = 3650;
    assert!(diff(&new, &same).is_empty());
    // A stored change from before the years fields reads as days.
    let stored: Change = serde_json::from_str(
        r#"{"type":"retention_changed","kind":"orders","from":1825,"to":3650}"#,
    )
    .unwrap();
    assert!(stored.describe(Locale::En).contains("3,650 days"));
}

#[test]
fn canonical_json_is_stable_and_sorted() {
    let (s, _) = iranian_shop();
    let a = canonical_json(&s);
    assert_eq!(a, canonical_json(&s.clone()));
    assert!(a.starts_with("{\"analytics\":[],\"contact\":"));
    assert!(!a.contains(": ") && !a.contains('\n'));
    let back: PrivacySettings = serde_json::from_str(&a).unwrap();
    assert_eq!(back, s);
}

#[test]
fn version_hash_chains_to_the_previous_hash() {
    let (s, _) = iranian_shop();
    let c = canonical_json(&s);
    let h1 = version_hash(None, &c, &["<html>a</html>"]);
    assert_eq!(h1.len(), 64);
    assert_eq!(h1, version_hash(None, &c, &["<html>a</html>"]));
    let h2 = version_hash(Some(&h1), &c, &["<html>a</html>"]);
    assert_ne!(h1, h2);
    assert_ne!(h2, version_hash(Some(&h1), &c, &["<html>b</html>"]));
    // Length prefixes: moving a boundary changes the hash.
    assert_ne!(
        version_hash(None, "ab", &["c"]),
        version_hash(None, "a", &["bc"])
    );
}

#[test]
fn consistency_check_refuses_unnamed_categories_and_unconfigured_processors() {
    let (s, _) = iranian_shop();
    let ok = PlatformFacts {
        customer_data: vec![CustomerDataCategory::Name, CustomerDataCategory::Phone],
        vault_fields: vec!["phone".into(), "postal_code".into()],
        kyc_document_kinds: vec![],
        processors: vec![ProcessorRef {
            role: ProcessorRole::Sms,
            name: "kavenegar".into(),
        }],
        payment_gateways: vec![PaymentGateway::Zarinpal],
        storefront: vec![],
    };
    check_consistency(&s, &ok).unwrap();

    let mut bad = ok.clone();
    bad.vault_fields.push("national_id".into());
    bad.vault_fields.push("shoe_size".into());
    bad.kyc_document_kinds.push("national_id_card".into());
    bad.processors.clear();
    bad.payment_gateways = vec![PaymentGateway::Idpay];
    let errs = check_consistency(&s, &bad).unwrap_err();
    assert!(errs.contains(&Inconsistency::UnnamedCategory {
        category: CustomerDataCategory::NationalId,
        source_kind: "vault_field:national_id".into()
    }));
    assert!(errs.contains(&Inconsistency::UnknownVaultField {
        field: "shoe_size".into()
    }));
    assert!(errs.iter().any(|e| matches!(
        e,
        Inconsistency::UnnamedCategory {
            category: CustomerDataCategory::IdentityDocument,
            ..
        }
    )));
    assert!(errs.contains(&Inconsistency::ProcessorNotConfigured {
        role: ProcessorRole::Sms,
        name: "Kavenegar".into()
    }));
    assert!(errs.contains(&Inconsistency::GatewayNotConfigured {
        gateway: PaymentGateway::Zarinpal
    }));
    assert!(errs.contains(&Inconsistency::UnnamedGateway {
        gateway: PaymentGateway::Idpay
    }));
}

#[test]
fn json_output_is_json_ld_with_clause_ids() {
    let (s, shop) = saudi_shop();
    let doc = compile(&s, &shop);
    let j = render_json(
        &doc,
        &history_meta(&s),
        Locale::En,
        &s.format_for(Locale::En),
    );
    assert_eq!(j["@context"]["dpv"], "https://w3id.org/dpv#");
    assert_eq!(j["direction"], "ltr");
    let ids: Vec<&str> = j["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| {
            s["clauses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap())
        })
        .collect();
    assert_eq!(ids, doc.clause_ids());
    assert_eq!(j["history"][0]["version"], 2);
}

#[test]
fn rtl_markdown_isolates_ltr_tokens_outside_the_link_syntax() {
    let (s, shop) = saudi_shop();
    let doc = compile(&s, &shop);
    for l in [Locale::Ar, Locale::Fa] {
        let md = try_render_markdown(&doc, &history_meta(&s), l, &s.format_for(l)).unwrap();
        // LRI … PDI around the whole link, never inside its target.
        assert!(
            md.contains("\u{2066}[\\+966 11 234 5678](tel:+966112345678)\u{2069}"),
            "{l:?}"
        );
        assert!(
            md.contains(
                "\u{2066}[privacy@nakheel.example](mailto:privacy@nakheel.example)\u{2069}"
            )
        );
        assert!(md.contains("\u{2066}<https://sdaia.gov.sa>\u{2069}"));
        // A Latin brand is LTR; Arabic free text, and a registration number in the page's
        // digits, get FSI.
        let number = if l == Locale::Ar {
            "١٠١٠١٢٣٤٥٦"
        } else {
            "۱۰۱۰۱۲۳۴۵۶"
        };
        assert!(md.contains(&format!("\u{2068}{number}\u{2069}")), "{l:?}");
        assert!(md.contains("\u{2066}Unifonic\u{2069}"));
        assert!(md.contains("\u{2068}متجر النخيل\u{2069}"));
        for target in md.split("](").skip(1) {
            let t = &target[..target.find(')').unwrap()];
            assert!(!t.contains(['\u{2066}', '\u{2068}', '\u{2069}']), "{t}");
        }
    }
    // Left-to-right Markdown isolates only what holds right-to-left letters (the shop's name).
    for l in [Locale::En, Locale::Sq] {
        let md = try_render_markdown(&doc, &history_meta(&s), l, &s.format_for(l)).unwrap();
        assert!(md.contains("\u{2068}متجر النخيل\u{2069}"), "{l:?}");
        assert!(!md.contains('\u{2066}'), "{l:?}");
        assert!(!md.contains("\u{2068}Unifonic"), "{l:?}");
    }
}

#[test]
fn example_histories_are_the_diff_of_a_valid_earlier_version() {
    use harim_policy::examples::earlier_settings;
    for (name, s, _) in all_examples() {
        let earlier = earlier_settings(&s);
        earlier
            .validate()
            .unwrap_or_else(|e| panic!("{name}: earlier version invalid: {e:?}"));
        let meta = history_meta(&s);
        let changes = &meta
            .history
            .iter()
            .find(|h| h.version == 2)
            .unwrap()
            .changes;
        assert_eq!(changes, &diff(&earlier, &s), "{name}");
        assert!(!changes.is_empty(), "{name}");
        for c in changes {
            match c {
                Change::NotificationSmsEnabled => assert!(s.notifications.order_sms, "{name}"),
                Change::NotificationSmsDisabled => assert!(!s.notifications.order_sms),
                Change::RetentionChanged { kind, to, .. } => {
                    assert_eq!(s.retention.days(*kind), *to, "{name}");
                }
                Change::AnalyticsAdded { service } => assert!(s.analytics.contains(service)),
                Change::ProcessorAdded { name: n, role, .. } => {
                    assert!(s.processors.iter().any(|p| &p.name == n && p.role == *role));
                }
                _ => {}
            }
        }
    }
}

#[test]
fn new_settings_fields_left_at_default_leave_the_canonical_json_unchanged() {
    let (mut s, _) = iranian_shop();
    s.retention.orders_years = None;
    s.retention.orders_days = 1825;
    s.practices = Practices::default();
    s.processors[0].localized_names.clear();
    let j = canonical_json(&s);
    for absent in [
        "orders_years",
        "practices",
        "localized_names",
        "vat_number",
        "erasure_hold_days",
    ] {
        assert!(!j.contains(absent), "{absent} in {j}");
    }
    // Settings stored before these fields existed still parse.
    let back: PrivacySettings = serde_json::from_str(&j).unwrap();
    assert_eq!(back, s);
}

#[test]
fn a_period_in_years_is_counted_by_the_calendar_and_never_ends_early() {
    use time::macros::datetime;
    let ten = RetentionPeriod::Years(10);
    // 3,650 days after 2024-03-01 fall on 2034-02-27: ten calendar years end on 2034-03-01.
    assert_eq!(
        ten.end(datetime!(2024-03-01 12:00 UTC)),
        datetime!(2034-03-01 12:00 UTC)
    );
    assert_eq!(
        RetentionPeriod::Days(3650).end(datetime!(2024-03-01 12:00 UTC)),
        datetime!(2034-02-27 12:00 UTC)
    );
    // A leap day moves forward to 1 March when ending and back to 28 February when purging,
    // the longer retention both times.
    assert_eq!(
        RetentionPeriod::Years(1).end(datetime!(2024-02-29 00:00 UTC)),
        datetime!(2025-03-01 00:00 UTC)
    );
    assert_eq!(
        RetentionPeriod::Years(1).cutoff(datetime!(2028-02-29 00:00 UTC)),
        datetime!(2027-02-28 00:00 UTC)
    );
    // Enforcement reads the years; the days figure is only the longest reading.
    let (s, _) = albanian_shop();
    assert_eq!(s.retention.period(RetentionKind::Orders), ten);
    assert_eq!(s.retention.days(RetentionKind::Orders), 3660);
}

#[test]
fn new_clauses_follow_their_settings() {
    let (mut s, shop) = albanian_shop();
    let d = compile(&s, &shop);
    for id in [
        "recipients.no_sale",
        "security.staff",
        "other.external_links",
        "other.business_transfer",
        "cookies.cookie.pk_id",
        "children.parental_consent",
    ] {
        assert!(d.has_clause(id), "{id}");
    }
    // Hosted in Germany for an Albanian controller: no "servers at home" claim.
    assert!(!d.has_clause("security.hosting_home"));
    s.practices = Practices::default();
    let d = compile(&s, &shop);
    assert!(!d.has_clause("recipients.no_sale"));
    assert!(!d.has_clause("other.external_links"));
    assert!(!d.sections.iter().any(|x| x.id == "other"));
    let (sa, sa_shop) = saudi_shop();
    let d = compile(&sa, &sa_shop);
    assert!(d.has_clause("security.hosting_home"));
    assert!(d.has_clause("rights.informed"));
    assert!(d.has_clause("controller.vat"));
    // eNamad and the tax system are refused outside Iran.
    let mut bad = sa.clone();
    bad.practices.enamad = true;
    let errs = bad.validate().unwrap_err();
    assert!(errs.iter().any(|e| e.field == "practices.enamad"));
}
