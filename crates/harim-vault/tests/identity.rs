//! Merchant identity: the whole request validated at once, masked output, no leaks.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic

use harim_vault::pii::{
    BirthDate, Country, Email, FullName, IDENTITY_FIELDS, Iban, IdentityInput, MerchantIdentity,
    NationalId, Phone, PostalCode, mask_stored_field,
};
use time::macros::date;

const TODAY: time::Date = date!(2025 - 06 - 01);

fn valid_json() -> serde_json::Value {
    serde_json::json!({
        "full_name": "Ali Rezaei",
        "national_id": "0499370899",
        "iban": "IR06 2960 0000 0010 0324 2000 01",
        "birth_date": {"calendar": "persian", "date": "1370-01-15"},
        "phone": "09121234567",
        "email": "Ali@Example.com",
        "address": "Tehran, Azadi St., No 5",
        "postal_code": "1318534567",
        "country": "ir"
    })
}

fn parse(v: serde_json::Value) -> Result<MerchantIdentity, Vec<harim_vault::pii::Violation>> {
    let input: IdentityInput = serde_json::from_value(v).unwrap();
    MerchantIdentity::parse(input, TODAY)
}

#[test]
fn a_valid_iranian_identity_parses_and_normalises() {
    let id = parse(valid_json()).unwrap();
    let fields: Vec<(&str, String)> = id
        .fields()
        .map(|(k, v)| (k, String::from_utf8(v.to_vec()).unwrap()))
        .collect();
    let expected = [
        ("full_name", "Ali Rezaei"),
        ("national_id", "0499370899"),
        ("iban", "IR062960000000100324200001"),
        ("birth_date", "1991-04-04"),
        ("phone", "+989121234567"),
        ("email", "Ali@example.com"),
        ("address", "Tehran, Azadi St., No 5"),
        ("postal_code", "1318534567"),
        ("country", "IR"),
    ];
    assert_eq!(
        fields,
        expected
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        IDENTITY_FIELDS.to_vec(),
        expected.iter().map(|(k, _)| *k).collect::<Vec<_>>()
    );
}

#[test]
fn the_masked_view_and_debug_reveal_no_plaintext() {
    let id = parse(valid_json()).unwrap();
    let masked = id.masked();
    let json = serde_json::to_string(&masked).unwrap();
    assert_eq!(
        serde_json::to_value(&masked).unwrap(),
        serde_json::json!({
            "full_name": "A*** R***",
            "national_id": "******0899",
            "iban": "IR********************0001",
            "birth_date": "1991-**-**",
            "phone": "+98******4567",
            "email": "A***@example.com",
            "address": "********",
            "postal_code": "******4567",
            "country": "IR"
        })
    );
    let dbg = format!("{id:?}");
    for secret in [
        "Rezaei",
        "0499370",
        "2960000000100324",
        "04-04",
        "9121234",
        "Ali@",
        "Azadi",
        "131853",
    ] {
        assert!(!dbg.contains(secret), "Debug leaks {secret}: {dbg}");
        assert!(!json.contains(secret), "JSON leaks {secret}: {json}");
    }
    // The stored-value masker agrees with the typed masks.
    for (field, value) in id.fields() {
        let v = std::str::from_utf8(value).unwrap();
        let typed = serde_json::to_value(&masked).unwrap()[field]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(mask_stored_field(field, v), typed, "{field}");
    }
}

#[test]
fn the_debug_of_every_secret_type_and_of_the_raw_input_is_masked() {
    let c = Country::IR;
    let values: Vec<(String, &str)> = vec![
        (
            format!("{:?}", NationalId::parse("0499370899", c).unwrap()),
            "049937",
        ),
        (
            format!("{:?}", Iban::parse("DE89370400440532013000").unwrap()),
            "3704004405",
        ),
        (
            format!("{:?}", Phone::parse("09121234567", Some(c)).unwrap()),
            "912123",
        ),
        (
            format!("{:?}", BirthDate::parse_iso("1990-05-06", TODAY).unwrap()),
            "05-06",
        ),
        (
            format!("{:?}", Email::parse("someone@example.com").unwrap()),
            "someone",
        ),
        (
            format!("{:?}", FullName::parse("Mina Karimi").unwrap()),
            "Karimi",
        ),
        (
            format!("{:?}", PostalCode::parse("1318534567", Some(c)).unwrap()),
            "131853",
        ),
        (
            format!(
                "{:?}",
                serde_json::from_value::<IdentityInput>(valid_json()).unwrap()
            ),
            "0499370899",
        ),
    ];
    for (dbg, secret) in values {
        assert!(!dbg.contains(secret), "{dbg}");
    }
}

