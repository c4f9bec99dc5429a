//! Three contrasting platform configurations over a data map shaped like harim's own (used by
//! the snapshot tests and the API docs; the store renders the real data map).

use super::facts::{
    Basis, From, Kept, MerchantData, MerchantDataMap, MerchantSubject, Period, Platform,
    PlatformPolicyInputs, RightsRoutes, StorefrontCollection,
};
use crate::settings::{Country, CustomerDataCategory as C, Processor, ProcessorRole};

fn entry(
    category: &str,
    subject: MerchantSubject,
    bases: &[Basis],
    periods: &[(&str, Period)],
    fields: &[&str],
    encrypted: bool,
) -> MerchantData {
    MerchantData {
        category: category.into(),
        subject,
        bases: bases.to_vec(),
        periods: periods
            .iter()
            .map(|(part, period)| Kept {
                part: (*part).into(),
                period: *period,
            })
            .collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        encrypted,
    }
}

/// A data map with the categories, bases and rules harim declares, default periods.
#[must_use]
pub fn data_map() -> MerchantDataMap {
    let mut entries = identity_entries();
    entries.extend(shop_entries());
    entries.extend(account_entries());
    MerchantDataMap {
        version: "0123456789abcdef".into(),
        entries,
    }
}

/// The owner's identity and documents, checked to know the customer.
fn identity_entries() -> Vec<MerchantData> {
    use Basis::LegalObligation;
    use MerchantSubject::ShopOwner;
    vec![
        entry(
            "identity",
            ShopOwner,
            &[LegalObligation],
            &[("merchant_identities", Period::WhileShopExists)],
            &[
                "full_name",
                "national_id",
                "iban",
                "birth_date",
                "phone",
                "email",
                "address",
                "postal_code",
                "country",
            ],
            true,
        ),
        entry(
            "documents",
            ShopOwner,
            &[LegalObligation],
            &[(
                "kyc_documents",
                Period::ShopKycSetting { default_days: 365 },
            )],
            &[
                "national_id_front",
                "national_id_back",
                "selfie",
                "business_license",
            ],
            true,
        ),
    ]
}

/// What a shop's settings, policies and people leave with the platform.
fn shop_entries() -> Vec<MerchantData> {
    use Basis::{Contract, LegalObligation};
    use MerchantSubject::{Account, ShopOwner, Staff};
    let shop = Period::WhileShopExists;
    vec![
        entry(
            "privacy_settings",
            ShopOwner,
            &[Contract],
            &[("privacy_settings", shop)],
            &[],
            false,
        ),
        entry(
            "policy_versions",
            ShopOwner,
            &[LegalObligation],
            &[("policy_documents", shop)],
            &[],
            false,
        ),
        entry(
            "invitations",
            Staff,
            &[Contract],
            &[("invitations", shop)],
            &[],
            false,
        ),
        entry(
            "api_keys",
            Account,
            &[Contract],
            &[(
                "api_keys",
                Period::Days {
                    days: 365,
                    from: From::LastUse,
                },
            )],
            &[],
            false,
        ),
        entry(
            "members",
            Staff,
            &[Contract],
            &[("memberships", shop)],
            &[],
            false,
        ),
    ]
}

/// Requests, keys, the audit trail, sessions and the account itself.
fn account_entries() -> Vec<MerchantData> {
    use Basis::{Contract, LegalObligation, LegitimateInterest};
    use MerchantSubject::{Account, ShopOwner};
    let shop = Period::WhileShopExists;
    let residue = Period::Days {
        days: 365,
        from: From::AccountErasure,
    };
    vec![
        // Exports and erasures carry out what the merchant asks for: the contract.
        entry(
            "data_requests",
            Account,
            &[Contract],
            &[
                (
                    "data_requests",
                    Period::Hours {
                        hours: 24,
                        from: From::Ready,
                    },
                ),
                ("data_requests", Period::AsProof),
                ("account_residue", residue),
            ],
            &[],
            true,
        ),
        // The shop's key is how the service keeps its data safe: contract and security.
        entry(
            "tenant_keys",
            ShopOwner,
            &[Contract, LegitimateInterest],
            &[("tenant_keys", shop)],
            &[],
            true,
        ),
        entry(
            "audit_log",
            Account,
            &[LegalObligation, LegitimateInterest],
            &[
                (
                    "audit_log",
                    Period::Days {
                        days: 730,
                        from: From::Created,
                    },
                ),
                (
                    "audit_log",
                    Period::Days {
                        days: 365,
                        from: From::ShopErasure,
                    },
                ),
                ("account_residue", residue),
                ("service_log", Period::OperatorLogs { days: 14 }),
            ],
            &[],
            false,
        ),
        entry("shop", Account, &[Contract], &[("shops", shop)], &[], false),
        entry(
            "sessions",
            Account,
            &[Contract, LegitimateInterest],
            &[
                (
                    "sessions",
                    Period::Hours {
                        hours: 12,
                        from: From::Created,
                    },
                ),
                (
                    "login_attempts",
                    Period::Hours {
                        hours: 1,
                        from: From::Created,
                    },
                ),
            ],
            &[],
            false,
        ),
        entry(
            "account",
            Account,
            &[Contract],
            &[("accounts", Period::WhileAccountExists)],
            &[],
            false,
        ),
    ]
}

