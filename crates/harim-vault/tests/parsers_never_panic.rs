//! Property tests: every parser returns `Ok` or `Err` on arbitrary input, never panics, and a
//! rejected value never appears in its error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and benches may panic

use harim_vault::pii::{
    Address, BirthDate, BirthDateInput, Country, Email, FullName, Iban, IdentityInput,
    MerchantIdentity, NationalId, Phone, PostalCode,
};
use harim_vault::{FieldContext, field_tk_version};
use proptest::prelude::*;
use secrecy::SecretString;
use time::macros::date;

const COUNTRIES: [&str; 6] = ["IR", "AL", "SA", "AE", "DE", "US"];

fn digitish() -> impl Strategy<Value = String> {
    // Digits (ASCII, Persian, Arabic-Indic), separators and letters: closer to real input.
    proptest::string::string_regex("[0-9۰-۹٠-٩ A-Za-z/+-]{0,40}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn single_field_parsers_never_panic(s in any::<String>(), d in digitish(), ci in 0usize..6) {
        let today = date!(2025 - 06 - 01);
        let c = Country::parse(COUNTRIES[ci]).unwrap();
        for input in [&s, &d] {
            let _ = Country::parse(input);
            let _ = NationalId::parse(input, c);
            let _ = Iban::parse(input);
            let _ = Phone::parse(input, Some(c));
            let _ = Phone::parse(input, None);
            let _ = Email::parse(input);
            let _ = FullName::parse(input);
            let _ = Address::parse(input);
            let _ = PostalCode::parse(input, Some(c));
            let _ = BirthDate::parse_iso(input, today);
            let _ = BirthDate::parse_persian(input, today);
            let _ = BirthDate::parse(&BirthDateInput::Calendar { calendar: input.clone(), date: SecretString::from(input.as_str()) }, today);
        }
    }

    #[test]
    fn identity_parse_never_panics_and_never_echoes(
        fields in proptest::collection::vec(proptest::option::of(any::<String>()), 9),
        ci in 0usize..7,
    ) {
        let s = |i: usize| fields[i].clone().map(SecretString::from);
        let input = IdentityInput {
            full_name: s(0),
            national_id: s(1),
            iban: s(2),
            birth_date: fields[3].clone().map(|d| BirthDateInput::Iso(SecretString::from(d))),
            phone: s(4),
            email: s(5),
            address: s(6),
            postal_code: s(7),
            country: if ci < 6 { Some(COUNTRIES[ci].to_owned()) } else { fields[8].clone() },
        };
        if let Err(errs) = MerchantIdentity::parse(input, date!(2025 - 06 - 01)) {
            prop_assert!(!errs.is_empty());
            for e in &errs {
                for f in fields.iter().flatten() {
                    if f.chars().count() >= 6 {
                        prop_assert!(!e.message.contains(f.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn the_ciphertext_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = field_tk_version(&bytes);
        let v = common_vault();
        let t = uuid::Uuid::nil();
        let wk = harim_vault::WrappedTenantKey { tenant_id: t, tk_version: 1, kek_version: 1, wrapped: bytes.clone() };
        let ctx = FieldContext { tenant_id: t, table: "t", record_id: t, field: "f" };
        prop_assert!(v.decrypt_field(&wk, &ctx, &bytes).is_err());
    }
}

fn common_vault() -> harim_vault::Vault {
    let ring = harim_vault::EnvKeyring::from_values(
        "1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        None,
    )
    .unwrap();
    harim_vault::Vault::new(
        std::sync::Arc::new(ring),
        harim_vault::CacheConfig::default(),
    )
}
