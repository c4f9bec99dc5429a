//! Snapshot tests: three contrasting shops in every locale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harim_policy::examples::{albanian_shop, history_meta, iranian_shop, saudi_shop};
use harim_policy::*;

fn shops() -> Vec<(&'static str, PrivacySettings, ShopFacts)> {
    let (a, b) = iranian_shop();
    let (c, d) = albanian_shop();
    let (e, f) = saudi_shop();
    vec![
        ("iran_sms", a, b),
        ("albania_analytics", c, d),
        ("saudi_hijri", e, f),
    ]
}

#[test]
fn html_snapshots_for_every_shop_and_locale() {
    for (name, s, shop) in shops() {
        let doc = compile(&s, &shop);
        for l in Locale::ALL {
            let h = try_render_html(&doc, &history_meta(&s), l, &s.format_for(l)).unwrap();
            insta::assert_snapshot!(format!("html_{name}_{}", l.tag()), h);
        }
    }
}

#[test]
fn markdown_snapshots_for_every_shop_and_locale() {
    for (name, s, shop) in shops() {
        let doc = compile(&s, &shop);
        for l in Locale::ALL {
            let m = try_render_markdown(&doc, &history_meta(&s), l, &s.format_for(l)).unwrap();
            insta::assert_snapshot!(format!("md_{name}_{}", l.tag()), m);
        }
    }
}

#[test]
fn json_snapshot_of_the_saudi_shop() {
    let (s, shop) = saudi_shop();
    let doc = compile(&s, &shop);
    let j = render_json(
        &doc,
        &history_meta(&s),
        Locale::Ar,
        &s.format_for(Locale::Ar),
    );
    insta::assert_snapshot!(
        "json_saudi_hijri_ar",
        serde_json::to_string_pretty(&j).unwrap()
    );
}