#[test]
fn every_bad_field_is_named_without_echoing_values() {
    let v = serde_json::json!({
        "full_name": "Ali\u{0007}",
        "national_id": "0499370898",
        "iban": "IR062960000000100324200002",
        "birth_date": "2015-01-01",
        "phone": "0912",
        "email": "not-an-email",
        "address": "   ",
        "postal_code": "0000000000",
        "country": "IR"
    });
    let errs = parse(v).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    // Every field but the country (valid).
    for f in IDENTITY_FIELDS.into_iter().filter(|f| *f != "country") {
        assert!(fields.contains(&f), "{f} not reported: {errs:?}");
    }
    let codes: Vec<(&str, &str)> = errs
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert!(codes.contains(&("national_id", "invalid_checksum")));
    assert!(codes.contains(&("birth_date", "too_young")));
    assert!(codes.contains(&("address", "missing")));
    let dump = serde_json::to_string(&errs).unwrap();
    for secret in [
        "0499370898",
        "324200002",
        "0912",
        "not-an-email",
        "0000000000",
    ] {
        assert!(!dump.contains(secret), "{dump}");
    }
}

#[test]
fn missing_fields_are_reported_and_unknown_fields_rejected() {
    let errs = parse(serde_json::json!({})).unwrap_err();
    assert_eq!(errs.len(), 9, "{errs:?}");
    assert!(errs.iter().all(|e| e.code == "missing"));
    let mut extra = valid_json();
    extra["role"] = "admin".into();
    assert!(serde_json::from_value::<IdentityInput>(extra).is_err());
}

#[test]
fn an_invalid_country_is_reported_and_other_fields_still_checked() {
    let mut v = valid_json();
    v["country"] = "XX".into();
    v["national_id"] = "!!".into();
    let errs = parse(v).unwrap_err();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert!(fields.contains(&"country"));
    assert!(fields.contains(&"national_id"));
    // A national-format phone cannot be read without a country.
    assert!(fields.contains(&"phone"));
}

#[test]
fn the_uae_needs_no_postal_code() {
    let mut v = valid_json();
    v["country"] = "AE".into();
    v["phone"] = "+971 50 123 4567".into();
    v["iban"] = "AE070331234567890123456".into();
    // 784-1990-1234567-6: Luhn check digit 6.
    v["national_id"] = "784-1990-1234567-6".into();
    v.as_object_mut().unwrap().remove("postal_code");
    let id = parse(v.clone()).unwrap();
    assert!(id.postal_code.is_none());
    assert!(id.fields().all(|(k, _)| k != "postal_code"));
    assert_eq!(id.masked().postal_code, None);
    assert_eq!(id.national_id.expose_secret(), "784199012345676");
    v["national_id"] = "784-1990-1234567-5".into();
    let errs = parse(v).unwrap_err();
    assert_eq!(
        (errs[0].field.as_str(), errs[0].code.as_str()),
        ("national_id", "invalid_checksum")
    );
}

#[test]
fn gregorian_iso_birth_dates_work_in_the_request() {
    let mut v = valid_json();
    v["birth_date"] = "1991-04-04".into();
    let a = parse(v).unwrap();
    let b = parse(valid_json()).unwrap();
    assert_eq!(a.birth_date, b.birth_date);
}

/// Lenient parsing, found from outside (issue "Hostile input", finding 8): a NUL inside a phone
/// number was silently dropped, unknown keys inside the `birth_date` object were ignored, and
/// `1990/01/01` passed as the ISO form. Each is now refused, and says where.
#[test]
fn hidden_characters_unknown_keys_and_loose_dates_are_refused() {
    let field_codes = |v: serde_json::Value| -> Vec<(String, String)> {
        parse(v)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.field.to_string(), e.code.to_string()))
            .collect()
    };
    let mut v = valid_json();
    v["phone"] = serde_json::json!("0912\u{0}1234567");
    assert_eq!(
        field_codes(v),
        [("phone".to_string(), "invalid_characters".to_string())]
    );
    let mut v = valid_json();
    v["national_id"] = serde_json::json!("0499\u{202E}370899");
    assert_eq!(field_codes(v)[0].1, "invalid_characters");

    let mut v = valid_json();
    v["birth_date"] = serde_json::json!({"calendar": "persian", "date": "1370-01-15", "x": 1});
    assert!(serde_json::from_value::<IdentityInput>(v).is_err());

    let mut v = valid_json();
    v["birth_date"] = serde_json::json!("1990/01/01");
    assert_eq!(field_codes(v)[0].0, "birth_date");
    // Persian dates are written with slashes: that form keeps them.
    let mut v = valid_json();
    v["birth_date"] = serde_json::json!({"calendar": "persian", "date": "1370/01/15"});
    assert!(parse(v).is_ok());
    let mut v = valid_json();
    v["birth_date"] = serde_json::json!("1990-01-01");
    assert!(parse(v).is_ok());
}

/// A `+1` number under `country = IR` was accepted (finding 8): a merchant's phone must be of
/// the identity's country.
#[test]
fn a_phone_of_another_country_is_refused() {
    let mut v = valid_json();
    v["phone"] = serde_json::json!("+1 202 555 0143");
    let errs = parse(v).err().unwrap();
    assert_eq!(errs.len(), 1);
    assert_eq!(
        (errs[0].field.as_str(), errs[0].code.as_str()),
        ("phone", "wrong_country")
    );
    let mut v = valid_json();
    v["phone"] = serde_json::json!("+98 912 123 4567");
    assert!(parse(v).is_ok());
}
