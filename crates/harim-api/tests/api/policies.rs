//! Privacy settings, publishing, versions and the public policy pages.

use axum::{
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode},
};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    db_test,
    helpers::{Resp, TestApp},
};

/// A valid settings value: the Iranian example (four languages, fa default, order SMS on
/// through Kavenegar).
pub fn valid_settings() -> Value {
    json!(harim_policy::examples::iranian_shop().0)
}

fn without_sms(mut s: Value) -> Value {
    s["notifications"]["order_sms"] = json!(false);
    let procs: Vec<Value> = s["processors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["role"] != "sms")
        .cloned()
        .collect();
    s["processors"] = json!(procs);
    s
}

async fn publish(app: &TestApp, token: &str, shop: &str, body: Value) -> Resp {
    app.post(&format!("/v1/shops/{shop}/policies"), Some(token), body)
        .await
}

/// Puts `s` and publishes it now; returns the 201 body.
pub async fn put_and_publish(app: &TestApp, token: &str, shop: &str, s: Value) -> Value {
    let r = app.put_settings(token, shop, s).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let r = publish(app, token, shop, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json
}

/// GET a public page with optional extra headers; returns (status, headers, body text).
async fn public(
    app: &TestApp,
    path: &str,
    hdrs: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let mut req = Request::get(path);
    for (k, v) in hdrs {
        req = req.header(*k, *v);
    }
    let (status, headers, body) = app.raw(req.body(Body::empty()).unwrap()).await;
    (status, headers, String::from_utf8(body).unwrap())
}

async fn page(app: &TestApp, path: &str) -> String {
    let (status, _, body) = public(app, path, &[]).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

fn field_names(r: &Resp) -> Vec<String> {
    r.json["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

async fn staff_of(app: &TestApp, owner: &str, shop: &str, email: &str) -> String {
    app.staff(owner, shop, email).await
}

db_test!(
    settings_default_validate_every_field_and_staff_only_read,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("pset").await;
        let r = app
            .get(&format!("/v1/shops/{shop}/privacy-settings"), &owner)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["notifications"]["order_sms"], true);
        assert_eq!(r.json["default_locale"], "fa");
        assert_eq!(r.json["contact"]["email"], "");

        // The defaults do not validate: every missing and out-of-range field is named at once.
        let mut bad = r.json.clone();
        bad["retention"]["orders_days"] = json!(1);
        bad["minimum_age"] = json!(5);
        let r = app.put_settings(&owner, &shop, bad).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        let fields = field_names(&r);
        for f in [
            "retention.orders_days",
            "minimum_age",
            "contact.email",
            "controller.legal_name",
            "notifications.order_sms",
        ] {
            assert!(fields.iter().any(|x| x == f), "{f} not in {fields:?}");
        }
        // Structural errors name the field too; unknown fields are refused.
        let mut extra = valid_settings();
        extra["tracking_pixels"] = json!(true);
        let r = app.put_settings(&owner, &shop, extra).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.json["errors"][0]["field"], "tracking_pixels");

        let r = app.put_settings(&owner, &shop, valid_settings()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json, valid_settings());
        let r = app
            .get(&format!("/v1/shops/{shop}/privacy-settings"), &owner)
            .await;
        assert_eq!(r.json, valid_settings());

        let staff = staff_of(&app, &owner, &shop, "pset-staff@example.com").await;
        let r = app
            .get(&format!("/v1/shops/{shop}/privacy-settings"), &staff)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json, valid_settings());
        app.put_settings(&staff, &shop, valid_settings())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        publish(&app, &staff, &shop, json!({}))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
        let r = app.get(&format!("/v1/shops/{shop}/policies"), &staff).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json, json!([]));
    }
);

