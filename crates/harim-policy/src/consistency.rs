//! The policy must name everything the platform really does, and nothing it does not.

use serde::{Deserialize, Serialize};

use crate::settings::{CustomerDataCategory, PaymentGateway, PrivacySettings, ProcessorRole};

/// What the platform actually stores and uses for one shop's customers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFacts {
    /// Customer data categories present in the shop's customer records.
    pub customer_data: Vec<CustomerDataCategory>,
    /// Vault field names holding customer data for this shop (e.g. `national_id`, `phone`).
    pub vault_fields: Vec<String>,
    /// Kinds of identity documents held about the shop's customers (e.g. `national_id_card`).
    /// Merchant KYC belongs in the platform's own policy, not here.
    pub kyc_document_kinds: Vec<String>,
    /// Processors the platform is configured to send this shop's customer data to.
    pub processors: Vec<ProcessorRef>,
    /// Payment gateways configured for the shop.
    pub payment_gateways: Vec<PaymentGateway>,
    /// What every storefront collects automatically, and how long the platform keeps it
    /// (`[platform] storefront_collects`).
    #[serde(default)]
    pub storefront: Vec<crate::platform::StorefrontCollection>,
}

/// A configured processor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcessorRef {
    /// Role.
    pub role: ProcessorRole,
    /// Vendor name (compared case-insensitively).
    pub name: String,
}

/// A mismatch between the policy and what the platform does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inconsistency {
    /// The platform stores a category the policy does not name.
    #[error(
        "the platform stores {category:?} (from {source_kind}) but the policy does not name it"
    )]
    UnnamedCategory {
        /// Category.
        category: CustomerDataCategory,
        /// Where it was found: `customer_data`, `vault_field:<name>`, `kyc_document:<kind>`.
        source_kind: String,
    },
    /// A vault field whose category is unknown, so the policy cannot be checked.
    #[error("unknown vault field {field}")]
    UnknownVaultField {
        /// Field name.
        field: String,
    },
    /// The policy names a processor the platform is not configured to use.
    #[error("the policy names processor {name} ({role:?}) that is not configured")]
    ProcessorNotConfigured {
        /// Role.
        role: ProcessorRole,
        /// Name.
        name: String,
    },
    /// The platform sends data to a processor the policy does not name.
    #[error("processor {name} ({role:?}) is configured but not named in the policy")]
    UnnamedProcessor {
        /// Role.
        role: ProcessorRole,
        /// Name.
        name: String,
    },
    /// The policy names a gateway that is not configured.
    #[error("the policy names gateway {gateway:?} that is not configured")]
    GatewayNotConfigured {
        /// Gateway.
        gateway: PaymentGateway,
    },
    /// A configured gateway the policy does not name.
    #[error("gateway {gateway:?} is configured but not named in the policy")]
    UnnamedGateway {
        /// Gateway.
        gateway: PaymentGateway,
    },
    /// The policy promises to keep a category for less time than the platform keeps it.
    #[error("the policy keeps {category:?} {promised} days, the platform keeps it {actual}")]
    RetentionShorterThanPlatform {
        /// Category.
        category: CustomerDataCategory,
        /// The settings' period for it, in days.
        promised: u32,
        /// How long the platform keeps it, in days.
        actual: u32,
    },
}

/// The category a vault field holds, if known.
#[must_use]
pub fn vault_field_category(field: &str) -> Option<CustomerDataCategory> {
    use CustomerDataCategory as C;
    Some(match field {
        "name" | "full_name" | "first_name" | "last_name" => C::Name,
        "email" => C::Email,
        "phone" | "mobile" => C::Phone,
        "address" | "street" | "city" => C::Address,
        "postal_code" | "zip" => C::PostalCode,
        "birth_date" | "date_of_birth" => C::BirthDate,
        "national_id" | "national_code" => C::NationalId,
        "iban" | "sheba" | "payment_reference" => C::PaymentReference,
        "id_card_image" | "identity_document" => C::IdentityDocument,
        "ip_address" => C::IpAddress,
        _ => return None,
    })
}

/// Refuses a policy that fails to name a stored category, names a processor or gateway that
/// is not configured, or leaves a configured one unnamed.
///
/// # Errors
/// Every [`Inconsistency`] found.
pub fn check_consistency(
    settings: &PrivacySettings,
    platform: &PlatformFacts,
) -> Result<(), Vec<Inconsistency>> {
    let mut out = Vec::new();
    let mut need = |category: CustomerDataCategory, source: String| {
        if !settings.collects(category) {
            out.push(Inconsistency::UnnamedCategory {
                category,
                source_kind: source,
            });
        }
    };
    for c in &platform.customer_data {
        need(*c, "customer_data".into());
    }
    for c in &platform.storefront {
        need(c.category, "storefront".into());
    }
    let mut unknown = Vec::new();
    for f in &platform.vault_fields {
        match vault_field_category(f) {
            Some(c) => need(c, format!("vault_field:{f}")),
            None => unknown.push(Inconsistency::UnknownVaultField { field: f.clone() }),
        }
    }
    for k in &platform.kyc_document_kinds {
        need(
            CustomerDataCategory::IdentityDocument,
            format!("kyc_document:{k}"),
        );
    }
    out.extend(unknown);
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    for p in &settings.processors {
        if !platform
            .processors
            .iter()
            .any(|c| c.role == p.role && same(&c.name, &p.name))
        {
            out.push(Inconsistency::ProcessorNotConfigured {
                role: p.role,
                name: p.name.clone(),
            });
        }
    }
    for c in &platform.processors {
        if !settings
            .processors
            .iter()
            .any(|p| c.role == p.role && same(&c.name, &p.name))
        {
            out.push(Inconsistency::UnnamedProcessor {
                role: c.role,
                name: c.name.clone(),
            });
        }
    }
    for g in &settings.payment_gateways {
        if !platform.payment_gateways.contains(g) {
            out.push(Inconsistency::GatewayNotConfigured { gateway: *g });
        }
    }
    for g in &platform.payment_gateways {
        if !settings.payment_gateways.contains(g) {
            out.push(Inconsistency::UnnamedGateway { gateway: *g });
        }
    }
    // A period is a promise that the data is gone by then: the platform must not keep it
    // longer than the text says.
    for c in &platform.storefront {
        if let Some(actual) = c.days
            && settings.collects(c.category)
        {
            let promised = settings.retention.days(c.category.retention_kind());
            if promised < actual {
                out.push(Inconsistency::RetentionShorterThanPlatform {
                    category: c.category,
                    promised,
                    actual,
                });
            }
        }
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}