/// The routes of harim's HTTP contract.
#[must_use]
pub fn routes() -> RightsRoutes {
    RightsRoutes {
        account_export: "POST /v1/account/exports".into(),
        shop_export: "POST /v1/shops/{shop_id}/exports".into(),
        account_erasure: "DELETE /v1/account".into(),
        shop_erasure: "DELETE /v1/shops/{shop_id}".into(),
        identity_update: "PUT /v1/shops/{shop_id}/identity".into(),
        receipt: "GET /v1/receipts/{receipt_id}".into(),
    }
}

/// An Iranian operator hosted at home: no transfers, keys in a file keyring, no DPO.
#[must_use]
pub fn iranian_platform() -> PlatformPolicyInputs {
    PlatformPolicyInputs {
        platform: Platform {
            name: "Harim".into(),
            operator: "شرکت حریم داده پارس".into(),
            registration_number: None,
            country: Country::Ir,
            contact_email: "privacy@harim.example".into(),
            dpo_email: None,
            hosting_provider: "ابر آروان".into(),
            hosting_country: Country::Ir,
            processors: Vec::new(),
            storefront_collects: vec![
                StorefrontCollection {
                    category: C::OrderHistory,
                    days: None,
                },
                StorefrontCollection {
                    category: C::IpAddress,
                    days: Some(90),
                },
            ],
            backup_retention_days: 30,
            log_retention_days: 14,
        },
        data: data_map(),
        routes: routes(),
        response_days: 30,
        keys_in_hsm: false,
    }
}

/// An Albanian operator hosted in Germany with a support desk in the United States, root
/// keys in an HSM and a DPO: transfers appear.
#[must_use]
pub fn albanian_platform() -> PlatformPolicyInputs {
    PlatformPolicyInputs {
        platform: Platform {
            name: "Harim".into(),
            operator: "Harim Shpk".into(),
            registration_number: Some("M01234567B".into()),
            country: Country::Al,
            contact_email: "privacy@harim.example.al".into(),
            dpo_email: Some("dpo@harim.example.al".into()),
            hosting_provider: "Hetzner Online".into(),
            hosting_country: Country::De,
            processors: vec![Processor::new(
                ProcessorRole::Support,
                "Zendesk",
                Country::Us,
            )],
            storefront_collects: vec![StorefrontCollection {
                category: C::IpAddress,
                days: Some(30),
            }],
            backup_retention_days: 14,
            log_retention_days: 30,
        },
        data: data_map(),
        routes: routes(),
        response_days: 30,
        keys_in_hsm: true,
    }
}

/// A Saudi operator hosted in Saudi Arabia with e-mail sent from Bahrain, root keys in an
/// HSM and a three-year audit trail.
#[must_use]
pub fn saudi_platform() -> PlatformPolicyInputs {
    let mut data = data_map();
    for e in &mut data.entries {
        if e.category == "audit_log" {
            e.periods[0].period = Period::Days {
                days: 1095,
                from: From::Created,
            };
        }
    }
    PlatformPolicyInputs {
        platform: Platform {
            name: "Harim".into(),
            operator: "شركة حريم لتقنية المعلومات".into(),
            registration_number: Some("1010987654".into()),
            country: Country::Sa,
            contact_email: "privacy@harim.example.sa".into(),
            dpo_email: Some("dpo@harim.example.sa".into()),
            hosting_provider: "stc cloud".into(),
            hosting_country: Country::Sa,
            processors: vec![Processor::new(
                ProcessorRole::Email,
                "Amazon SES",
                Country::Bh,
            )],
            storefront_collects: vec![
                StorefrontCollection {
                    category: C::OrderHistory,
                    days: None,
                },
                StorefrontCollection {
                    category: C::IpAddress,
                    days: Some(180),
                },
            ],
            backup_retention_days: 35,
            log_retention_days: 90,
        },
        data,
        routes: routes(),
        response_days: 30,
        keys_in_hsm: true,
    }
}
