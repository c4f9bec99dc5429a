//! Durations in every locale: one to nine in words, larger numbers in the locale's digits, the
//! noun in the form CLDR's plural category calls for; days stay days (3,650 days are not ten
//! years), years come only from a period set in years. Each row is what a native reader
//! expects to see.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use harim_policy::i18n::Localizer;
use harim_policy::{Locale, LocaleFormat};

/// (number, days nominative, days oblique, months nominative, months oblique)
type Row = (u32, &'static str, &'static str, &'static str, &'static str);

fn check(locale: Locale, rows: &[Row]) {
    let mut l = Localizer::new(locale, LocaleFormat::customary(locale));
    for &(n, dn, dobl, mn, mobl) in rows {
        assert_eq!(l.days(n, false), dn, "{locale:?}: {n} days");
        assert_eq!(l.days(n, true), dobl, "{locale:?}: {n} days (oblique)");
        assert_eq!(l.months(n, false), mn, "{locale:?}: {n} months");
        assert_eq!(l.months(n, true), mobl, "{locale:?}: {n} months (oblique)");
    }
    assert!(l.errors.is_empty(), "{locale:?}: {:?}", l.errors);
}

#[test]
fn english_durations() {
    check(
        Locale::En,
        &[
            (1, "one day", "one day", "one month", "one month"),
            (2, "two days", "two days", "two months", "two months"),
            (
                3,
                "three days",
                "three days",
                "three months",
                "three months",
            ),
            (9, "nine days", "nine days", "nine months", "nine months"),
            (10, "10 days", "10 days", "10 months", "10 months"),
            (11, "11 days", "11 days", "11 months", "11 months"),
            (100, "100 days", "100 days", "100 months", "100 months"),
            (101, "101 days", "101 days", "101 months", "101 months"),
            (
                1095,
                "1,095 days",
                "1,095 days",
                "1,095 months",
                "1,095 months",
            ),
            (365, "365 days", "365 days", "365 months", "365 months"),
            (
                1096,
                "1,096 days",
                "1,096 days",
                "1,096 months",
                "1,096 months",
            ),
        ],
    );
}

#[test]
fn persian_durations_keep_the_noun_singular_after_the_number() {
    check(
        Locale::Fa,
        &[
            (1, "یک روز", "یک روز", "یک ماه", "یک ماه"),
            (2, "دو روز", "دو روز", "دو ماه", "دو ماه"),
            (3, "سه روز", "سه روز", "سه ماه", "سه ماه"),
            (9, "نه روز", "نه روز", "نه ماه", "نه ماه"),
            (10, "۱۰ روز", "۱۰ روز", "۱۰ ماه", "۱۰ ماه"),
            (11, "۱۱ روز", "۱۱ روز", "۱۱ ماه", "۱۱ ماه"),
            (100, "۱۰۰ روز", "۱۰۰ روز", "۱۰۰ ماه", "۱۰۰ ماه"),
            (101, "۱۰۱ روز", "۱۰۱ روز", "۱۰۱ ماه", "۱۰۱ ماه"),
            (1095, "۱٬۰۹۵ روز", "۱٬۰۹۵ روز", "۱٬۰۹۵ ماه", "۱٬۰۹۵ ماه"),
        ],
    );
}

/// CLDR Arabic: one (1), two (2), few (n % 100 = 3..10), many (n % 100 = 11..99), other
/// (100, 101, 102, 200, 1000, ...). The noun: يوم واحد / يومان (يومين after a preposition) /
/// أيام (plural genitive) / يومًا (singular accusative) / يوم (singular genitive).
#[test]
fn arabic_durations_follow_the_cldr_category_also_above_one_hundred() {
    check(
        Locale::Ar,
        &[
            (1, "يوم واحد", "يوم واحد", "شهر واحد", "شهر واحد"),
            (2, "يومان", "يومين", "شهران", "شهرين"),
            (3, "ثلاثة أيام", "ثلاثة أيام", "ثلاثة أشهر", "ثلاثة أشهر"),
            (9, "تسعة أيام", "تسعة أيام", "تسعة أشهر", "تسعة أشهر"),
            (10, "١٠ أيام", "١٠ أيام", "١٠ أشهر", "١٠ أشهر"),
            (11, "١١ يومًا", "١١ يومًا", "١١ شهرًا", "١١ شهرًا"),
            (100, "١٠٠ يوم", "١٠٠ يوم", "١٠٠ شهر", "١٠٠ شهر"),
            (101, "١٠١ يوم", "١٠١ يوم", "١٠١ شهر", "١٠١ شهر"),
            // 1095 ends in 95: "many".
            (1095, "١٬٠٩٥ يومًا", "١٬٠٩٥ يومًا", "١٬٠٩٥ شهرًا", "١٬٠٩٥ شهرًا"),
            // The numbers intl_pluralrules 7.0.2 gets wrong (it tests n, not n % 100).
            (103, "١٠٣ أيام", "١٠٣ أيام", "١٠٣ أشهر", "١٠٣ أشهر"),
            (180, "١٨٠ يومًا", "١٨٠ يومًا", "١٨٠ شهرًا", "١٨٠ شهرًا"),
            (111, "١١١ يومًا", "١١١ يومًا", "١١١ شهرًا", "١١١ شهرًا"),
            (200, "٢٠٠ يوم", "٢٠٠ يوم", "٢٠٠ شهر", "٢٠٠ شهر"),
            (365, "٣٦٥ يومًا", "٣٦٥ يومًا", "٣٦٥ شهرًا", "٣٦٥ شهرًا"),
            (3650, "٣٬٦٥٠ يومًا", "٣٬٦٥٠ يومًا", "٣٬٦٥٠ شهرًا", "٣٬٦٥٠ شهرًا"),
        ],
    );
}

