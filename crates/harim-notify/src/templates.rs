//! The messages harim sends, in the customer's language. A template names the values it needs;
//! any other value, a missing one, or one with control characters is refused before anything
//! is queued. Shop texts are the shop's name and, for marketing, the shop's own words.

use std::collections::BTreeMap;

use crate::Kind;

/// A template: its id, which kind of message it may be, and the values it takes.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub id: &'static str,
    pub kind: Kind,
    pub values: &'static [&'static str],
}

pub const TEMPLATES: [Template; 4] = [
    Template {
        id: "order_placed",
        kind: Kind::Order,
        values: &["order_ref"],
    },
    Template {
        id: "order_shipped",
        kind: Kind::Order,
        values: &["order_ref"],
    },
    Template {
        id: "verification_code",
        kind: Kind::Order,
        values: &["code"],
    },
    Template {
        id: "marketing",
        kind: Kind::Marketing,
        values: &["text"],
    },
];

/// Messages only harim sends, answering a customer's own request from the privacy page (a shop
/// cannot send them through the gate: [`find`] does not know them).
pub const SERVICE: [Template; 4] = [
    Template {
        id: "request_code",
        kind: Kind::Order,
        values: &["code"],
    },
    Template {
        id: "request_extended",
        kind: Kind::Order,
        values: &["due", "reason"],
    },
    Template {
        id: "request_scheduled",
        kind: Kind::Order,
        values: &["date"],
    },
    Template {
        id: "request_ready",
        kind: Kind::Order,
        values: &["request"],
    },
];

/// A shop's template or harim's own service message, by id (what the sender renders).
#[must_use]
pub fn find_any(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().chain(SERVICE.iter()).find(|t| t.id == id)
}

/// Why values do not fit a template (field path, stable code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misfit {
    pub field: String,
    pub code: &'static str,
    pub message: &'static str,
}

/// The template `id`, if it exists.
#[must_use]
pub fn find(id: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.id == id)
}

/// Checks `values` against `t` (every value named, none unknown, lengths, no control chars).
pub fn check(t: &Template, values: &BTreeMap<String, String>) -> Vec<Misfit> {
    let mut out = Vec::new();
    for k in values.keys() {
        if !t.values.contains(&k.as_str()) {
            out.push(Misfit {
                field: format!("values.{}", k.escape_default()),
                code: "unknown",
                message: "The template does not take this value.",
            });
        }
    }
    for k in t.values {
        let max = if matches!(*k, "text" | "reason") {
            480
        } else {
            64
        };
        match values.get(*k) {
            None => out.push(Misfit {
                field: format!("values.{k}"),
                code: "required",
                message: "The template needs this value.",
            }),
            Some(v) if v.trim().is_empty() || v.chars().count() > max => out.push(Misfit {
                field: format!("values.{k}"),
                code: "length",
                message: "The value is empty or too long.",
            }),
            Some(v) if v.chars().any(|c| c.is_control() && c != '\n') => out.push(Misfit {
                field: format!("values.{k}"),
                code: "control_characters",
                message: "The value holds control characters.",
            }),
            Some(_) => {}
        }
    }
    out
}

