//! The platform's own policy for merchants: snapshots of three platforms in every locale, one
//! test per conditional clause, the change list, and every message rendering cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harim_policy::examples::second_version_history;
use harim_policy::platform::examples::{
    albanian_platform, data_map, iranian_platform, saudi_platform,
};
use harim_policy::platform::{
    Basis, From, Period, PlatformChange, PlatformPolicyInputs, compile_platform, diff_platform,
};
use harim_policy::*;
use time::macros::date;

fn platforms() -> Vec<(&'static str, PlatformPolicyInputs)> {
    vec![
        ("iran_home", iranian_platform()),
        ("albania_abroad", albanian_platform()),
        ("saudi_hsm", saudi_platform()),
    ]
}

/// Version 2 of a platform policy whose history comes from a real diff: version 1 was the same
/// platform with a shorter backup period and without its processors.
fn meta(current: &PlatformPolicyInputs) -> PolicyMeta {
    let mut earlier = current.clone();
    earlier.platform.processors.clear();
    earlier.platform.backup_retention_days = 7;
    let changes = diff_platform(&earlier, current)
        .into_iter()
        .map(|change| Change::Platform { change })
        .collect();
    PolicyMeta {
        version: 2,
        effective_at: date!(2026 - 03 - 21),
        history: second_version_history(date!(2025 - 09 - 23), date!(2026 - 03 - 21), changes),
        alternates: Locale::ALL.to_vec(),
        previous_hash: Some("ab".repeat(32)),
    }
}

/// The format the platform publishes `l` in: for a Saudi operator's Arabic, Umm al-Qura dates
/// with the Gregorian beside them.
fn format(p: &PlatformPolicyInputs, l: Locale) -> LocaleFormat {
    harim_policy::platform::platform_format(p.platform.country, l)
}

#[test]
fn markdown_snapshots_for_every_platform_and_locale() {
    for (name, p) in platforms() {
        let doc = compile_platform(&p);
        for l in Locale::ALL {
            let m = try_render_markdown(&doc, &meta(&p), l, &format(&p, l)).unwrap();
            insta::assert_snapshot!(format!("platform_md_{name}_{}", l.tag()), m);
        }
    }
}

#[test]
fn html_renders_cleanly_for_every_platform_and_locale() {
    for (_, p) in platforms() {
        let doc = compile_platform(&p);
        for l in Locale::ALL {
            let h = try_render_html(&doc, &meta(&p), l, &format(&p, l)).unwrap();
            assert!(h.contains(&format!("lang=\"{}\"", l.tag())));
            assert!(
                !h.contains("pp-"),
                "an untranslated message id leaked: {l:?}"
            );
        }
    }
}

#[test]
fn json_snapshot_of_the_albanian_platform() {
    let p = albanian_platform();
    let doc = compile_platform(&p);
    let j = render_json(&doc, &meta(&p), Locale::Sq, &format(&p, Locale::Sq));
    insta::assert_snapshot!(
        "platform_json_albania_abroad_sq",
        serde_json::to_string_pretty(&j).unwrap()
    );
}

#[test]
fn every_period_and_event_is_worded_in_every_locale() {
    let mut p = iranian_platform();
    let events = [
        From::Created,
        From::LastUse,
        From::Decision,
        From::Ready,
        From::ShopErasure,
        From::AccountErasure,
    ];
    let mut periods = vec![
        Period::WhileAccountExists,
        Period::WhileShopExists,
        Period::ShopKycSetting { default_days: 365 },
        Period::AsProof,
        Period::OperatorLogs { days: 14 },
    ];
    for from in events {
        for hours in [1, 2, 3, 11, 12, 24, 100, 101] {
            periods.push(Period::Hours { hours, from });
        }
        periods.push(Period::Days { days: 1095, from });
    }
    p.data.entries[0].periods = periods
        .into_iter()
        .enumerate()
        .map(|(i, period)| harim_policy::platform::Kept {
            part: if i % 2 == 0 {
                "sessions"
            } else {
                "service_log"
            }
            .into(),
            period,
        })
        .collect();
    let doc = compile_platform(&p);
    for l in Locale::ALL {
        try_render_markdown(&doc, &meta(&p), l, &format(&p, l)).unwrap();
    }
}

