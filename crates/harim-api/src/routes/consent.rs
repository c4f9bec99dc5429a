//! Consent: records tied to the policy version shown, a customer's current choices, and the
//! public banner (its script, stylesheet and the endpoint it posts to).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use harim_store::{
    consent::{self, Choice, Collection, Input, State as ConsentState, Subject, VisitorId},
    ids::CustomerId,
    rights::receipt::SignedReceipt,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;
use crate::{AppState, error::ApiError, scope::ShopCtx};

const SCRIPT: &str = include_str!("../../assets/consent/consent.js");
const STYLE: &str = include_str!("../../assets/consent/consent.css");

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(record_consent))
        .routes(routes!(customer_consents))
        .routes(routes!(link_visitor))
        .routes(routes!(banner_script))
        .routes(routes!(banner_style))
        .routes(routes!(banner_post, banner_preflight))
        .routes(routes!(receipt_page))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentIn {
    /// `cus_…`; exactly one of `customer_id` and `visitor_id`.
    customer_id: Option<String>,
    /// `v_` and 32 lowercase hex digits (the banner's first-party id).
    visitor_id: Option<String>,
    purpose: String,
    #[schema(value_type = String)]
    state: ConsentState,
    policy_version: i32,
    language: String,
    #[schema(value_type = String)]
    collection: Collection,
}

#[derive(Serialize, ToSchema)]
pub struct ConsentOut {
    #[schema(value_type = Object)]
    record: consent::Event,
    #[schema(value_type = Object)]
    receipt: SignedReceipt,
    /// The receipt's page for the customer, in their language (`.json`: the signed receipt).
    receipt_url: String,
}

fn receipt_url(slug: &str, id: uuid::Uuid) -> String {
    format!("/shops/{slug}/consent/receipts/{id}")
}

fn subject(customer: &Option<String>, visitor: &Option<String>) -> Result<Subject, ApiError> {
    let bad = |field: &str, message: &str| {
        ApiError::Validation(vec![harim_violation::Violation::new(
            field, "invalid", message,
        )])
    };
    match (customer, visitor) {
        (Some(c), None) => CustomerId::parse_public(c)
            .map(Subject::Customer)
            .ok_or(ApiError::NotFound),
        (None, Some(v)) => VisitorId::parse(v)
            .map(Subject::Visitor)
            .ok_or_else(|| bad("visitor_id", "`v_` and 32 lowercase hex digits.")),
        _ => Err(bad(
            "customer_id",
            "Give exactly one of `customer_id` and `visitor_id`.",
        )),
    }
}