db_test!(
    publishing_chains_versions_and_refuses_bad_input,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("chain").await;
        // Never-saved defaults are invalid: publishing names the settings fields.
        let r = publish(&app, &owner, &shop, json!({})).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert!(field_names(&r).contains(&"settings.contact.email".to_string()));

        app.put_settings(&owner, &shop, valid_settings()).await;
        let r = publish(
            &app,
            &owner,
            &shop,
            json!({"effective_at": "2020-01-01T00:00:00Z"}),
        )
        .await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.json["errors"][0]["field"], "effective_at");
        assert_eq!(r.json["errors"][0]["code"], "in_the_past");
        let r = publish(&app, &owner, &shop, json!({"effective_at": "tomorrow"})).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

        let v1 = publish(&app, &owner, &shop, json!({})).await;
        assert_eq!(v1.status, StatusCode::CREATED, "{:?}", v1.json);
        assert_eq!(v1.json["version"], 1);
        assert_eq!(v1.json["previous_hash"], Value::Null);
        assert_eq!(v1.json["changes"], json!([]));
        let h1 = v1.json["hash"].as_str().unwrap().to_string();
        assert_eq!(h1.len(), 64);
        assert!(h1.bytes().all(|b| b.is_ascii_hexdigit()));

        // Unchanged settings: nothing to publish.
        publish(&app, &owner, &shop, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "conflict");

        let mut s = valid_settings();
        s["minimum_age"] = json!(16);
        app.put_settings(&owner, &shop, s).await;
        let v2 = publish(&app, &owner, &shop, json!({})).await;
        assert_eq!(v2.status, StatusCode::CREATED, "{:?}", v2.json);
        assert_eq!(v2.json["version"], 2);
        assert_eq!(v2.json["previous_hash"], h1.as_str());
        assert_ne!(v2.json["hash"], h1.as_str());
        assert_eq!(
            v2.json["changes"][0]["change"]["type"],
            "minimum_age_changed"
        );

        let r = app.get(&format!("/v1/shops/{shop}/policies"), &owner).await;
        assert_eq!(r.status, StatusCode::OK);
        let versions: Vec<u64> = r
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["version"].as_u64().unwrap())
            .collect();
        assert_eq!(versions, [2, 1]);
        assert_eq!(r.json[0]["in_force"], true);
        assert_eq!(r.json[1]["in_force"], false);
        assert_eq!(r.json[0]["previous_hash"], r.json[1]["hash"]);
        assert_eq!(r.json[0]["locales"], json!(["en", "fa", "ar", "sq"]));
    }
);

db_test!(
    order_sms_adds_and_removes_its_clause_in_every_language,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("sms").await;
        let clause = "data-clause=\"notifications.order_sms\"";
        put_and_publish(&app, &owner, &shop, valid_settings()).await;
        for lang in ["en", "fa", "ar", "sq"] {
            let html = page(&app, &format!("/shops/shop-sms/privacy?lang={lang}")).await;
            assert!(html.contains(clause), "{lang}: SMS clause missing");
            // The processor goes by its local name where the settings give one.
            let name = if lang == "fa" {
                "کاوه‌نگار"
            } else {
                "Kavenegar"
            };
            assert!(html.contains(name), "{lang}");
        }

        let v2 = put_and_publish(&app, &owner, &shop, without_sms(valid_settings())).await;
        let changes = v2["changes"].as_array().unwrap();
        let sms = changes
            .iter()
            .find(|c| c["change"]["type"] == "notification_sms_disabled")
            .unwrap_or_else(|| panic!("no sms change in {changes:?}"));
        for lang in ["en", "fa", "ar", "sq"] {
            let t = sms["text"][lang].as_str().unwrap();
            assert!(!t.trim().is_empty(), "{lang}");
        }
        assert_ne!(sms["text"]["en"], sms["text"]["fa"]);
        for lang in ["en", "fa", "ar", "sq"] {
            let html = page(&app, &format!("/shops/shop-sms/privacy?lang={lang}")).await;
            assert!(!html.contains(clause), "{lang}: SMS clause still there");
            // Kavenegar is named only in the update history now, not as a recipient.
            assert!(
                !html.contains("data-clause=\"recipients.processor.sms"),
                "{lang}"
            );
            // The update history on the page words the change in the page's language.
            let worded = sms["text"][lang].as_str().unwrap();
            assert!(
                html.contains(&harim_policy::escape_html(worded)),
                "{lang}: history lacks {worded}"
            );
            let md = page(&app, &format!("/shops/shop-sms/privacy.md?lang={lang}")).await;
            assert!(md.starts_with("# "), "{lang}");
            let js = page(&app, &format!("/shops/shop-sms/privacy.json?lang={lang}")).await;
            assert!(!js.contains("notifications.order_sms"));
        }

        let v3 = put_and_publish(&app, &owner, &shop, valid_settings()).await;
        assert!(
            v3["changes"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c["change"]["type"] == "notification_sms_enabled")
        );
        for lang in ["en", "fa", "ar", "sq"] {
            let html = page(&app, &format!("/shops/shop-sms/privacy?lang={lang}")).await;
            assert!(html.contains(clause), "{lang}: SMS clause not back");
            let js: Value = serde_json::from_str(
                &page(&app, &format!("/shops/shop-sms/privacy.json?lang={lang}")).await,
            )
            .unwrap();
            assert_eq!(js["version"], 3);
            assert!(js.to_string().contains("notifications.order_sms"));
        }
        // Older versions stay readable as they were.
        let old = page(&app, "/shops/shop-sms/privacy/versions/2?lang=en").await;
        assert!(!old.contains(clause));
    }
);