#[test]
fn every_change_is_worded_in_every_locale() {
    let changes = vec![
        PlatformChange::OperatorChanged,
        PlatformChange::HostingChanged {
            name: "Host".into(),
            country: Country::De,
        },
        PlatformChange::ProcessorAdded {
            role: ProcessorRole::Support,
            name: "Desk".into(),
        },
        PlatformChange::ProcessorRemoved {
            role: ProcessorRole::Email,
            name: "Mail".into(),
        },
        PlatformChange::DataAdded {
            category: "api_keys".into(),
        },
        PlatformChange::DataRemoved {
            category: "invitations".into(),
        },
        PlatformChange::DataChanged {
            category: "identity".into(),
        },
        PlatformChange::RetentionChanged {
            category: "audit_log".into(),
        },
        PlatformChange::BackupsChanged { from: 7, to: 30 },
        PlatformChange::LogsChanged { from: 14, to: 30 },
        PlatformChange::ResponseTimeChanged { from: 30, to: 14 },
        PlatformChange::KeyCustodyChanged { in_hsm: true },
        PlatformChange::KeyCustodyChanged { in_hsm: false },
        PlatformChange::RoutesChanged,
    ];
    for l in Locale::ALL {
        let mut loc = harim_policy::i18n::Localizer::new(l, LocaleFormat::customary(l));
        for c in &changes {
            let text = Change::Platform { change: c.clone() }.describe_with(&mut loc);
            assert!(
                !text.is_empty() && !text.contains("pp-"),
                "{l:?} {c:?}: {text}"
            );
        }
        assert!(loc.errors.is_empty(), "{l:?}: {:?}", loc.errors);
    }
}

#[test]
fn the_history_is_the_real_diff() {
    let p = albanian_platform();
    let m = meta(&p);
    assert_eq!(
        m.history[1].changes,
        vec![
            Change::Platform {
                change: PlatformChange::ProcessorAdded {
                    role: ProcessorRole::Support,
                    name: "Zendesk".into()
                }
            },
            Change::Platform {
                change: PlatformChange::BackupsChanged { from: 7, to: 14 }
            },
        ]
    );
    assert!(diff_platform(&p, &p).is_empty());
}

