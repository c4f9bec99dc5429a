//! Customers' requests: the shop's privacy page (server-rendered HTML in the policy's
//! languages, forms that work without JavaScript; the same routes answer JSON to JSON bodies),
//! the merchant's list with its deadlines and extensions, and the completion callbacks of the
//! platform's other systems.

use axum::extract::{FromRequest, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, extract::ConnectInfo};
use harim_store::customer_requests::{self, Ask, Completion, Kind, PageShop, View, state};
use harim_store::customers::Lookup;
use harim_vault::pii;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiJson;
use crate::{AppState, error::ApiError, scope::ShopCtx};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(page, ask))
        .routes(routes!(status_page))
        .routes(routes!(verify))
        .routes(routes!(resend))
        .routes(routes!(download))
        .routes(routes!(withdraw))
        .routes(routes!(receipt))
        .routes(routes!(list))
        .routes(routes!(extend))
        .routes(routes!(close))
        .routes(routes!(completion))
}

/// The largest completion body: a 4 MiB file as base64, and the rest of the answer.
const COMPLETION_LIMIT: usize = 6 * 1024 * 1024;

/// A body from an HTML form (`application/x-www-form-urlencoded`: answered with HTML) or JSON
/// (answered with JSON).
pub struct FormOrJson<T> {
    value: T,
    form: bool,
}

impl<T, S> FromRequest<S> for FormOrJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let form = is_form(req.headers());
        if form {
            let axum::Form(value) = axum::Form::<T>::from_request(req, state)
                .await
                .map_err(|e| ApiError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(Self { value, form: true })
        } else {
            let ApiJson(value) = ApiJson::<T>::from_request(req, state).await?;
            Ok(Self { value, form: false })
        }
    }
}

