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
            ApiJson(json!({"records": r.events, "receipt": r.receipt})),
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