fn ids(p: &PlatformPolicyInputs) -> Vec<String> {
    compile_platform(p)
        .clause_ids()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn has(p: &PlatformPolicyInputs, id: &str) -> bool {
    ids(p).iter().any(|c| c == id)
}

fn has_prefix(p: &PlatformPolicyInputs, prefix: &str) -> bool {
    ids(p).iter().any(|c| c.starts_with(prefix))
}

#[test]
fn registration_appears_exactly_when_the_operator_has_one() {
    let mut p = iranian_platform();
    assert!(!has(&p, "controller.registration"));
    p.platform.registration_number = Some("12345".into());
    assert!(has(&p, "controller.registration"));
}

#[test]
fn dpo_appears_exactly_when_one_is_appointed() {
    let mut p = iranian_platform();
    assert!(!has(&p, "controller.dpo") && !has(&p, "contact.dpo"));
    p.platform.dpo_email = Some("dpo@harim.example".into());
    assert!(has(&p, "controller.dpo") && has(&p, "contact.dpo"));
}

#[test]
fn transfers_appear_exactly_when_a_recipient_is_abroad() {
    let mut p = iranian_platform();
    assert!(!has_prefix(&p, "transfers."));
    p.platform.hosting_country = Country::De;
    assert!(has(&p, "transfers.intro") && has_prefix(&p, "transfers.hosting."));
    let mut p = iranian_platform();
    p.platform
        .processors
        .push(Processor::new(ProcessorRole::Email, "Mailer", Country::Tr));
    assert!(has(&p, "transfers.processor.mailer"));
    p.platform.processors[0].country = Country::Ir;
    assert!(!has_prefix(&p, "transfers."));
}

#[test]
fn every_processor_is_a_recipient_and_only_those() {
    let p = albanian_platform();
    assert!(has(&p, "recipients.processor.support.zendesk"));
    let mut q = p.clone();
    q.platform.processors.clear();
    assert!(!has_prefix(&q, "recipients.processor."));
}

#[test]
fn the_hsm_clause_appears_exactly_when_keys_are_in_an_hsm() {
    let mut p = iranian_platform();
    assert!(!has(&p, "security.hsm"));
    p.keys_in_hsm = true;
    assert!(has(&p, "security.hsm"));
}

#[test]
fn objection_appears_exactly_when_something_rests_on_legitimate_interest() {
    let mut p = iranian_platform();
    assert!(has(&p, "rights.object"));
    for e in &mut p.data.entries {
        e.bases.retain(|b| *b != Basis::LegitimateInterest);
        if e.bases.is_empty() {
            e.bases.push(Basis::Contract);
        }
    }
    assert!(!has(&p, "rights.object"));
}

#[test]
fn data_and_retention_clauses_follow_the_data_map() {
    let mut p = iranian_platform();
    for e in data_map().entries {
        assert!(has(&p, &format!("data.{}", e.category)));
        if e.periods.len() == 1 {
            assert!(has(&p, &format!("retention.{}", e.category)));
        } else {
            // One clause per part, so each rule says what it applies to.
            for k in &e.periods {
                assert!(has(&p, &format!("retention.{}.{}", e.category, k.part)));
            }
        }
    }
    assert!(has(&p, "retention.sessions.login_attempts"));
    p.data.entries.retain(|e| e.category != "documents");
    assert!(!has(&p, "data.documents") && !has_prefix(&p, "retention.documents"));
    // Without documents no reviewer sees them and no document check is promised... unless the
    // registered identity is still there for reviewers.
    assert!(!has(&p, "security.documents"));
    assert!(has(&p, "recipients.reviewers"));
    p.data.entries.retain(|e| e.category != "identity");
    assert!(!has(&p, "recipients.reviewers"));
    p.data.entries.retain(|e| e.category != "audit_log");
    assert!(!has(&p, "security.audit"));
    p.data.entries.retain(|e| e.category != "members");
    assert!(!has(&p, "recipients.shop_owner"));
}

#[test]
fn encryption_is_promised_exactly_when_something_is_encrypted() {
    let mut p = iranian_platform();
    assert!(has(&p, "security.encryption"));
    for e in &mut p.data.entries {
        e.encrypted = false;
    }
    assert!(!has(&p, "security.encryption"));
}

#[test]
fn the_text_prints_the_configured_numbers() {
    let mut p = iranian_platform();
    p.platform.backup_retention_days = 45;
    p.response_days = 21;
    let doc = compile_platform(&p);
    let m = try_render_markdown(&doc, &meta(&p), Locale::En, &format(&p, Locale::En)).unwrap();
    assert!(m.contains("overwritten after 45 days"), "{m}");
    assert!(m.contains("within 21 days"), "{m}");
    assert!(m.contains("(sessions): 12 hours after creation"), "{m}");
    assert!(m.contains("POST /v1/account/exports"), "{m}");
    assert!(m.contains("DELETE /v1/shops/\\{shop\\_id\\}"), "{m}");
}

#[test]
fn validation_names_every_bad_fact() {
    let mut p = iranian_platform().platform;
    assert!(p.validate().is_ok());
    p.contact_email = "nope".into();
    p.operator = " ".into();
    p.backup_retention_days = 0;
    let errs = p.validate().unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "platform.operator",
            "platform.contact_email",
            "platform.backup_retention_days"
        ]
    );
}