fn persian_digits(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32('۰' as u32 + c.to_digit(10).unwrap()).unwrap())
        .collect()
}

db_test!(
    every_retention_period_is_on_the_page_in_local_digits,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("ret").await;
        let mut s = valid_settings();
        s["retention"] = json!({
            "customer_accounts_days": 731,
            "orders_days": 912,
            "server_logs_days": 45,
            "kyc_documents_after_decision_days": 203,
            "after_account_deletion_days": 21,
        });
        let mut data = s["customer_data"].as_array().unwrap().clone();
        data.push(json!({"category": "national_id", "required": false}));
        s["customer_data"] = json!(data);
        put_and_publish(&app, &owner, &shop, s).await;
        let fa = page(&app, "/shops/shop-ret/privacy?lang=fa").await;
        let en = page(&app, "/shops/shop-ret/privacy?lang=en").await;
        for (id, days) in [
            ("retention.customer_accounts_days", 731),
            ("retention.orders_days", 912),
            ("retention.server_logs_days", 45),
            ("retention.kyc_documents_after_decision_days", 203),
            ("retention.after_account_deletion_days", 21),
        ] {
            let clause = |html: &str| {
                let start = html
                    .find(&format!("data-clause=\"{id}\""))
                    .unwrap_or_else(|| panic!("{id} missing"));
                let end = start + html[start..].find("</").unwrap();
                html[start..end].to_string()
            };
            let f = clause(&fa);
            assert!(f.contains(&persian_digits(days)), "fa {id}: {f}");
            assert!(
                !f.contains(&days.to_string()),
                "fa {id} has Latin digits: {f}"
            );
            assert!(clause(&en).contains(&days.to_string()), "en {id}");
        }
    }
);

db_test!(
    a_future_version_gives_notice_and_the_old_one_stays_in_force,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("future").await;
        let clause = "data-clause=\"notifications.order_sms\"";
        let v1 = put_and_publish(&app, &owner, &shop, valid_settings()).await;
        app.put_settings(&owner, &shop, without_sms(valid_settings()))
            .await;
        let when = (time::OffsetDateTime::now_utc() + time::Duration::days(30))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let r = publish(&app, &owner, &shop, json!({"effective_at": when})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["version"], 2);
        assert_eq!(r.json["in_force"], false);

        let now = page(&app, "/shops/shop-future/privacy?lang=en").await;
        assert!(
            now.contains(clause),
            "the future version is already in force"
        );
        let js: Value =
            serde_json::from_str(&page(&app, "/shops/shop-future/privacy.json").await).unwrap();
        assert_eq!(js["version"], 1);
        let next = page(&app, "/shops/shop-future/privacy/versions/2?lang=en").await;
        assert!(!next.contains(clause));
        let first = page(&app, "/shops/shop-future/privacy/versions/1?lang=en").await;
        assert!(first.contains(clause));
        let (status, _, _) = public(&app, "/shops/shop-future/privacy/versions/3", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let r = app.get(&format!("/v1/shops/{shop}/policies"), &owner).await;
        assert_eq!(r.json[0]["version"], 2);
        assert_eq!(r.json[0]["in_force"], false);
        assert_eq!(r.json[1]["in_force"], true);
        assert_eq!(r.json[1]["hash"], v1["hash"]);

        // A version cannot take effect before the one it replaces.
        app.put_settings(&owner, &shop, valid_settings()).await;
        let r = publish(&app, &owner, &shop, json!({})).await;
        r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
        assert_eq!(r.json["errors"][0]["code"], "before_previous");
    }
);

