//! One table per locale of what a native reader checks first: one to nine in words, the
//! country names in the form their preposition governs, the Arabic authority's gender, and the
//! statute line (with the prevailing language) for each controller country.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harim_policy::examples::{albanian_shop, history_meta, saudi_shop};
use harim_policy::i18n::Localizer;
use harim_policy::*;

/// `days(n)` for n = 1..=9, nominative, in each locale's customary format.
#[test]
fn one_to_nine_are_spelled_out_in_every_locale() {
    let table: [(Locale, [&str; 9]); 4] = [
        (
            Locale::En,
            [
                "one day",
                "two days",
                "three days",
                "four days",
                "five days",
                "six days",
                "seven days",
                "eight days",
                "nine days",
            ],
        ),
        (
            Locale::Fa,
            [
                "یک روز",
                "دو روز",
                "سه روز",
                "چهار روز",
                "پنج روز",
                "شش روز",
                "هفت روز",
                "هشت روز",
                "نه روز",
            ],
        ),
        (
            Locale::Ar,
            [
                "يوم واحد",
                "يومان",
                "ثلاثة أيام",
                "أربعة أيام",
                "خمسة أيام",
                "ستة أيام",
                "سبعة أيام",
                "ثمانية أيام",
                "تسعة أيام",
            ],
        ),
        (
            Locale::Sq,
            [
                "një ditë",
                "dy ditë",
                "tre ditë",
                "katër ditë",
                "pesë ditë",
                "gjashtë ditë",
                "shtatë ditë",
                "tetë ditë",
                "nëntë ditë",
            ],
        ),
    ];
    for (locale, words) in table {
        let mut l = Localizer::new(locale, LocaleFormat::customary(locale));
        for (i, want) in words.iter().enumerate() {
            let n = u32::try_from(i + 1).unwrap();
            assert_eq!(l.days(n, false), *want, "{locale:?} {n}");
        }
        // Ten and above in digits.
        assert_ne!(l.days(10, false), "ten days");
        assert!(l.errors.is_empty(), "{locale:?}: {:?}", l.errors);
    }
}

fn text(locale: Locale, id: &str, args: &[(&str, Arg)]) -> String {
    let mut l = Localizer::new(locale, LocaleFormat::customary(locale));
    let t = i18n::plain(&l.message(id, args));
    assert!(l.errors.is_empty(), "{locale:?} {id}: {:?}", l.errors);
    t
}

/// Albanian country names: definite alone, the accusative after «në» (indefinite for a
/// one-word name), the definite ablative after «jashtë».
#[test]
fn albanian_country_names_take_the_case_their_preposition_governs() {
    let table = [
        (
            "sa",
            "Arabia Saudite",
            "në Arabinë Saudite",
            "jashtë Arabisë Saudite",
        ),
        (
            "mk",
            "Maqedonia e Veriut",
            "në Maqedoninë e Veriut",
            "jashtë Maqedonisë së Veriut",
        ),
        (
            "gb",
            "Mbretëria e Bashkuar",
            "në Mbretërinë e Bashkuar",
            "jashtë Mbretërisë së Bashkuar",
        ),
        ("al", "Shqipëria", "në Shqipëri", "jashtë Shqipërisë"),
        ("de", "Gjermania", "në Gjermani", "jashtë Gjermanisë"),
        (
            "us",
            "Shtetet e Bashkuara të Amerikës",
            "në Shtetet e Bashkuara të Amerikës",
            "jashtë Shteteve të Bashkuara të Amerikës",
        ),
    ];
    for (code, alone, in_, outside) in table {
        let c = || Arg::Msg(format!("country-{code}"));
        assert_eq!(text(Locale::Sq, &format!("country-{code}"), &[]), alone);
        let established = text(Locale::Sq, "controller-country", &[("country", c())]);
        assert!(established.contains(in_), "{established}");
        let abroad = text(Locale::Sq, "transfers-intro", &[("country", c())]);
        assert!(abroad.contains(outside), "{abroad}");
    }
    // In the rendered Albanian shop: the transfers intro and the recipients.
    let (s, shop) = albanian_shop();
    let md = render_markdown(
        &compile(&s, &shop),
        &history_meta(&s),
        Locale::Sq,
        &s.format_for(Locale::Sq),
    );
    assert!(md.contains("jashtë Shqipërisë"), "{md}");
    assert!(md.contains("i vendosur në Shqipëri."), "{md}");
    assert!(!md.contains("jashtë vendit ku është kontrolluesi"));
}

/// Arabic: «وموقعها» after a feminine authority (الهيئة), «وموقعه» after a masculine one (مفوض).
#[test]
fn arabic_complaint_line_agrees_with_the_authority() {
    let (mut s, shop) = saudi_shop();
    let line = |s: &PrivacySettings| {
        let md = render_markdown(
            &compile(s, &shop),
            &history_meta(s),
            Locale::Ar,
            &s.format_for(Locale::Ar),
        );
        md.lines()
            .find(|l| l.contains("تقديم شكوى"))
            .unwrap()
            .to_owned()
    };
    let sa = line(&s);
    assert!(
        sa.contains("الهيئة السعودية") && sa.contains("وموقعها"),
        "{sa}"
    );
    s.controller.country = Country::Al;
    let al = line(&s);
    assert!(al.contains("مفوض") && al.contains("وموقعه "), "{al}");
    assert!(!al.contains("وموقعها"), "{al}");
}

/// The statute per controller country, in every locale, and the prevailing language.
#[test]
fn the_statute_line_names_the_law_of_the_controller_country() {
    let table: [(Country, [&str; 4]); 4] = [
        (Country::Sa, ["M/19", "م/۱۹", "م/١٩", "M/19"]),
        (
            Country::Al,
            ["124/2024", "۱۲۴/۲۰۲۴", "١٢٤/٢٠٢٤", "124/2024"],
        ),
        (
            Country::Ir,
            [
                "Articles 58 and 59",
                "مواد ۵۸ و ۵۹",
                "مادتيه ٥٨ و٥٩",
                "nenet 58 dhe 59",
            ],
        ),
        (
            Country::Ae,
            [
                "No. 45 of 2021",
                "شمارهٔ ۴۵ سال ۲۰۲۱",
                "رقم ٤٥ لسنة ٢٠٢١",
                "nr. 45 të vitit 2021",
            ],
        ),
    ];
    let prevails = [
        (Locale::En, "the Arabic version prevails"),
        (Locale::Fa, "نسخهٔ عربی ملاک است"),
        (Locale::Ar, "النسخة العربية"),
        (Locale::Sq, "mbizotëron versioni në arabisht"),
    ];
    let (base, shop) = saudi_shop();
    for (country, words) in table {
        let mut s = base.clone();
        s.controller.country = country;
        let doc = compile(&s, &shop);
        assert!(doc.has_clause("controller.law"));
        for ((l, want), (_, prevail)) in Locale::ALL.iter().zip(words).zip(prevails) {
            let md = render_markdown(&doc, &history_meta(&s), *l, &s.format_for(*l));
            assert!(md.contains(want), "{country:?} {l:?} lacks {want}");
            assert!(md.contains(prevail), "{country:?} {l:?} lacks {prevail}");
        }
    }
    // The Saudi line names the implementing regulation too.
    let md = render_markdown(
        &compile(&base, &shop),
        &history_meta(&base),
        Locale::Ar,
        &base.format_for(Locale::Ar),
    );
    assert!(md.contains("ولائحته التنفيذية"));
}