/// Whether the body is an HTML form's (answered with a page) rather than JSON.
fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Every answer of these pages carries personal data or a capability: never cached, never sent
/// on as a referrer, never indexed, no script.
fn private() -> [(header::HeaderName, &'static str); 4] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::HeaderName::from_static("x-robots-tag"), "noindex"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ]
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        private(),
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn json_private<T: Serialize>(status: StatusCode, body: T) -> Response {
    (status, private(), ApiJson(body)).into_response()
}

/// The page's words in one language.
struct Words {
    title: &'static str,
    intro: &'static str,
    kinds: [&'static str; 5],
    address: &'static str,
    send: &'static str,
    sent: &'static str,
    code: &'static str,
    confirm: &'static str,
    due: &'static str,
    states: [(&'static str, &'static str); 7],
    ready: &'static str,
    download_code: &'static str,
    download: &'static str,
    receipt: &'static str,
    consents: &'static str,
    withdraw: &'static str,
    hold: &'static str,
    wrong: &'static str,
    expired: &'static str,
    locked: &'static str,
    limited: &'static str,
    policy: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "fa" => Words {
            title: "درخواست‌های حریم خصوصی",
            intro: "بگویید چه می‌خواهید و ایمیل یا شمارهٔ تلفنی را بنویسید که با آن از این فروشگاه خرید می‌کنید. یک کد یک‌بارمصرف به همان نشانی فرستاده می‌شود.",
            kinds: [
                "رونوشتی از داده‌هایم",
                "اصلاح داده‌هایم",
                "پاک شدن داده‌هایم",
                "دیگر پیام تبلیغاتی نفرستید",
                "دیدن و پس گرفتن رضایت‌هایم",
            ],
            address: "ایمیل یا شمارهٔ تلفن",
            send: "کد را بفرستید",
            sent: "اگر مشتری‌ای از این فروشگاه این نشانی را داشته باشد، کدی برایش فرستاده شد. کد ده دقیقه اعتبار دارد.",
            code: "کد",
            confirm: "تأیید",
            due: "مهلت پاسخ",
            states: [
                ("in_progress", "درخواست شما در دست انجام است."),
                (
                    "open",
                    "فروشگاه داده‌های شما را اصلاح می‌کند و ممکن است برای این کار با شما تماس بگیرد.",
                ),
                ("scheduled", "پاک‌سازی داده‌های شما زمان‌بندی شد."),
                ("ready", "رونوشت داده‌های شما آماده است."),
                ("done", "درخواست شما انجام شد."),
                (
                    "failed",
                    "پاسخ درخواست شما در مهلت قانونی کامل نشد؛ فروشگاه از این موضوع آگاه است.",
                ),
                ("unverified", "این درخواست هنوز تأیید نشده است."),
            ],
            ready: "برای دریافت رونوشت، کد تازه‌ای بخواهید؛ رونوشت فقط یک بار دریافت می‌شود.",
            download_code: "کد دریافت را بفرستید",
            download: "دریافت رونوشت",
            receipt: "رسید امضاشدهٔ پاک‌سازی",
            consents: "رضایت‌های شما",
            withdraw: "پس گرفتن رضایت‌های انتخاب‌شده",
            hold: "تاریخ پاک‌سازی",
            wrong: "کد درست نیست.",
            expired: "کد منقضی شده است؛ کد تازه‌ای بخواهید.",
            locked: "کد پنج بار اشتباه وارد شد و دیگر پذیرفته نمی‌شود؛ کد تازه‌ای بخواهید.",
            limited: "درخواست‌های این نشانی زیاد بوده است؛ یک ساعت دیگر دوباره تلاش کنید.",
            policy: "سیاست حریم خصوصی",
        },
        "ar" => Words {
            title: "طلبات الخصوصية",
            intro: "اختر ما تريد واكتب البريد الإلكتروني أو رقم الهاتف الذي تتسوق به من هذا المتجر، وسيُرسل إليه رمز يُستخدم مرة واحدة.",
            kinds: [
                "نسخة من بياناتي",
                "تصحيح بياناتي",
                "إتلاف بياناتي",
                "إيقاف الرسائل التسويقية",
                "عرض موافقاتي وسحبها",
            ],
            address: "البريد الإلكتروني أو رقم الهاتف",
            send: "أرسل الرمز",
            sent: "إن كان لدى أحد عملاء هذا المتجر هذا العنوان فقد أُرسل إليه رمز صالح لمدة عشر دقائق.",
            code: "الرمز",
            confirm: "تأكيد",
            due: "موعد الرد",
            states: [
                ("in_progress", "طلبك قيد التنفيذ."),
                ("open", "سيصحح المتجر بياناتك، وقد يتواصل معك لذلك."),
                ("scheduled", "حُدد موعد إتلاف بياناتك."),
                ("ready", "نسخة بياناتك جاهزة."),
                ("done", "نُفذ طلبك."),
                (
                    "failed",
                    "لم يكتمل الرد على طلبك في المهلة النظامية، والمتجر على علم بذلك.",
                ),
                ("unverified", "لم يُؤكَّد هذا الطلب بعد."),
            ],
            ready: "لتنزيل النسخة اطلب رمزًا جديدًا؛ تُنزَّل النسخة مرة واحدة فقط.",
            download_code: "أرسل رمز التنزيل",
            download: "تنزيل النسخة",
            receipt: "إيصال الإتلاف الموقّع",
            consents: "موافقاتك",
            withdraw: "سحب الموافقات المحددة",
            hold: "موعد الإتلاف",
            wrong: "الرمز غير صحيح.",
            expired: "انتهت صلاحية الرمز؛ اطلب رمزًا جديدًا.",
            locked: "أُدخل الرمز خطأً خمس مرات فلم يعد مقبولًا؛ اطلب رمزًا جديدًا.",
            limited: "كثرت الطلبات من هذا العنوان؛ حاول مجددًا بعد ساعة.",
            policy: "سياسة الخصوصية",
        },
        "sq" => Words {
            title: "Kërkesat për privatësinë",
            intro: "Zgjidhni çfarë kërkoni dhe shkruani emailin ose numrin e telefonit me të cilin blini në këtë dyqan. Aty do t'ju dërgohet një kod njëpërdorimësh.",
            kinds: [
                "Një kopje e të dhënave të mia",
                "Korrigjimi i të dhënave të mia",
                "Fshirja e të dhënave të mia",
                "Mos më dërgoni më mesazhe marketingu",
                "Shikimi dhe tërheqja e pëlqimeve të mia",
            ],
            address: "Email ose numër telefoni",
            send: "Më dërgoni kodin",
            sent: "Nëse një klient i këtij dyqani ka këtë adresë, i është dërguar një kod. Kodi vlen dhjetë minuta.",
            code: "Kodi",
            confirm: "Konfirmo",
            due: "Afati i përgjigjes",
            states: [
                ("in_progress", "Kërkesa juaj po trajtohet."),
                (
                    "open",
                    "Dyqani do t'i korrigjojë të dhënat tuaja dhe mund t'ju kontaktojë për këtë.",
                ),
                ("scheduled", "Fshirja e të dhënave tuaja u planifikua."),
                ("ready", "Kopja e të dhënave tuaja është gati."),
                ("done", "Kërkesa juaj u krye."),
                (
                    "failed",
                    "Përgjigjja e kërkesës suaj nuk u plotësua brenda afatit ligjor; dyqani është në dijeni.",
                ),
                ("unverified", "Kjo kërkesë nuk është konfirmuar ende."),
            ],
            ready: "Për ta shkarkuar kopjen, kërkoni një kod të ri; kopja shkarkohet vetëm një herë.",
            download_code: "Më dërgoni kodin e shkarkimit",
            download: "Shkarko kopjen",
            receipt: "Dëftesa e nënshkruar e fshirjes",
            consents: "Pëlqimet tuaja",
            withdraw: "Tërhiq pëlqimet e zgjedhura",
            hold: "Data e fshirjes",
            wrong: "Kodi nuk është i saktë.",
            expired: "Kodi ka skaduar; kërkoni një kod të ri.",
            locked: "Kodi u fut gabim pesë herë dhe nuk pranohet më; kërkoni një kod të ri.",
            limited: "Nga kjo adresë ka pasur shumë kërkesa; provoni sërish pas një ore.",
            policy: "Politika e privatësisë",
        },
        _ => Words {
            title: "Your privacy requests",
            intro: "Choose what you want and give the e-mail address or phone number you shop with here. A one-time code is sent there.",
            kinds: [
                "A copy of my data",
                "Correct my data",
                "Erase my data",
                "Stop marketing messages",
                "See and withdraw my consents",
            ],
            address: "E-mail address or phone number",
            send: "Send me a code",
            sent: "If a customer of this shop has this address, a code was sent to it. It is valid for ten minutes.",
            code: "Code",
            confirm: "Confirm",
            due: "Answer due by",
            states: [
                ("in_progress", "Your request is being handled."),
                (
                    "open",
                    "The shop will correct your data and may contact you to do so.",
                ),
                ("scheduled", "The erasure of your data is scheduled."),
                ("ready", "The copy of your data is ready."),
                ("done", "Your request is done."),
                (
                    "failed",
                    "The answer to your request was not complete by the legal deadline; the shop knows.",
                ),
                ("unverified", "This request is not confirmed yet."),
            ],
            ready: "To download the copy, ask for a new code; the copy can be downloaded once.",
            download_code: "Send me a download code",
            download: "Download my copy",
            receipt: "The signed erasure receipt",
            consents: "Your consents",
            withdraw: "Withdraw the selected consents",
            hold: "Erasure date",
            wrong: "The code is not right.",
            expired: "The code has expired; ask for a new one.",
            locked: "The code was entered wrongly five times and is no longer accepted; ask for a new one.",
            limited: "Too many requests from this address; try again in an hour.",
            policy: "Privacy policy",
        },
    }
}

/// The page's language: `?lang=` if the policy has it, else the policy's default.
fn language(shop: &PageShop, asked: Option<&str>) -> String {
    asked
        .filter(|l| shop.languages.iter().any(|x| x == l))
        .map(str::to_string)
        .unwrap_or_else(|| shop.default_language.clone())
}

fn frame(shop: &PageShop, lang: &str, body: &str) -> String {
    let w = words(lang);
    let dir = if matches!(lang, "fa" | "ar") {
        "rtl"
    } else {
        "ltr"
    };
    let e = harim_policy::escape_html;
    format!(
        r#"<!doctype html><html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} — {shop}</title>
<style>{fonts}body{{font-family:"Harim Arabic Script",system-ui,"Noto Sans",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.8}}fieldset{{border:1px solid #ccc;border-radius:.4rem;margin:1rem 0}}label{{display:block;margin:.3rem 0}}input[type=text],input[type=email]{{width:100%;box-sizing:border-box;padding:.5rem;font:inherit}}input[inputmode=numeric]{{direction:ltr;letter-spacing:.3em}}button{{font:inherit;padding:.5rem 1.2rem;margin-top:.8rem;cursor:pointer}}.note{{background:#f4f4f4;padding:.6rem;border-radius:.4rem}}.error{{color:#a00}}bdi,time{{unicode-bidi:isolate}}:lang(fa){{font-family:"Harim Vazirmatn",Tahoma,sans-serif}}:lang(ar){{font-family:"Harim Noto Naskh Arabic","Harim Vazirmatn",Tahoma,sans-serif}}</style></head>
<body><h1>{title}</h1><p><bdi>{shop}</bdi> · <a href="/shops/{slug}/privacy?lang={lang}">{policy}</a></p>
{body}</body></html>"#,
        title = w.title,
        shop = e(&shop.name),
        slug = e(&shop.slug),
        policy = w.policy,
        fonts = harim_policy::fonts::font_face_css(),
    )
}

fn form_page(shop: &PageShop, lang: &str, error: Option<&str>) -> String {
    let w = words(lang);
    let e = harim_policy::escape_html;
    let mut kinds = String::new();
    for (i, k) in Kind::ALL.iter().enumerate() {
        kinds.push_str(&format!(
            r#"<label><input type="radio" name="kind" value="{v}"{checked} required> {label}</label>"#,
            v = k.as_str(),
            checked = if i == 0 { " checked" } else { "" },
            label = w.kinds[i],
        ));
    }
    let error = error
        .map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, e(m)))
        .unwrap_or_default();
    frame(
        shop,
        lang,
        &format!(
            r#"<p>{intro}</p>{error}<form method="post" action="/shops/{slug}/privacy/requests?lang={lang}">
<fieldset>{kinds}</fieldset>
<label for="address">{address}</label><input type="text" id="address" name="address" autocomplete="email" dir="ltr" required maxlength="254">
<input type="hidden" name="lang" value="{lang}"><button type="submit">{send}</button></form>"#,
            intro = w.intro,
            slug = e(&shop.slug),
            address = w.address,
            send = w.send,
        ),
    )
}

fn code_form(
    shop: &PageShop,
    lang: &str,
    id: uuid::Uuid,
    action: &str,
    button: &str,
    error: Option<&str>,
) -> String {
    let w = words(lang);
    let e = harim_policy::escape_html;
    let error = error
        .map(|m| format!(r#"<p class="error" role="alert">{}</p>"#, e(m)))
        .unwrap_or_default();
    format!(
        r#"{error}<form method="post" action="/shops/{slug}/privacy/requests/{id}/{action}?lang={lang}">
<label for="code">{code}</label><input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9۰-۹٠-٩]{{6}}" maxlength="6" required>
<button type="submit">{button}</button></form>"#,
        slug = e(&shop.slug),
        code = w.code,
    )
}

fn status_body(
    shop: &PageShop,
    lang: &str,
    v: &View,
    consents: Option<&harim_store::consent::Consents>,
) -> String {
    let w = words(lang);
    let e = harim_policy::escape_html;
    let said = w
        .states
        .iter()
        .find(|(s, _)| *s == v.state)
        .map(|(_, t)| *t)
        .unwrap_or_default();
    let mut out = format!(
        r#"<p class="note" id="state" data-state="{}">{said}</p>"#,
        e(&v.state)
    );
    if let Some(due) = v.due_at
        && matches!(v.state.as_str(), state::IN_PROGRESS | state::OPEN)
    {
        out.push_str(&format!(
            r#"<p>{}: <time datetime="{d}"><bdi>{d}</bdi></time></p>"#,
            w.due,
            d = due.date()
        ));
    }
    if let Some(reason) = &v.extension_reason {
        out.push_str(&format!("<p>{}</p>", e(reason)));
    }
    if let Some(h) = v.hold_until {
        out.push_str(&format!(
            r#"<p>{}: <time datetime="{d}"><bdi>{d}</bdi></time></p>"#,
            w.hold,
            d = h.date()
        ));
    }
    if v.state == state::READY {
        out.push_str(&format!(
            r#"<p>{}</p><form method="post" action="/shops/{}/privacy/requests/{}/code?lang={lang}"><button type="submit">{}</button></form>"#,
            w.ready,
            e(&shop.slug),
            v.id,
            w.download_code
        ));
    }
    if let Some(url) = &v.receipt_url {
        out.push_str(&format!(r#"<p><a href="{}">{}</a></p>"#, e(url), w.receipt));
    }
    if let Some(c) = consents {
        let mut rows = String::new();
        for (purpose, st) in &c.current {
            let live = matches!(st.as_str(), "given" | "renewal_needed");
            rows.push_str(&format!(
                r#"<label><input type="checkbox" name="purposes" value="{p}"{dis}> <bdi>{p}</bdi> — {g}</label>"#,
                p = e(purpose),
                g = e(st),
                dis = if live { "" } else { " disabled" },
            ));
        }
        out.push_str(&format!(
            r#"<h2>{}</h2><form method="post" action="/shops/{}/privacy/requests/{}/withdraw?lang={lang}">{rows}<button type="submit">{}</button></form>"#,
            w.consents,
            e(&shop.slug),
            v.id,
            w.withdraw
        ));
    }
    out
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// One of the policy's languages; default: the policy's default.
    lang: Option<String>,
}

#[utoipa::path(get, path = "/shops/{slug}/privacy/requests", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
) -> Result<Response, ApiError> {
    let shop = customer_requests::page_shop(&state.db, &slug).await?;
    let lang = language(&shop, q.lang.as_deref());
    Ok(html(StatusCode::OK, form_page(&shop, &lang, None)))
}

#[derive(Deserialize, ToSchema)]
pub struct AskIn {
    /// access, erasure, rectification, stop_marketing or consents.
    kind: String,
    /// The e-mail address the customer shops with (JSON; or `phone`).
    email: Option<String>,
    /// The phone number the customer shops with (international, or local to the shop's country).
    phone: Option<String>,
    /// The page's form: an e-mail address or a phone number in one field.
    address: Option<String>,
    lang: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AskOut {
    request_id: uuid::Uuid,
}

fn parse_address(shop: &PageShop, input: &AskIn) -> Result<Lookup, ApiError> {
    let country = pii::Country::parse(shop.settings.controller.country.code()).ok();
    let bad =
        |field: &str, code: &str, message: &str| ApiError::validation_one(field, code, message);
    let (field, raw) = match (&input.email, &input.phone, &input.address) {
        (Some(e), None, None) => ("email", e.as_str()),
        (None, Some(p), None) => ("phone", p.as_str()),
        (None, None, Some(a)) => ("address", a.as_str()),
        _ => {
            return Err(bad(
                "email",
                "required",
                "Give exactly one of `email` and `phone`.",
            ));
        }
    };
    if raw.contains('@') || field == "email" {
        pii::Email::parse(raw)
            .map(Lookup::Email)
            .map_err(|e| bad(field, e.code, e.message))
    } else {
        pii::parse_phone(raw, country)
            .map(Lookup::Phone)
            .map_err(|e| bad(field, e.code, e.message))
    }
}

#[utoipa::path(post, path = "/shops/{slug}/privacy/requests", tag = "public", security(()),
    params(("slug" = String, Path), LangQuery), request_body = AskIn,
    responses((status = 202, body = AskOut, description = "the same whether or not a customer has the address; a code is sent if one does"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::Problem, content_type = "application/problem+json")))]
async fn ask(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(q): Query<LangQuery>,
    connect: Option<Extension<ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: FormOrJson<AskIn>,
) -> Result<Response, ApiError> {
    let shop = customer_requests::page_shop(&state.db, &slug).await?;
    let lang = language(&shop, body.value.lang.as_deref().or(q.lang.as_deref()));
    let kind = Kind::parse(&body.value.kind).ok_or_else(|| {
        ApiError::validation_one(
            "kind",
            "invalid",
            "One of access, erasure, rectification, stop_marketing, consents.",
        )
    });
    let parsed = kind.and_then(|k| parse_address(&shop, &body.value).map(|a| (k, a)));
    let (kind, address) = match parsed {
        Ok(p) => p,
        Err(ApiError::Validation(v)) if body.form => {
            let msg = v.first().map(|x| x.message.clone()).unwrap_or_default();
            return Ok(html(StatusCode::OK, form_page(&shop, &lang, Some(&msg))));
        }
        Err(e) => return Err(e),
    };
    let ip = super::accounts::client_ip(
        connect.map(|c| c.0.0.ip()),
        &headers,
        &state.config.trusted_proxies,
    );
    let asked = customer_requests::ask(
        &state.db,
        &state.vault,
        &slug,
        Ask {
            kind,
            address,
            language: Some(lang.clone()),
            ip: ip.map(|i| i.to_string()),
        },
    )
    .await;
    let id = match asked {
        Ok(id) => id,
        Err(harim_store::StoreError::RateLimited { .. }) if body.form => {
            return Ok(html(
                StatusCode::OK,
                form_page(&shop, &lang, Some(words(&lang).limited)),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    state.outbox_wake.notify_one();
    if body.form {
        let w = words(&lang);
        let page = frame(
            &shop,
            &lang,
            &format!(
                r#"<p class="note">{}</p>{}"#,
                w.sent,
                code_form(&shop, &lang, id, "verify", w.confirm, None)
            ),
        );
        return Ok(html(StatusCode::ACCEPTED, page));
    }
    Ok(json_private(
        StatusCode::ACCEPTED,
        AskOut { request_id: id },
    ))
}

fn request_id(raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::try_parse(raw).map_err(|_| ApiError::NotFound)
}

#[utoipa::path(get, path = "/shops/{slug}/privacy/requests/{request_id}", tag = "public", security(()),
    params(("slug" = String, Path), ("request_id" = Uuid, Path), LangQuery),
    responses((status = 200, content_type = "text/html", body = String),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn status_page(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let shop = customer_requests::page_shop(&state.db, &slug).await?;
    let v = customer_requests::status(&state.db, &slug, id).await?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Ok(json_private(StatusCode::OK, v));
    }
    let lang = language(&shop, q.lang.as_deref().or(Some(v.language.as_str())));
    Ok(html(
        StatusCode::OK,
        frame(&shop, &lang, &status_body(&shop, &lang, &v, None)),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct CodeIn {
    /// The six digits of the message (Persian and Arabic digits are read too).
    code: String,
}

/// Persian and Arabic-Indic digits as ASCII (a phone keyboard types them).
fn ascii_digits(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '۰'..='۹' => char::from(b'0' + (c as u32 - '۰' as u32) as u8),
            '٠'..='٩' => char::from(b'0' + (c as u32 - '٠' as u32) as u8),
            c => c,
        })
        .collect()
}

/// A code refusal as the HTML form shows it (`None`: not a code refusal). A form post is
/// answered with the form again and the reason, as a page (status 200): error statuses are
/// problem documents everywhere, for the JSON clients of the same routes.
fn code_refusal(e: &harim_store::StoreError, lang: &str) -> Option<(StatusCode, &'static str)> {
    let w = words(lang);
    match e {
        harim_store::StoreError::RateLimited { .. } => Some((StatusCode::OK, w.locked)),
        harim_store::StoreError::Rejected(v) => match v.first().map(|x| x.code.as_str()) {
            Some("expired" | "no_code") => Some((StatusCode::OK, w.expired)),
            Some(_) => Some((StatusCode::OK, w.wrong)),
            None => None,
        },
        _ => None,
    }
}

#[utoipa::path(post, path = "/shops/{slug}/privacy/requests/{request_id}/verify", tag = "public", security(()),
    params(("slug" = String, Path), ("request_id" = Uuid, Path), LangQuery), request_body = CodeIn,
    responses((status = 200, body = Object, description = "`{state, due_at, ...}`; a consents request also lists the current choices"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json", description = "wrong or expired code"),
        (status = 429, body = crate::Problem, content_type = "application/problem+json", description = "five wrong codes")))]
async fn verify(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    body: FormOrJson<CodeIn>,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let code = ascii_digits(&body.value.code);
    let result = customer_requests::verify(&state.db, &state.vault, &slug, id, &code).await;
    state.outbox_wake.notify_one();
    if !body.form {
        return Ok(json_private(StatusCode::OK, result?));
    }
    let shop = customer_requests::page_shop(&state.db, &slug).await?;
    let lang = language(&shop, q.lang.as_deref());
    match result {
        Ok(v) => Ok(html(
            StatusCode::OK,
            frame(
                &shop,
                &lang,
                &status_body(&shop, &lang, &v.request, v.consents.as_ref()),
            ),
        )),
        Err(e) => match code_refusal(&e, &lang) {
            Some((status, msg)) => Ok(html(
                status,
                frame(
                    &shop,
                    &lang,
                    &code_form(&shop, &lang, id, "verify", words(&lang).confirm, Some(msg)),
                ),
            )),
            None => Err(e.into()),
        },
    }
}

#[utoipa::path(post, path = "/shops/{slug}/privacy/requests/{request_id}/code", tag = "public", security(()),
    params(("slug" = String, Path), ("request_id" = Uuid, Path), LangQuery),
    responses((status = 202, description = "a new code is sent (to a real customer); three per request"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::Problem, content_type = "application/problem+json")))]
async fn resend(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let v = customer_requests::status(&state.db, &slug, id).await?;
    customer_requests::resend(&state.db, &state.vault, &slug, id).await?;
    state.outbox_wake.notify_one();
    let form = is_form(&headers);
    if !form {
        return Ok(json_private(
            StatusCode::ACCEPTED,
            json!({"request_id": id}),
        ));
    }
    let shop = customer_requests::page_shop(&state.db, &slug).await?;
    let lang = language(&shop, q.lang.as_deref());
    let w = words(&lang);
    let (action, button) = if v.state == state::READY {
        ("download", w.download)
    } else {
        ("verify", w.confirm)
    };
    Ok(html(
        StatusCode::ACCEPTED,
        frame(
            &shop,
            &lang,
            &format!(
                r#"<p class="note">{}</p>{}"#,
                w.sent,
                code_form(&shop, &lang, id, action, button, None)
            ),
        ),
    ))
}

#[utoipa::path(post, path = "/shops/{slug}/privacy/requests/{request_id}/download", tag = "public", security(()),
    params(("slug" = String, Path), ("request_id" = Uuid, Path), LangQuery), request_body = CodeIn,
    responses((status = 200, content_type = "application/zip", body = Vec<u8>, description = "the copy, once"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::Problem, content_type = "application/problem+json")))]
async fn download(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    body: FormOrJson<CodeIn>,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let code = ascii_digits(&body.value.code);
    match customer_requests::download(&state.db, &state.vault, &slug, id, &code).await {
        Ok((zip, name)) => Ok((
            StatusCode::OK,
            private(),
            [
                (header::CONTENT_TYPE, "application/zip".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            zip,
        )
            .into_response()),
        Err(e) if body.form => {
            let shop = customer_requests::page_shop(&state.db, &slug).await?;
            let lang = language(&shop, q.lang.as_deref());
            match code_refusal(&e, &lang) {
                Some((status, msg)) => Ok(html(
                    status,
                    frame(
                        &shop,
                        &lang,
                        &code_form(
                            &shop,
                            &lang,
                            id,
                            "download",
                            words(&lang).download,
                            Some(msg),
                        ),
                    ),
                )),
                None => Err(e.into()),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct WithdrawIn {
    /// Purposes of the shop's policy to withdraw (`marketing_sms`, `analytics:<key>`, ...).
    #[serde(default)]
    purposes: Vec<String>,
}

#[utoipa::path(post, path = "/shops/{slug}/privacy/requests/{request_id}/withdraw", tag = "public", security(()),
    params(("slug" = String, Path), ("request_id" = Uuid, Path), LangQuery), request_body = WithdrawIn,
    responses((status = 200, body = Object, description = "the customer's consents after the withdrawal"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 410, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn withdraw(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    // A form sends `purposes=a&purposes=b`, which serde_urlencoded cannot gather into a list.
    let form = is_form(&headers);
    let purposes = if form {
        url::form_urlencoded::parse(&body)
            .filter(|(k, _)| k == "purposes")
            .map(|(_, v)| v.into_owned())
            .collect()
    } else {
        serde_json::from_slice::<WithdrawIn>(&body)
            .map_err(|e| ApiError::BadRequest(format!("The body is not valid JSON: {e}.")))?
            .purposes
    };
    let consents =
        customer_requests::withdraw(&state.db, &state.vault, &slug, id, purposes).await?;
    if !form {
        return Ok(json_private(StatusCode::OK, consents));
    }
    let shop = customer_requests::page_shop(&state.db, &slug).await?;
    let lang = language(&shop, q.lang.as_deref());
    let v = customer_requests::status(&state.db, &slug, id).await?;
    Ok(html(
        StatusCode::OK,
        frame(
            &shop,
            &lang,
            &status_body(&shop, &lang, &v, Some(&consents)),
        ),
    ))
}

#[utoipa::path(get, path = "/shops/{slug}/privacy/requests/{request_id}/receipt", tag = "public", security(()),
    params(("slug" = String, Path), ("request_id" = Uuid, Path)),
    responses((status = 200, body = Object, description = "the signed erasure receipt with every subscribed system's answer"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn receipt(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = request_id(&id)?;
    let (signed, _) = customer_requests::receipt(&state.db, &slug, id).await?;
    Ok(json_private(StatusCode::OK, signed))
}

#[utoipa::path(get, path = "/v1/shops/{shop_id}/customer-requests", tag = "customers",
    params(("shop_id" = Uuid, Path)),
    responses((status = 200, body = Vec<Object>, description = "`[{id, kind, state, due_at, extended_until?, ...}]`, newest first"),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    tenant: ShopCtx,
) -> Result<ApiJson<Vec<View>>, ApiError> {
    Ok(ApiJson(customer_requests::list(&state.db, &tenant).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendIn {
    /// Why more time is needed; the customer is told it (10 to 480 characters).
    reason: String,
}

#[utoipa::path(post, path = "/v1/shops/{shop_id}/customer-requests/{request_id}/extend", tag = "customers",
    params(("shop_id" = Uuid, Path), ("request_id" = Uuid, Path)), request_body = ExtendIn,
    responses((status = 200, body = Object, description = "the request with its new `due_at`"),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json", description = "the law allows no (further) extension"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn extend(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<ExtendIn>,
) -> Result<ApiJson<View>, ApiError> {
    let id = request_id(&id)?;
    let v = customer_requests::extend(&state.db, &state.vault, &tenant, id, input.reason).await?;
    state.outbox_wake.notify_one();
    Ok(ApiJson(v))
}

#[utoipa::path(post, path = "/v1/shops/{shop_id}/customer-requests/{request_id}/complete", tag = "customers",
    params(("shop_id" = Uuid, Path), ("request_id" = Uuid, Path)),
    responses((status = 200, body = Object, description = "the correction request, now `done`"),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json", description = "not an open correction request")))]
async fn close(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
) -> Result<ApiJson<View>, ApiError> {
    let id = request_id(&id)?;
    Ok(ApiJson(
        customer_requests::close(&state.db, &state.vault, &tenant, id).await?,
    ))
}

#[utoipa::path(post, path = "/v1/privacy-events/{event_id}/completion", tag = "events", security(()),
    params(("event_id" = Uuid, Path),
        ("webhook-id" = String, Header, description = "a fresh message id"),
        ("webhook-timestamp" = i64, Header, description = "Unix seconds, within five minutes"),
        ("webhook-signature" = String, Header, description = "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` under the endpoint's secret")),
    request_body(content = Object, description = "`{status: done|partial|refused, items_removed, items_retained: [{category, reason, until}], file?: {name, content_base64}}`"),
    responses((status = 200, body = Object),
        (status = 401, body = crate::Problem, content_type = "application/problem+json", description = "not signed by an endpoint the event went to"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn completion(
    State(state): State<AppState>,
    Path(event): Path<String>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<ApiJson<serde_json::Value>, ApiError> {
    let event = request_id(&event)?;
    // Larger than the JSON limit of other routes: a data request's answer carries a file (at
    // most 4 MiB, as base64 in the JSON body).
    let body = axum::body::to_bytes(body, COMPLETION_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let unsigned = || {
        ApiError::Unsigned(
            "Sign the completion as deliveries are signed: webhook-id, webhook-timestamp, webhook-signature.",
        )
    };
    let (id, ts, sig) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    if id.is_empty() || sig.is_empty() {
        return Err(unsigned());
    }
    let timestamp = ts.parse::<i64>().map_err(|_| unsigned())?;
    customer_requests::complete(
        &state.db,
        &state.vault,
        event,
        Completion {
            message_id: id,
            timestamp,
            signature: sig,
            body: &body,
        },
    )
    .await?;
    state.outbox_wake.notify_one();
    Ok(ApiJson(json!({"event_id": event, "accepted": true})))
}