/// The subject (e-mail) and body of `t` in `lang` (`fa`, `ar`, `sq`, `en`; anything else
/// reads English), for shop `shop`.
#[must_use]
pub fn render(
    t: &Template,
    lang: &str,
    shop: &str,
    values: &BTreeMap<String, String>,
) -> (String, String) {
    let v = |k: &str| values.get(k).map(String::as_str).unwrap_or_default();
    let (subject, body) = match (t.id, lang) {
        ("order_placed", "fa") => (
            format!("سفارش {} در {shop}", v("order_ref")),
            format!(
                "سفارش {} شما در {shop} ثبت شد. از خریدتان سپاسگزاریم.",
                v("order_ref")
            ),
        ),
        ("order_placed", "ar") => (
            format!("طلبك {} لدى {shop}", v("order_ref")),
            format!("سُجّل طلبك {} لدى {shop}. شكرًا لتسوقك معنا.", v("order_ref")),
        ),
        ("order_placed", "sq") => (
            format!("Porosia {} te {shop}", v("order_ref")),
            format!(
                "Porosia juaj {} te {shop} u regjistrua. Faleminderit që blini te ne.",
                v("order_ref")
            ),
        ),
        ("order_placed", _) => (
            format!("Your order {} at {shop}", v("order_ref")),
            format!(
                "Your order {} at {shop} is placed. Thank you for shopping with us.",
                v("order_ref")
            ),
        ),
        ("order_shipped", "fa") => (
            format!("ارسال سفارش {}", v("order_ref")),
            format!("سفارش {} شما از {shop} ارسال شد.", v("order_ref")),
        ),
        ("order_shipped", "ar") => (
            format!("شحن الطلب {}", v("order_ref")),
            format!("شُحن طلبك {} من {shop}.", v("order_ref")),
        ),
        ("order_shipped", "sq") => (
            format!("Porosia {} u nis", v("order_ref")),
            format!("Porosia juaj {} nga {shop} u nis.", v("order_ref")),
        ),
        ("order_shipped", _) => (
            format!("Order {} shipped", v("order_ref")),
            format!("Your order {} from {shop} has shipped.", v("order_ref")),
        ),
        ("verification_code", "fa") => (
            format!("کد تأیید {shop}"),
            format!(
                "کد تأیید شما در {shop}: {}. این کد ده دقیقه اعتبار دارد.",
                v("code")
            ),
        ),
        ("verification_code", "ar") => (
            format!("رمز التحقق من {shop}"),
            format!("رمز التحقق لدى {shop}: {}. صالح لمدة عشر دقائق.", v("code")),
        ),
        ("verification_code", "sq") => (
            format!("Kodi i verifikimit nga {shop}"),
            format!(
                "Kodi juaj i verifikimit te {shop}: {}. Vlen dhjetë minuta.",
                v("code")
            ),
        ),
        ("verification_code", _) => (
            format!("Your {shop} verification code"),
            format!(
                "Your {shop} verification code: {}. It is valid for ten minutes.",
                v("code")
            ),
        ),
        ("request_code", "fa") => (
            format!("کد درخواست حریم خصوصی در {shop}"),
            format!(
                "کد تأیید درخواست شما دربارهٔ داده‌های شخصی‌تان در {shop}: {}. این کد ده دقیقه اعتبار دارد. اگر شما درخواستی نداده‌اید، این پیام را نادیده بگیرید.",
                v("code")
            ),
        ),
        ("request_code", "ar") => (
            format!("رمز طلب الخصوصية لدى {shop}"),
            format!(
                "رمز التحقق من طلبك المتعلق ببياناتك الشخصية لدى {shop}: {}. صالح لمدة عشر دقائق. إن لم تقدّم أي طلب فتجاهل هذه الرسالة.",
                v("code")
            ),
        ),
        ("request_code", "sq") => (
            format!("Kodi i kërkesës për privatësinë te {shop}"),
            format!(
                "Kodi i verifikimit për kërkesën tuaj mbi të dhënat personale te {shop}: {}. Vlen dhjetë minuta. Nëse nuk keni bërë kërkesë, mos ia vini re këtij mesazhi.",
                v("code")
            ),
        ),
        ("request_code", _) => (
            format!("Your privacy request code at {shop}"),
            format!(
                "The code for your request about your personal data at {shop}: {}. It is valid for ten minutes. If you made no request, ignore this message.",
                v("code")
            ),
        ),
        ("request_extended", "fa") => (
            format!("تمدید مهلت پاسخ {shop}"),
            format!(
                "{shop} برای پاسخ به درخواست شما تا {} زمان بیشتری خواسته است. دلیل: {}",
                v("due"),
                v("reason")
            ),
        ),
        ("request_extended", "ar") => (
            format!("تمديد مهلة الرد لدى {shop}"),
            format!(
                "مدّد {shop} مهلة الرد على طلبك حتى {}. السبب: {}",
                v("due"),
                v("reason")
            ),
        ),
        ("request_extended", "sq") => (
            format!("Afati i përgjigjes u zgjat te {shop}"),
            format!(
                "{shop} e zgjati afatin për t'iu përgjigjur kërkesës suaj deri më {}. Arsyeja: {}",
                v("due"),
                v("reason")
            ),
        ),
        ("request_extended", _) => (
            format!("{shop} extended the time to answer"),
            format!(
                "{shop} extended the time to answer your request until {}. The reason: {}",
                v("due"),
                v("reason")
            ),
        ),
        ("request_scheduled", "fa") => (
            format!("زمان پاک‌سازی داده‌های شما در {shop}"),
            format!(
                "داده‌های شما در {shop} در تاریخ {} پاک می‌شود؛ تا آن زمان برای رسیدگی به اعتراض‌های احتمالی به پرداخت نگه داشته می‌شود.",
                v("date")
            ),
        ),
        ("request_scheduled", "ar") => (
            format!("موعد إتلاف بياناتك لدى {shop}"),
            format!(
                "ستُتلف بياناتك لدى {shop} في {}، وتُحفظ حتى ذلك الحين لمعالجة أي اعتراض محتمل على الدفع.",
                v("date")
            ),
        ),
        ("request_scheduled", "sq") => (
            format!("Data e fshirjes së të dhënave tuaja te {shop}"),
            format!(
                "Të dhënat tuaja te {shop} do të fshihen më {}; deri atëherë ruhen për kundërshtime të mundshme të pagesave.",
                v("date")
            ),
        ),
        ("request_scheduled", _) => (
            format!("When {shop} erases your data"),
            format!(
                "{shop} erases your data on {}; until then it is kept in case a payment is disputed.",
                v("date")
            ),
        ),
        ("request_ready", "fa") => (
            format!("پاسخ درخواست شما در {shop} آماده است"),
            format!(
                "پاسخ درخواست {} شما در {shop} آماده است. آن را از صفحهٔ درخواست‌های حریم خصوصی فروشگاه دریافت کنید.",
                v("request")
            ),
        ),
        ("request_ready", "ar") => (
            format!("الرد على طلبك لدى {shop} جاهز"),
            format!(
                "الرد على طلبك {} لدى {shop} جاهز، ويمكنك استلامه من صفحة طلبات الخصوصية في المتجر.",
                v("request")
            ),
        ),
        ("request_ready", "sq") => (
            format!("Përgjigjja e kërkesës suaj te {shop} është gati"),
            format!(
                "Përgjigjja e kërkesës suaj {} te {shop} është gati; merreni nga faqja e kërkesave për privatësinë e dyqanit.",
                v("request")
            ),
        ),
        ("request_ready", _) => (
            format!("Your request at {shop} is answered"),
            format!(
                "The answer to your request {} at {shop} is ready; collect it from the shop's privacy requests page.",
                v("request")
            ),
        ),
        (_, _) => (shop.to_string(), format!("{shop}: {}", v("text"))),
    };
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_by_name_and_shape() {
        let t = find("order_placed").unwrap_or(&TEMPLATES[0]);
        let mut v = BTreeMap::new();
        assert_eq!(check(t, &v)[0].code, "required");
        v.insert("order_ref".into(), "A-1001".into());
        assert!(check(t, &v).is_empty());
        v.insert("extra".into(), "x".into());
        assert_eq!(check(t, &v)[0].code, "unknown");
        v.remove("extra");
        v.insert("order_ref".into(), "a\u{7}b".into());
        assert_eq!(check(t, &v)[0].code, "control_characters");
    }

    #[test]
    fn every_template_reads_in_every_language() {
        let mut v = BTreeMap::new();
        for k in ["order_ref", "code", "text"] {
            v.insert(k.to_string(), "X1".to_string());
        }
        for t in &TEMPLATES {
            for l in ["fa", "ar", "sq", "en"] {
                let (s, b) = render(t, l, "Gol", &v);
                assert!(!s.is_empty() && b.contains("X1"), "{} {l}", t.id);
            }
        }
    }
}