db_test!(
    language_is_query_then_accept_language_then_shop_default,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("lang").await;
        put_and_publish(&app, &owner, &shop, valid_settings()).await;
        let lang_of = |html: &str| {
            let start = html.find("<html lang=\"").unwrap() + "<html lang=\"".len();
            html[start..start + 2].to_string()
        };
        let p = "/shops/shop-lang/privacy";
        let (_, h, b) = public(&app, &format!("{p}?lang=en"), &[("accept-language", "ar")]).await;
        assert_eq!(lang_of(&b), "en");
        assert_eq!(h["content-language"], "en");
        let (_, _, b) = public(&app, p, &[("accept-language", "sq-AL, ar;q=0.5")]).await;
        assert_eq!(lang_of(&b), "sq");
        let (_, _, b) = public(&app, p, &[("accept-language", "de, ar;q=0.9, sq;q=0.8")]).await;
        assert_eq!(lang_of(&b), "ar");
        let (_, _, b) = public(&app, &format!("{p}?lang=de"), &[("accept-language", "en")]).await;
        assert_eq!(lang_of(&b), "en");
        // Nothing usable: the shop's default (fa), right to left.
        let (_, h, b) = public(&app, &format!("{p}?lang=xx"), &[("accept-language", "de")]).await;
        assert!(b.contains("<html lang=\"fa\" dir=\"rtl\""), "{}", &b[..200]);
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        let (_, _, b) = public(&app, &format!("{p}?lang=en"), &[]).await;
        assert!(b.contains("<html lang=\"en\" dir=\"ltr\""));

        // Only languages the version was published in are served.
        let (owner2, shop2) = app.merchant("lang2").await;
        let mut s = valid_settings();
        let only: Vec<Value> = s["locales"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["locale"] == "fa" || l["locale"] == "en")
            .cloned()
            .collect();
        s["locales"] = json!(only);
        put_and_publish(&app, &owner2, &shop2, s).await;
        let (_, _, b) = public(
            &app,
            "/shops/shop-lang2/privacy?lang=ar",
            &[("accept-language", "sq")],
        )
        .await;
        assert_eq!(lang_of(&b), "fa");
    }
);