#[test]
fn shop_policies_may_not_promise_less_than_the_platform_keeps() {
    use harim_policy::platform::StorefrontCollection;
    let (s, _) = harim_policy::examples::iranian_shop();
    let facts = |storefront: Vec<StorefrontCollection>| PlatformFacts {
        processors: s
            .processors
            .iter()
            .map(|p| ProcessorRef {
                role: p.role,
                name: p.name.clone(),
            })
            .collect(),
        payment_gateways: s.payment_gateways.clone(),
        storefront,
        ..PlatformFacts::default()
    };
    let logs = s.retention.server_logs_days;
    let keeps = |days| StorefrontCollection {
        category: CustomerDataCategory::IpAddress,
        days,
    };
    check_consistency(&s, &facts(vec![keeps(Some(logs))])).unwrap();
    check_consistency(&s, &facts(vec![keeps(None)])).unwrap();
    assert_eq!(
        check_consistency(&s, &facts(vec![keeps(Some(logs + 1))])).unwrap_err(),
        vec![Inconsistency::RetentionShorterThanPlatform {
            category: CustomerDataCategory::IpAddress,
            promised: logs,
            actual: logs + 1,
        }]
    );
    // A category the storefront collects must be named at all.
    let mut quiet = s.clone();
    quiet
        .customer_data
        .retain(|d| d.category != CustomerDataCategory::IpAddress);
    let errs = check_consistency(&quiet, &facts(vec![keeps(Some(1))])).unwrap_err();
    assert_eq!(
        errs,
        vec![Inconsistency::UnnamedCategory {
            category: CustomerDataCategory::IpAddress,
            source_kind: "storefront".into()
        }]
    );
}

#[test]
fn hours_agree_with_their_number_in_every_locale() {
    let cases: [(Locale, &[(u32, &str)]); 4] = [
        (
            Locale::En,
            &[
                (1, "one hour after creation"),
                (2, "two hours after creation"),
                (101, "101 hours after creation"),
            ],
        ),
        (
            Locale::Fa,
            &[(1, "یک ساعت"), (11, "۱۱ ساعت"), (101, "۱۰۱ ساعت")],
        ),
        (
            Locale::Ar,
            &[
                (1, "ساعة واحدة"),
                (2, "ساعتان"),
                (3, "ثلاث ساعات"),
                (11, "١١ ساعةً"),
                (100, "١٠٠ ساعة "),
                (101, "١٠١ ساعة "),
                (103, "١٠٣ ساعات"),
                (111, "١١١ ساعةً"),
            ],
        ),
        (
            Locale::Sq,
            &[(1, "një orë"), (2, "dy orë"), (101, "101 orë")],
        ),
    ];
    for (l, table) in cases {
        for (hours, want) in table {
            let mut p = iranian_platform();
            let e = p
                .data
                .entries
                .iter_mut()
                .find(|e| e.category == "sessions")
                .unwrap();
            e.periods = vec![harim_policy::platform::Kept {
                part: "sessions".into(),
                period: Period::Hours {
                    hours: *hours,
                    from: From::Created,
                },
            }];
            let doc = compile_platform(&p);
            let m = try_render_markdown(&doc, &meta(&p), l, &format(&p, l)).unwrap();
            let line = m
                .lines()
                .rfind(|x| x.contains(&*text_of_sessions(l)))
                .unwrap_or_default()
                .to_owned();
            assert!(line.contains(want), "{l:?} {hours}: {line}");
        }
    }
}

/// The sessions category as each locale names it (the retention line starts with it).
fn text_of_sessions(l: Locale) -> String {
    let mut loc = harim_policy::i18n::Localizer::new(l, LocaleFormat::customary(l));
    loc.text("pp-cat-sessions")
}

#[test]
fn arabic_names_a_saudi_statute_nizam_and_any_other_qanun() {
    let render = |p: &PlatformPolicyInputs| {
        let doc = compile_platform(p);
        try_render_markdown(&doc, &meta(p), Locale::Ar, &format(p, Locale::Ar)).unwrap()
    };
    let saudi = render(&saudi_platform());
    assert!(saudi.contains("الأساس النظامي"), "{saudi}");
    // A Saudi operator dates its Arabic policy in Hijri, with the Gregorian date beside it.
    assert!(saudi.contains("هـ، الموافق"), "{saudi}");
    assert!(!saudi.contains("الأساس القانوني"), "{saudi}");
    let albanian = render(&albanian_platform());
    assert!(albanian.contains("الأساس القانوني"), "{albanian}");
    assert!(!albanian.contains("الأساس النظامي"), "{albanian}");
}