#[utoipa::path(post, path = "/v1/shops/{shop_id}/consents", tag = "consent",
    params(("shop_id" = Uuid, Path)), request_body = ConsentIn,
    responses((status = 201, body = ConsentOut),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn record_consent(
    State(state): State<AppState>,
    tenant: ShopCtx,
    ApiJson(input): ApiJson<ConsentIn>,
) -> Result<(StatusCode, ApiJson<ConsentOut>), ApiError> {
    let subject = subject(&input.customer_id, &input.visitor_id)?;
    let mut recorded = consent::record(
        &state.db,
        &state.vault,
        &tenant,
        Input {
            subject,
            choices: vec![Choice {
                purpose: input.purpose,
                state: input.state,
            }],
            policy_version: input.policy_version,
            language: input.language,
            collection: input.collection,
        },
    )
    .await?;
    let record = recorded
        .events
        .pop()
        .ok_or_else(|| ApiError::Internal("no event recorded".into()))?;
    Ok((
        StatusCode::CREATED,
        ApiJson(ConsentOut {
            record,
            receipt: recorded.receipt,
            receipt_url: receipt_url(&recorded.slug, recorded.receipt_id),
        }),
    ))
}

#[utoipa::path(get, path = "/v1/shops/{shop_id}/customers/{customer_id}/consents", tag = "consent",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)),
    responses((status = 200, body = Object),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn customer_consents(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
) -> Result<ApiJson<consent::Consents>, ApiError> {
    let id = CustomerId::parse_public(&id).ok_or(ApiError::NotFound)?;
    Ok(ApiJson(consent::of_customer(&state.db, &tenant, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitorIn {
    visitor_id: String,
}

#[utoipa::path(post, path = "/v1/shops/{shop_id}/customers/{customer_id}/visitors", tag = "consent",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)), request_body = VisitorIn,
    responses((status = 204, description = "the visitor's consents are the customer's from now on"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn link_visitor(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<VisitorIn>,
) -> Result<StatusCode, ApiError> {
    let id = CustomerId::parse_public(&id).ok_or(ApiError::NotFound)?;
    let Subject::Visitor(v) = subject(&None, &Some(input.visitor_id))? else {
        return Err(ApiError::NotFound);
    };
    consent::link_visitor(&state.db, &tenant, id, &v).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The banner's words, per language (harim's own text). The body names what is asked, so a
/// visitor knows what "accept" means before opening the choices.
fn texts(lang: &str, services: &BTreeMap<String, String>, purposes: &[String]) -> Value {
    let t = |title, body, accept, refuse, customise, save, policy, analytics, memail, msms, gpc| {
        json!({
            "title": title, "body": body, "accept": accept, "refuse": refuse,
            "customise": customise, "save": save, "policy": policy,
            "purpose.analytics": analytics, "purpose.marketing_email": memail,
            "purpose.marketing_sms": msms, "gpc": gpc,
        })
    };
    let mut v = match lang {
        "fa" => t(
            "حریم خصوصی شما",
            "این فروشگاه برای این کارها رضایت شما را می‌خواهد: {list}. آنچه را نپذیرید انجام نمی‌شود و انتخابتان را هر زمان می‌توانید تغییر دهید.",
            "می‌پذیرم",
            "نمی‌پذیرم",
            "انتخاب جداگانه",
            "ذخیرهٔ انتخاب‌ها",
            "سیاست حفظ حریم خصوصی",
            "سنجش بازدیدها (آمار)",
            "ایمیل تبلیغاتی",
            "پیامک تبلیغاتی",
            "مرورگر شما درخواست «عدم فروش و اشتراک‌گذاری» (GPC) فرستاده است؛ پیام تبلیغاتی فرستاده نمی‌شود.",
        ),
        "ar" => t(
            "خصوصيتك",
            "يطلب هذا المتجر موافقتك على ما يلي: {list}. ما لا توافق عليه لن يتم، ويمكنك تغيير اختيارك في أي وقت.",
            "أوافق",
            "لا أوافق",
            "اختيار كل غرض",
            "حفظ الاختيارات",
            "سياسة الخصوصية",
            "قياس الزيارات (إحصاءات)",
            "رسائل تسويقية بالبريد الإلكتروني",
            "رسائل نصية تسويقية",
            "أرسل متصفحك إشارة التحكم العالمي في الخصوصية (GPC)، فلن تُرسل إليك رسائل تسويقية.",
        ),
        "sq" => t(
            "Privatësia juaj",
            "Ky dyqan kërkon pëlqimin tuaj për: {list}. Ajo që nuk e pranoni nuk bëhet, dhe zgjedhjen mund ta ndryshoni në çdo kohë.",
            "Pranoj",
            "Nuk pranoj",
            "Zgjidh veçmas",
            "Ruaj zgjedhjet",
            "Politika e privatësisë",
            "Matja e vizitave (statistika)",
            "Email reklamues",
            "SMS reklamuese",
            "Shfletuesi juaj dërgoi sinjalin Global Privacy Control; nuk do t'ju dërgohen mesazhe reklamuese.",
        ),
        _ => t(
            "Your privacy",
            "This shop asks for your consent to: {list}. Whatever you do not accept is not done, and you can change your choice at any time.",
            "Accept",
            "Refuse",
            "Choose one by one",
            "Save choices",
            "Privacy policy",
            "Measuring visits (analytics)",
            "Marketing e-mail",
            "Marketing text messages",
            "Your browser sent Global Privacy Control; no marketing messages will be sent.",
        ),
    };
    if let Some(o) = v.as_object_mut() {
        for (purpose, name) in services {
            o.insert(format!("purpose.{purpose}"), json!(name));
        }
        // The top-level purposes, by their labels; analytics with its services' names.
        let label = |k: &str| {
            o.get(&format!("purpose.{k}"))
                .and_then(Value::as_str)
                .unwrap_or(k)
                .to_string()
        };
        let names: Vec<&str> = services.values().map(String::as_str).collect();
        let list: Vec<String> = purposes
            .iter()
            .filter(|p| !p.contains(':'))
            .map(|p| {
                if p == "analytics" && !names.is_empty() {
                    let with = match lang {
                        "fa" => "با",
                        "ar" => "عبر",
                        "sq" => "me",
                        _ => "with",
                    };
                    format!("{} {with} {}", label(p), names.join(", "))
                } else {
                    label(p)
                }
            })
            .collect();
        let sep = if matches!(lang, "fa" | "ar") {
            "، "
        } else {
            ", "
        };
        let body = o
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace("{list}", &list.join(sep));
        o.insert("body".into(), json!(body));
    }
    v
}

fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

fn cors(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    r
}

#[utoipa::path(get, path = "/shops/{slug}/consent.js", tag = "public", security(()),
    params(("slug" = String, Path)),
    responses((status = 200, content_type = "text/javascript", body = String),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn banner_script(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, ApiError> {
    let b = consent::banner(&state.db, &slug).await?;
    let base = origin(&headers);
    let texts: serde_json::Map<String, Value> = b
        .languages
        .iter()
        .map(|l| (l.clone(), texts(l, &b.services, &b.purposes)))
        .collect();
    let config = json!({
        "endpoint": format!("{base}/shops/{}/consent", b.slug),
        "stylesheet": format!("{base}/shops/{}/consent.css", b.slug),
        "policy_version": b.version,
        "policy_url": format!("{base}/shops/{}/privacy/versions/{}", b.slug, b.version),
        "default_language": b.default_language,
        "languages": b.languages,
        "purposes": b.purposes,
        "texts": texts,
    });
    // `</` cannot occur in JSON that serde writes for these values except inside strings; the
    // file is served as a script, never inlined, so no HTML parser reads it.
    let body = format!("var HARIM_CONSENT = {config};\n{SCRIPT}");
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=60"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body,
    )
        .into_response())
}

#[utoipa::path(get, path = "/shops/{slug}/consent.css", tag = "public", security(()),
    params(("slug" = String, Path)),
    responses((status = 200, content_type = "text/css", body = String)))]
async fn banner_style(Path(_slug): Path<String>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        STYLE,
    )
        .into_response()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BannerIn {
    visitor_id: String,
    #[schema(value_type = Object)]
    choices: BTreeMap<String, bool>,
    policy_version: i32,
    language: String,
}

#[utoipa::path(post, path = "/shops/{slug}/consent", tag = "public", security(()),
    params(("slug" = String, Path)), request_body = BannerIn,
    responses((status = 201, body = Object),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn banner_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiJson(input): ApiJson<BannerIn>,
) -> Result<Response, ApiError> {
    let Subject::Visitor(visitor) = subject(&None, &Some(input.visitor_id))? else {
        return Err(ApiError::NotFound);
    };
    let gpc = headers
        .get("sec-gpc")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1");
    let recorded = consent::record_from_banner(
        &state.db,
        &state.vault,
        &slug,
        consent::BannerInput {
            visitor,
            choices: input.choices,
            policy_version: input.policy_version,
            language: input.language,
            global_privacy_control: gpc,
        },
    )
    .await
    .map_err(ApiError::from);
    let r = match recorded {
        Ok(r) => (
            StatusCode::CREATED,
            ApiJson(json!({"records": r.events, "receipt": r.receipt,
                           "receipt_url": receipt_url(&r.slug, r.receipt_id)})),
        )
            .into_response(),
        Err(e) => e.into_response(),
    };
    Ok(cors(r))
}

#[utoipa::path(options, path = "/shops/{slug}/consent", tag = "public", security(()),
    params(("slug" = String, Path)),
    responses((status = 204, description = "CORS preflight: any origin may post a banner's choices")))]
async fn banner_preflight(Path(_slug): Path<String>) -> Response {
    cors(StatusCode::NO_CONTENT.into_response())
}

/// The receipt page's words, per language (harim's own text).
fn receipt_words(lang: &str) -> [&'static str; 11] {
    match lang {
        "fa" => [
            "رسید رضایت",
            "فروشگاه",
            "زمان",
            "نسخهٔ سیاست حفظ حریم خصوصی",
            "هدف",
            "انتخاب شما",
            "داده شد",
            "داده نشد",
            "پس گرفته شد",
            "این رسید را حریم امضا کرده است؛ نسخهٔ امضاشده را می‌توانید با دستور «harim receipts verify» بررسی کنید.",
            "نسخهٔ امضاشده (JSON)",
        ],
        "ar" => [
            "إيصال الموافقة",
            "المتجر",
            "الوقت",
            "إصدار سياسة الخصوصية",
            "الغرض",
            "اختيارك",
            "منحت الموافقة",
            "رفضت",
            "سحبت الموافقة",
            "وقّع حريم هذا الإيصال، ويمكن التحقق من النسخة الموقعة بالأمر «harim receipts verify».",
            "النسخة الموقعة (JSON)",
        ],
        "sq" => [
            "Dëftesë pëlqimi",
            "Dyqani",
            "Koha",
            "Versioni i politikës së privatësisë",
            "Qëllimi",
            "Zgjedhja juaj",
            "dhënë",
            "refuzuar",
            "tërhequr",
            "Kjo dëftesë është nënshkruar nga harim; kopja e nënshkruar verifikohet me komandën «harim receipts verify».",
            "Kopja e nënshkruar (JSON)",
        ],
        _ => [
            "Consent receipt",
            "Shop",
            "Time",
            "Privacy policy version",
            "Purpose",
            "Your choice",
            "given",
            "refused",
            "withdrawn",
            "harim signed this receipt; the signed copy can be checked with `harim receipts verify`.",
            "Signed copy (JSON)",
        ],
    }
}

/// Purpose labels of the receipt page: the banner's, and the order messages'.
fn purpose_label(lang: &str, purpose: &str, services: &BTreeMap<String, String>) -> String {
    if let Some(name) = services.get(purpose) {
        return name.clone();
    }
    let order = match (lang, purpose) {
        ("fa", "order_sms") => Some("پیامک دربارهٔ سفارش"),
        ("fa", "order_email") => Some("ایمیل دربارهٔ سفارش"),
        ("ar", "order_sms") => Some("رسائل نصية بشأن الطلب"),
        ("ar", "order_email") => Some("بريد إلكتروني بشأن الطلب"),
        ("sq", "order_sms") => Some("SMS për porosinë"),
        ("sq", "order_email") => Some("Email për porosinë"),
        (_, "order_sms") => Some("Text messages about the order"),
        (_, "order_email") => Some("E-mail about the order"),
        _ => None,
    };
    if let Some(o) = order {
        return o.to_string();
    }
    texts(lang, services, &[])
        .get(format!("purpose.{purpose}"))
        .and_then(Value::as_str)
        .unwrap_or(purpose)
        .to_string()
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// fa, ar, sq or en; default: the language the choice was made in.
    lang: Option<String>,
}

#[utoipa::path(get, path = "/shops/{slug}/consent/receipts/{receipt}", tag = "public", security(()),
    params(("slug" = String, Path), ("receipt" = String, Path, description = "the receipt id; with `.json`, the signed receipt"), ReceiptQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn receipt_page(
    State(state): State<AppState>,
    Path((slug, receipt)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<ReceiptQuery>,
) -> Result<Response, ApiError> {
    let (id, json_form) = match receipt.strip_suffix(".json") {
        Some(id) => (id, true),
        None => (receipt.as_str(), false),
    };
    let id = uuid::Uuid::try_parse(id).map_err(|_| ApiError::NotFound)?;
    let r = consent::receipt(&state.db, &state.vault, &slug, id).await?;
    // A capability URL: never cached, never sent on as a referrer, never indexed.
    let private = [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    if json_form {
        return Ok((private, ApiJson(r.signed)).into_response());
    }
    let lang = q
        .lang
        .filter(|l| matches!(l.as_str(), "fa" | "ar" | "sq" | "en"))
        .unwrap_or_else(|| r.language.clone());
    let w = receipt_words(&lang);
    let dir = if matches!(lang.as_str(), "fa" | "ar") {
        "rtl"
    } else {
        "ltr"
    };
    let e = harim_policy::escape_html;
    let at =
        r.at.format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
    let mut rows = String::new();
    for ev in &r.events {
        let choice = match ev.state {
            ConsentState::Given => w[6],
            ConsentState::Refused => w[7],
            ConsentState::Withdrawn | ConsentState::Expired => w[8],
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            e(&purpose_label(&lang, &ev.purpose, &r.services)),
            e(choice)
        ));
    }
    let policy = format!(
        "/shops/{}/privacy/versions/{}?lang={}",
        r.slug, r.policy_version, lang
    );
    let html = format!(
        r#"<!doctype html><html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — {shop}</title>
<style>{fonts}:lang(fa){{font-family:"Harim Vazirmatn",Tahoma,sans-serif}}:lang(ar){{font-family:"Harim Noto Naskh Arabic","Harim Vazirmatn",Tahoma,sans-serif}}body{{font-family:"Harim Arabic Script",system-ui,"Noto Sans",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.7}}table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ccc;padding:.4rem;text-align:start}}code{{direction:ltr;unicode-bidi:isolate;font-size:.85em;word-break:break-all}}</style></head>
<body><h1>{title}</h1>
<p>{l_shop}: <bdi>{shop}</bdi><br>{l_time}: <time datetime="{at}"><bdi>{at}</bdi></time><br>{l_policy}: <a href="{policy}">{version}</a> (<code>{hash}</code>)</p>
<table><thead><tr><th>{l_purpose}</th><th>{l_choice}</th></tr></thead><tbody>{rows}</tbody></table>
<p>{signed}</p><p><a href="{json}">{l_json}</a> · <code>{key}</code></p></body></html>"#,
        title = w[0],
        shop = e(&r.shop_name),
        fonts = harim_policy::fonts::font_face_css(),
        l_shop = w[1],
        l_time = w[2],
        l_policy = w[3],
        version = r.policy_version,
        hash = e(&r.policy_hash),
        l_purpose = w[4],
        l_choice = w[5],
        signed = e(w[9]),
        json = e(&format!("{id}.json")),
        l_json = w[10],
        key = e(&r.signed.key_id),
    );
    Ok((
        private,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response())
}