db_test!(
    public_pages_send_etags_cache_headers_and_answer_304,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("etag").await;
        put_and_publish(&app, &owner, &shop, valid_settings()).await;
        let p = "/shops/shop-etag/privacy";
        let (status, h, _) = public(&app, p, &[]).await;
        assert_eq!(status, StatusCode::OK);
        let etag = h["etag"].to_str().unwrap().to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong etag: {etag}"
        );
        assert_eq!(h["cache-control"], "public, max-age=300");
        assert_eq!(h["vary"], "Accept-Language, Accept-Encoding");
        let (status, h2, body) = public(&app, p, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());
        assert_eq!(h2["etag"], etag.as_str());
        assert_eq!(h2["vary"], "Accept-Language, Accept-Encoding");
        let (status, _, _) = public(
            &app,
            p,
            &[
                ("if-none-match", "\"other\", ".to_string().as_str()),
                ("accept-language", "fa"),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        // Another language or format is another representation.
        let (_, h_en, _) = public(&app, &format!("{p}?lang=en"), &[]).await;
        assert_ne!(h_en["etag"], etag.as_str());
        let (status, _, _) =
            public(&app, &format!("{p}?lang=en"), &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::OK);

        let (status, h, md) = public(&app, &format!("{p}.md"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["content-type"], "text/markdown; charset=utf-8");
        assert!(md.starts_with("# "));
        assert_ne!(h["etag"], etag.as_str());
        let (status, h, js) = public(&app, &format!("{p}.json?lang=en"), &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(h["content-type"], "application/ld+json");
        let js: Value = serde_json::from_str(&js).unwrap();
        assert_eq!(js["language"], "en");
        assert_eq!(js["version"], 1);
        assert!(js["@context"].is_object());

        // A new version changes the ETag of the page in force.
        let mut s = valid_settings();
        s["minimum_age"] = json!(16);
        put_and_publish(&app, &owner, &shop, s).await;
        let (status, h, _) = public(&app, p, &[("if-none-match", &etag)]).await;
        assert_eq!(status, StatusCode::OK);
        assert_ne!(h["etag"], etag.as_str());
    }
);

/// GET a public page with extra headers; returns (status, headers, body bytes as sent).
async fn public_bytes(
    app: &TestApp,
    path: &str,
    hdrs: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::get(path);
    for (k, v) in hdrs {
        req = req.header(*k, *v);
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

/// Everything `decoder` yields.
fn decoded(mut decoder: impl std::io::Read) -> Vec<u8> {
    let mut out = Vec::new();
    decoder.read_to_end(&mut out).unwrap();
    out
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    decoded(flate2::read::GzDecoder::new(b))
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    decoded(brotli::Decompressor::new(b, 4096))
}

/// Which coding an answer is in (`Content-Encoding`, or identity), after checking what every
/// answer of a public page carries: `Vary` and a `Content-Length` equal to the body sent.
#[track_caller]
fn coding_of(h: &HeaderMap, body: &[u8]) -> &'static str {
    assert_eq!(h["vary"], "Accept-Language, Accept-Encoding");
    assert_eq!(h["content-length"], body.len().to_string().as_str());
    match h.get("content-encoding").map(|v| v.to_str().unwrap()) {
        None => "identity",
        Some("br") => "br",
        Some("gzip") => "gzip",
        Some(other) => panic!("unexpected coding {other}"),
    }
}

db_test!(
    public_pages_are_served_precompressed_by_accept_encoding,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("enc").await;
        put_and_publish(&app, &owner, &shop, valid_settings()).await;
        // Publishing stored both compressed forms of every document.
        let missing = app
            .count(
                "SELECT COUNT(*) AS n FROM policy_documents WHERE body_gzip IS NULL OR body_br IS NULL",
                [],
            )
            .await;
        assert_eq!(missing, 0);

        for p in [
            "/shops/shop-enc/privacy?lang=fa",
            "/shops/shop-enc/privacy.md?lang=en",
            "/shops/shop-enc/privacy.json?lang=ar",
            "/shops/shop-enc/privacy/versions/1?lang=sq",
        ] {
            let (status, h, plain) = public_bytes(&app, p, &[]).await;
            assert_eq!(status, StatusCode::OK, "{p}");
            assert_eq!(coding_of(&h, &plain), "identity", "{p}: no Accept-Encoding");
            let etag = h["etag"].to_str().unwrap().to_string();
            let (_, h, br) =
                public_bytes(&app, p, &[("accept-encoding", "gzip, deflate, br")]).await;
            assert_eq!(coding_of(&h, &br), "br", "{p}");
            assert_eq!(unbrotli(&br), plain, "{p}");
            assert!(
                br.len() < plain.len() / 2,
                "{p}: {} of {}",
                br.len(),
                plain.len()
            );
            let br_etag = h["etag"].to_str().unwrap().to_string();
            assert_eq!(br_etag, format!("{}-br\"", etag.trim_end_matches('"')));
            let (_, h, gz) = public_bytes(&app, p, &[("accept-encoding", "br;q=0, gzip")]).await;
            assert_eq!(coding_of(&h, &gz), "gzip", "{p}");
            assert_eq!(gunzip(&gz), plain, "{p}");
            let gz_etag = h["etag"].to_str().unwrap().to_string();
            assert_eq!(gz_etag, format!("{}-gz\"", etag.trim_end_matches('"')));
            // A second view is a cache hit and sends the very same bytes.
            let (_, _, again) = public_bytes(&app, p, &[("accept-encoding", "br")]).await;
            assert_eq!(again, br);
        }

        let p = "/shops/shop-enc/privacy";
        for (accept, want) in [
            ("gzip, br", "br"),
            ("br;q=0, gzip", "gzip"),
            ("gzip;q=1, br;q=0.5", "gzip"),
            ("gzip;q=0.8, br;q=0.8", "br"),
            ("x-gzip", "gzip"),
            ("GZIP;Q=0.5", "gzip"),
            ("*", "br"),
            ("*;q=0.5, br;q=0", "gzip"),
            ("identity", "identity"),
            ("gzip;q=0.5, identity", "identity"),
            ("deflate", "identity"),
            ("gzip;q=0, br;q=0", "identity"),
            ("identity;q=0, *;q=0", "identity"),
            ("gzip;q=2, br;q=nope", "identity"),
            ("", "identity"),
        ] {
            let (status, h, body) = public_bytes(&app, p, &[("accept-encoding", accept)]).await;
            assert_eq!(status, StatusCode::OK, "{accept}");
            assert_eq!(coding_of(&h, &body), want, "Accept-Encoding: {accept}");
        }

        // Revalidation: any coding's ETag of the same document answers 304 when that coding is
        // acceptable now, with the validator the client holds.
        let (_, h, _) = public_bytes(&app, p, &[]).await;
        let plain_etag = h["etag"].to_str().unwrap().to_string();
        let base = plain_etag.trim_end_matches('"').to_string();
        let (br_etag, gz_etag) = (format!("{base}-br\""), format!("{base}-gz\""));
        for (accept, inm, want) in [
            ("gzip, br", br_etag.as_str(), Some(br_etag.as_str())),
            ("gzip, br", gz_etag.as_str(), Some(gz_etag.as_str())),
            ("gzip, br", plain_etag.as_str(), Some(plain_etag.as_str())),
            ("", gz_etag.as_str(), None),
            ("br", gz_etag.as_str(), None),
            ("gzip, br", &format!("W/{gz_etag}"), Some(gz_etag.as_str())),
            (
                "gzip, br",
                &format!("\"x\", {gz_etag}, {br_etag}"),
                Some(br_etag.as_str()),
            ),
            ("gzip", "*", Some(gz_etag.as_str())),
            ("gzip, br", &format!("{base}-zz\""), None),
        ] {
            let (status, h, body) = public_bytes(
                &app,
                p,
                &[("accept-encoding", accept), ("if-none-match", inm)],
            )
            .await;
            assert_eq!(
                h["vary"], "Accept-Language, Accept-Encoding",
                "{accept} / {inm}"
            );
            match want {
                Some(tag) => {
                    assert_eq!(status, StatusCode::NOT_MODIFIED, "{accept} / {inm}");
                    assert!(body.is_empty());
                    assert_eq!(h["etag"], tag, "{accept} / {inm}");
                    assert!(h.get("content-encoding").is_none());
                }
                None => assert_eq!(status, StatusCode::OK, "{accept} / {inm}"),
            }
        }
    }
);

db_test!(
    documents_published_before_compressed_forms_are_compressed_when_read,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("legacy").await;
        put_and_publish(&app, &owner, &shop, valid_settings()).await;
        // As a version published before migration m11 left them.
        app.db
            .execute_unprepared("UPDATE policy_documents SET body_gzip = NULL, body_br = NULL")
            .await
            .unwrap();
        let p = "/shops/shop-legacy/privacy?lang=en";
        let (_, h, plain) = public_bytes(&app, p, &[]).await;
        assert_eq!(coding_of(&h, &plain), "identity");
        let (_, h, br) = public_bytes(&app, p, &[("accept-encoding", "br")]).await;
        assert_eq!(coding_of(&h, &br), "br");
        assert_eq!(unbrotli(&br), plain);
        let (_, h, gz) = public_bytes(&app, p, &[("accept-encoding", "gzip")]).await;
        assert_eq!(coding_of(&h, &gz), "gzip");
        assert_eq!(gunzip(&gz), plain);
        // Never written back.
        let written = app
            .count(
                "SELECT COUNT(*) AS n FROM policy_documents WHERE body_gzip IS NOT NULL OR body_br IS NOT NULL",
                [],
            )
            .await;
        assert_eq!(written, 0);
    }
);

db_test!(
    concurrent_publishes_of_the_same_settings_make_one_version,
    |app: TestApp| async move {
        // Both prepare (render, compress) outside their transactions at once; the second to
        // commit finds the version it was prepared on superseded, prepares again on top of the
        // first and is refused as unchanged.
        let (owner, shop) = app.merchant("twice").await;
        let r = app.put_settings(&owner, &shop, valid_settings()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let (a, b) = tokio::join!(
            publish(&app, &owner, &shop, json!({})),
            publish(&app, &owner, &shop, json!({}))
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "{a:?} {b:?}"
        );
        let versions = app.get(&format!("/v1/shops/{shop}/policies"), &owner).await;
        assert_eq!(versions.json.as_array().unwrap().len(), 1);
    }
);

db_test!(
    public_pages_are_404_problems_for_unknown_or_unpublished_shops,
    |app: TestApp| async move {
        app.merchant("quiet").await;
        for p in [
            "/shops/no-such-shop/privacy",
            "/shops/no-such-shop/privacy.json",
            "/shops/no-such-shop/privacy.md",
            "/shops/no-such-shop/privacy/versions/1",
            "/shops/shop-quiet/privacy",
            "/shops/shop-quiet/privacy.json",
            "/shops/shop-quiet/privacy.md",
            "/shops/shop-quiet/privacy/versions/1",
            "/shops/shop-quiet/privacy/versions/0",
            "/shops/shop-quiet/privacy/versions/x",
        ] {
            let r = app.call(Method::GET, p, None, None).await;
            r.assert_problem(StatusCode::NOT_FOUND, "not-found");
        }
    }
);

db_test!(
    a_hostile_shop_name_is_escaped_on_the_public_page,
    |app: TestApp| async move {
        let (_, token) = app.account("evil@example.com").await;
        let r = app
            .post(
                "/v1/shops",
                Some(&token),
                json!({"name": "<script>alert(1)</script>", "slug": "evil-shop", "default_locale": "en"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let shop = r.json["id"].as_str().unwrap().to_string();
        put_and_publish(&app, &token, &shop, valid_settings()).await;
        for lang in ["en", "fa"] {
            let (status, h, html) =
                public(&app, &format!("/shops/evil-shop/privacy?lang={lang}"), &[]).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!html.contains("<script"), "{lang}: unescaped script");
            assert!(html.contains("&lt;script&gt;"), "{lang}");
            assert!(
                h["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .contains("default-src 'none'")
            );
            assert_eq!(h["x-content-type-options"], "nosniff");
        }
    }
);

#[test]
fn the_policy_routes_are_in_the_openapi_document() {
    let doc = serde_json::to_value(harim_api::openapi()).unwrap();
    let paths = &doc["paths"];
    for (m, p) in [
        ("get", "/v1/shops/{shop_id}/privacy-settings"),
        ("put", "/v1/shops/{shop_id}/privacy-settings"),
        ("post", "/v1/shops/{shop_id}/policies"),
        ("get", "/v1/shops/{shop_id}/policies"),
        ("get", "/shops/{slug}/privacy"),
        ("get", "/shops/{slug}/privacy.json"),
        ("get", "/shops/{slug}/privacy.md"),
        ("get", "/shops/{slug}/privacy/versions/{n}"),
        ("get", "/assets/fonts/{name}"),
    ] {
        assert!(paths[p][m].is_object(), "{m} {p} missing");
    }
    // Public pages need no credentials.
    assert_eq!(
        paths["/shops/{slug}/privacy"]["get"]["security"],
        json!([{}])
    );
}

/// The stored, hashed bytes of a served `privacy.json`: the rule of docs/API.md ("privacy.json
/// and the hash chain") applied as a third party would, without harim's code.
fn hashed_json_bytes(served: &str, hash: &str) -> String {
    let member = format!(",\"hash\":\"{hash}\"}}");
    let open = served
        .strip_suffix(&member)
        .unwrap_or_else(|| panic!("no trailing hash member: {served}"));
    format!("{open}}}")
}

/// Recomputes a version's hash from its public documents and the settings it was published
/// from: `version_hash(previous, canonical settings, [html, md, json] per locale)`.
async fn recompute_hash(
    app: &TestApp,
    slug: &str,
    settings: &Value,
    previous: Option<&str>,
    hash: &str,
) -> String {
    let s: harim_policy::PrivacySettings = serde_json::from_value(settings.clone()).unwrap();
    let published = s.published_locales();
    let mut docs = Vec::new();
    for l in harim_policy::Locale::ALL
        .into_iter()
        .filter(|l| published.contains(l))
    {
        let tag = l.tag();
        docs.push(page(app, &format!("/shops/{slug}/privacy?lang={tag}")).await);
        docs.push(page(app, &format!("/shops/{slug}/privacy.md?lang={tag}")).await);
        let json = page(app, &format!("/shops/{slug}/privacy.json?lang={tag}")).await;
        docs.push(hashed_json_bytes(&json, hash));
    }
    let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
    harim_policy::version_hash(previous, &harim_policy::canonical_json(&s), &docs)
}

db_test!(
    privacy_json_carries_version_hash_and_the_chain,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("chain").await;
        let slug = "shop-chain";
        let v1_settings = valid_settings();
        let v1 = put_and_publish(&app, &owner, &shop, v1_settings.clone()).await;
        let h1 = v1["hash"].as_str().unwrap().to_string();
        let v2_settings = without_sms(valid_settings());
        let mut seen = Vec::new();
        for (n, settings) in [(1, &v1_settings), (2, &v2_settings)] {
            if n == 2 {
                let v2 = put_and_publish(&app, &owner, &shop, v2_settings.clone()).await;
                assert_eq!(v2["previous_hash"], h1.as_str());
            }
            for lang in ["en", "fa", "ar", "sq"] {
                let (status, h, body) = public(
                    &app,
                    &format!("/shops/{slug}/privacy.json?lang={lang}"),
                    &[],
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                let j: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(j["version"], n, "{lang}");
                assert_eq!(j["language"], lang);
                let hash = j["hash"].as_str().unwrap().to_string();
                assert_eq!(hash.len(), 64);
                let etag = h["etag"].to_str().unwrap();
                assert_eq!(etag, format!("\"{}-{lang}-json+hash\"", &hash[..32]));
                // Its validator revalidates; one held from before the hash member does not.
                let url = format!("/shops/{slug}/privacy.json?lang={lang}");
                let (st, _, _) = public(&app, &url, &[("if-none-match", etag)]).await;
                assert_eq!(st, StatusCode::NOT_MODIFIED);
                let old = format!("\"{}-{lang}-json\"", &hash[..32]);
                let (st, _, _) = public(&app, &url, &[("if-none-match", &old)]).await;
                assert_eq!(st, StatusCode::OK);
                // Every coding of the served document decodes to the same bytes.
                let (_, hg, gz) = public_bytes(
                    &app,
                    &format!("/shops/{slug}/privacy.json?lang={lang}"),
                    &[("accept-encoding", "gzip")],
                )
                .await;
                assert_eq!(coding_of(&hg, &gz), "gzip");
                assert_eq!(gunzip(&gz), body.as_bytes());
                let (_, hb, br) = public_bytes(
                    &app,
                    &format!("/shops/{slug}/privacy.json?lang={lang}"),
                    &[("accept-encoding", "br")],
                )
                .await;
                assert_eq!(coding_of(&hb, &br), "br");
                assert_eq!(unbrotli(&br), body.as_bytes());
                // The stored (hashed) bytes hold no hash member.
                let stored: Value = serde_json::from_str(&hashed_json_bytes(&body, &hash)).unwrap();
                assert!(stored.get("hash").is_none());
                assert_eq!(stored["previous_hash"], j["previous_hash"]);
                seen.push((n, hash, j["previous_hash"].clone()));
            }
            // The hash is what the public documents and the settings hash to.
            let hash = seen.last().unwrap().1.clone();
            let previous = (n == 2).then_some(h1.as_str());
            assert_eq!(
                recompute_hash(&app, slug, settings, previous, &hash).await,
                hash
            );
        }
        let (v1s, v2s): (Vec<_>, Vec<_>) = seen.iter().partition(|(n, ..)| *n == 1);
        for (_, hash, previous) in &v1s {
            assert_eq!(hash, &h1);
            assert!(previous.is_null());
        }
        let h2 = v2s[0].1.clone();
        assert_ne!(h2, h1);
        for (_, hash, previous) in &v2s {
            assert_eq!(hash, &h2);
            assert_eq!(previous, &json!(h1));
        }
        // The owner's listing agrees.
        let list = app.get(&format!("/v1/shops/{shop}/policies"), &owner).await;
        assert_eq!(list.json[0]["hash"], h2.as_str());
        assert_eq!(list.json[0]["previous_hash"], h1.as_str());
    }
);

db_test!(
    pages_link_their_languages_and_serve_the_vendored_fonts,
    |app: TestApp| async move {
        let (owner, shop) = app.merchant("fonts").await;
        put_and_publish(&app, &owner, &shop, valid_settings()).await;
        let (status, h, html) = public(&app, "/shops/shop-fonts/privacy?lang=ar", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("font-src 'self'")
        );
        for tag in ["en", "fa", "ar", "sq", "x-default"] {
            assert!(html.contains(&format!("hreflang=\"{tag}\"")), "{tag}");
        }
        assert!(html.contains(">فارسی</a>") && html.contains(">Shqip</a>"));
        // Every font the page names is served, immutable, with a validator.
        let mut named = 0;
        for f in harim_policy::fonts::all() {
            let url = f.url();
            assert!(html.contains(&format!("url(\"{url}\")")), "{url}");
            let (status, h, body) = public_bytes(&app, &url, &[]).await;
            assert_eq!(status, StatusCode::OK, "{url}");
            assert_eq!(h["content-type"], "font/woff2");
            assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
            assert!(h.get("content-encoding").is_none());
            assert_eq!(body, f.file.bytes);
            let etag = h["etag"].to_str().unwrap().to_string();
            assert_eq!(etag, format!("\"{}\"", f.sha256));
            let (status, h, body) = public_bytes(&app, &url, &[("if-none-match", &etag)]).await;
            assert_eq!(status, StatusCode::NOT_MODIFIED);
            assert!(body.is_empty());
            assert_eq!(h["etag"], etag.as_str());
            named += 1;
        }
        assert_eq!(named, 4);
        for bad in [
            "/assets/fonts/vazirmatn-regular.woff2",
            "/assets/fonts/vazirmatn-regular-00000000.woff2",
            "/assets/fonts/..%2Fsecret",
        ] {
            app.call(Method::GET, bad, None, None)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not-found");
        }
    }
);