/// Albanian: the indefinite nominative is the same in singular and plural (ditë, muaj); after
/// «brenda» the ablative: «brenda një dite», «brenda 30 ditëve».
#[test]
fn albanian_durations_inflect_after_brenda() {
    check(
        Locale::Sq,
        &[
            (1, "një ditë", "një dite", "një muaj", "një muaji"),
            (2, "dy ditë", "dy ditëve", "dy muaj", "dy muajve"),
            (3, "tre ditë", "tre ditëve", "tre muaj", "tre muajve"),
            (
                9,
                "nëntë ditë",
                "nëntë ditëve",
                "nëntë muaj",
                "nëntë muajve",
            ),
            (11, "11 ditë", "11 ditëve", "11 muaj", "11 muajve"),
            (100, "100 ditë", "100 ditëve", "100 muaj", "100 muajve"),
            (101, "101 ditë", "101 ditëve", "101 muaj", "101 muajve"),
            (1095, "1095 ditë", "1095 ditëve", "1095 muaj", "1095 muajve"),
            (30, "30 ditë", "30 ditëve", "30 muaj", "30 muajve"),
        ],
    );
}

#[test]
fn a_period_set_in_years_is_stated_in_years_and_days_stay_days() {
    use harim_policy::examples::{albanian_shop, history_meta};
    let (s, shop) = albanian_shop(); // orders: ten years; customer accounts: 730 days
    let doc = harim_policy::compile(&s, &shop);
    let meta = history_meta(&s);
    let render = |l| harim_policy::render_markdown(&doc, &meta, l, &s.format_for(l));
    let en = render(Locale::En);
    assert!(en.contains("10 years after the order"), "{en}");
    assert!(en.contains("730 days after your last activity"), "{en}");
    let fa = render(Locale::Fa);
    assert!(fa.contains("۱۰ سال پس از سفارش"), "{fa}");
    assert!(fa.contains("۷۳۰ روز"), "{fa}");
    let ar = render(Locale::Ar);
    assert!(ar.contains("١٠ سنوات"), "{ar}");
    let sq = render(Locale::Sq);
    assert!(sq.contains("10 vjet pas porosisë"), "{sq}");
    assert!(sq.contains("brenda 30 ditëve"), "{sq}");
}

#[test]
fn years_and_hours_spell_one_to_nine_and_agree_with_their_noun() {
    let cases: [(Locale, u32, &str, &str); 12] = [
        (Locale::En, 1, "one year", "one hour"),
        (Locale::En, 5, "five years", "five hours"),
        (Locale::En, 12, "12 years", "12 hours"),
        (Locale::Fa, 1, "یک سال", "یک ساعت"),
        (Locale::Fa, 5, "پنج سال", "پنج ساعت"),
        (Locale::Fa, 12, "۱۲ سال", "۱۲ ساعت"),
        // Arabic: the numeral takes the gender opposite to its noun (سنة, ساعة are feminine).
        (Locale::Ar, 1, "سنة واحدة", "ساعة واحدة"),
        (Locale::Ar, 5, "خمس سنوات", "خمس ساعات"),
        (Locale::Ar, 12, "١٢ سنةً", "١٢ ساعةً"),
        (Locale::Sq, 1, "një vit", "një orë"),
        (Locale::Sq, 5, "pesë vjet", "pesë orë"),
        (Locale::Sq, 12, "12 vjet", "12 orë"),
    ];
    for (locale, n, years, hours) in cases {
        let mut l = Localizer::new(locale, LocaleFormat::customary(locale));
        assert_eq!(l.years(n, false), years, "{locale:?} {n} years");
        assert_eq!(l.hours(n, false), hours, "{locale:?} {n} hours");
        assert!(l.errors.is_empty(), "{:?}", l.errors);
    }
}
