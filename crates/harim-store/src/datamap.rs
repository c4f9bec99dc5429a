//! The data map: the one typed declaration of every place harim keeps personal data (each table
//! and column, each object kind, each log), and for each of them whose data it is, why it is
//! kept, on what legal basis, for how long, how it is exported and how it is erased.
//!
//! Everything that keeps a promise about personal data is driven from here: the export
//! ([`crate::rights::export`]) walks [`TABLES`] and writes one file per [`Category`]; the erasure
//! job ([`crate::rights::erasure`]) walks them again, in order, and does what each entry's
//! [`Erasure`] says, counting rows per entry for the receipt; `docs/data-map.md` is
//! [`render_markdown`]'s output. A test introspects the migrated schema (SQLite and PostgreSQL)
//! and fails on any table or column this map does not name, so new storage cannot slip past it.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Whose data it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// The person behind a harim account (sign-in e-mail, sessions).
    MerchantAccount,
    /// The person whose identity a shop registers for KYC (the shop owner).
    ShopOwnerIdentity,
    /// A person working in a shop (members, invitations).
    StaffMember,
    /// A platform operator (platform tokens).
    PlatformOperator,
    /// A customer of a shop (its buyers: name, contact, addresses, orders).
    ShopCustomer,
}

/// What kind of data an entry holds; also the file an export writes it to
/// (`data/<category>.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Account,
    Sessions,
    Shop,
    Members,
    ApiKeys,
    Invitations,
    Identity,
    Customers,
    Orders,
    Consents,
    Messages,
    TenantKeys,
    Documents,
    PrivacySettings,
    PolicyVersions,
    AuditLog,
    DataRequests,
    PlatformOperators,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Sessions => "sessions",
            Self::Shop => "shop",
            Self::Members => "members",
            Self::ApiKeys => "api_keys",
            Self::Invitations => "invitations",
            Self::Identity => "identity",
            Self::Customers => "customers",
            Self::Orders => "orders",
            Self::Consents => "consents",
            Self::Messages => "messages",
            Self::TenantKeys => "tenant_keys",
            Self::Documents => "documents",
            Self::PrivacySettings => "privacy_settings",
            Self::PolicyVersions => "policy_versions",
            Self::AuditLog => "audit_log",
            Self::DataRequests => "data_requests",
            Self::PlatformOperators => "platform_operators",
        }
    }
}

/// GDPR Art. 6(1) bases (the other laws harim's policies cite have the same four in substance).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    /// Needed to run the service the merchant signed up for.
    Contract,
    /// A law requires it (KYC of merchants who take payments, accountability for access).
    LegalObligation,
    /// The platform's legitimate interest (security of the service).
    LegitimateInterest,
}

/// The event a retention period counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// The row was written.
    Created,
    /// A reviewer decided the document (the shop's `kyc_retention_days` setting).
    KycDecision,
    /// The shop or account it belongs to was erased.
    Erasure,
    /// The export archive became ready.
    ExportReady,
    /// The last time the credential authenticated (its creation if it never did).
    LastUse,
    /// The counting window (one minute) ended.
    WindowEnd,
    /// The customer's last write or order.
    LastActivity,
    /// The customer's last order.
    LastOrder,
}

/// How long an entry is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Retention {
    /// Until the account it belongs to is erased.
    WhileAccountExists,
    /// Until the shop it belongs to is erased.
    WhileShopExists,
    /// A fixed time after an event.
    Days { days: u32, from: Event },
    /// A time set in the shop's privacy settings, after an event.
    ShopSetting { setting: &'static str, from: Event },
    /// A time set in harim's configuration, after an event.
    Config { key: &'static str, from: Event },
    /// A fixed number of seconds after an event.
    Seconds { secs: u64, from: Event },
    /// Not harim's to enforce: the operator's own retention of what harim hands over.
    Operator { what: &'static str },
}

/// Until when something erasure keeps is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "until", rename_all = "snake_case")]
pub enum Until {
    /// A fixed time after the erasure; then the retention run purges it.
    DaysAfterErasure { days: u32 },
    /// For as long as the installation exists (holds no personal data by itself).
    Forever,
}

/// What erasure does to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Erasure {
    /// The ciphertext becomes unreadable at once because its key is destroyed; the bytes are
    /// then deleted with their row.
    Shred,
    /// The rows (or objects) are deleted.
    Delete,
    /// The column is set to NULL; the row stays (it describes something else too).
    Anonymise,
    /// Kept, with the reason and the end date the receipt states.
    Retain { reason: &'static str, until: Until },
}

/// How an export shows a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum ExportForm {
    /// The stored value as JSON.
    Value,
    /// The field decrypted (identity fields; the record id is the shop id).
    Decrypted,
    /// Only that it exists and what it is: digests of secrets and wrapped keys, which are of no
    /// use to the subject and would weaken the service if handed out.
    Described { what: &'static str },
    /// The original file, in `documents/`.
    OriginalFile,
    /// The field decrypted with the customer's own key; `customer` names the column holding
    /// the customer's id (the record id is the row's `id`).
    CustomerDecrypted { customer: &'static str },
}

/// How a column is stored (what the exporter reads it as).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ty {
    Uuid,
    Text,
    Int,
    BigInt,
    Bytes,
    Time,
}

/// One column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Column {
    pub name: &'static str,
    pub ty: Ty,
    pub nullable: bool,
    pub export: ExportForm,
    /// `true` for ciphertext under the shop's tenant key: shredded when the key is destroyed.
    pub encrypted: bool,
}

/// Which rows of a table belong to a shop or an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Owner {
    /// Rows of a shop: `column = shop id`.
    Shop { column: &'static str },
    /// Rows of an account: `column = account id`.
    Account { column: &'static str },
    /// Rows of a shop, and rows of an account in any shop.
    ShopAndAccount {
        shop: &'static str,
        account: &'static str,
    },
    /// Platform rows (operators, key administration): no shop or account erasure touches them.
    Platform,
}

/// What a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "holds", rename_all = "snake_case")]
pub enum Holds {
    Personal {
        subject: Subject,
        purpose: &'static str,
        basis: LegalBasis,
        retention: Retention,
        erasure: Erasure,
    },
    /// Nothing about a person: why not.
    NoPersonalData { why: &'static str },
}

/// One table of the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Table {
    pub name: &'static str,
    pub category: Category,
    pub owner: Owner,
    pub holds: Holds,
    pub columns: &'static [Column],
}

impl Table {
    /// The erasure action, if the table holds personal data.
    pub fn erasure(&self) -> Option<Erasure> {
        match self.holds {
            Holds::Personal { erasure, .. } => Some(erasure),
            Holds::NoPersonalData { .. } => None,
        }
    }

    /// The column that names the shop, if rows belong to shops.
    pub fn shop_column(&self) -> Option<&'static str> {
        match self.owner {
            Owner::Shop { column } | Owner::ShopAndAccount { shop: column, .. } => Some(column),
            _ => None,
        }
    }

    /// The column that names the account, if rows belong to accounts.
    pub fn account_column(&self) -> Option<&'static str> {
        match self.owner {
            Owner::Account { column }
            | Owner::ShopAndAccount {
                account: column, ..
            } => Some(column),
            _ => None,
        }
    }
}

/// Personal data that lives outside the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Place {
    pub name: &'static str,
    pub kind: PlaceKind,
    /// Where it is (an object name pattern, a stream).
    pub location: &'static str,
    pub subject: Subject,
    pub category: Category,
    pub purpose: &'static str,
    pub basis: LegalBasis,
    pub retention: Retention,
    pub export: ExportForm,
    pub erasure: Erasure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    Object,
    Log,
}

const fn col(name: &'static str, ty: Ty) -> Column {
    Column {
        name,
        ty,
        nullable: false,
        export: ExportForm::Value,
        encrypted: false,
    }
}

const fn opt(name: &'static str, ty: Ty) -> Column {
    Column {
        nullable: true,
        ..col(name, ty)
    }
}

const fn described(name: &'static str, ty: Ty, what: &'static str) -> Column {
    Column {
        export: ExportForm::Described { what },
        ..col(name, ty)
    }
}

/// A field sealed under the customer's own key (`customer` names the column with its id).
const fn customer_sealed(name: &'static str, customer: &'static str) -> Column {
    Column {
        export: ExportForm::CustomerDecrypted { customer },
        encrypted: true,
        nullable: true,
        ..col(name, Ty::Bytes)
    }
}

const fn sealed(name: &'static str) -> Column {
    Column {
        export: ExportForm::Decrypted,
        encrypted: true,
        ..col(name, Ty::Bytes)
    }
}

/// The audit log outlives an erased shop by this many days (accountability for every access to
/// the shop's personal data; the entries name fields, never values).
pub const AUDIT_DAYS_AFTER_ERASURE: u32 = 365;

/// A sign-in counter is deleted this many seconds after its one-minute window ended (a
/// replica whose clock runs slightly behind still counts against it meanwhile).
pub const LOGIN_WINDOW_RETENTION_SECS: u64 = 60;

/// The default of `after_account_deletion_days`: how long what an erased account leaves behind
/// ([`ACCOUNT_RESIDUE`]) is kept. The retention job and the account receipts both start from it.
pub const AFTER_ACCOUNT_DELETION_DAYS: u32 = 365;

const AUDIT_REASON: &str = "accountability: who accessed or changed which personal data, when and why (field names and pseudonymous ids, never values); the keyed hash chain proves it was not edited";

/// Every table, in erasure order (rows that point at others come first).
pub const TABLES: &[Table] = &[
    Table {
        name: "consent_events",
        category: Category::Consents,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "proof of each consent a customer or visitor gave, refused or withdrew, under which policy text",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("seq", Ty::BigInt),
            col("id", Ty::Uuid),
            opt("receipt_id", Ty::Uuid),
            opt("customer_id", Ty::Uuid),
            Column {
                export: ExportForm::Described {
                    what: "the SHA-256 of the visitor's random first-party id",
                },
                ..opt("visitor_hash", Ty::Bytes)
            },
            opt("purpose", Ty::Text),
            opt("state", Ty::Text),
            opt("policy_version", Ty::Int),
            opt("policy_hash", Ty::Text),
            opt("language", Ty::Text),
            opt("collection", Ty::Text),
            opt("actor", Ty::Text),
            col("at", Ty::Time),
            opt("valid_until", Ty::Time),
            described(
                "prev_hash",
                Ty::Bytes,
                "the link to the previous event of the stream",
            ),
            described(
                "hash",
                Ty::Bytes,
                "this event's link (a MAC under the audit key)",
            ),
            Column {
                export: ExportForm::Described {
                    what: "a MAC under the audit key: harim emptied this event when its customer was erased",
                },
                ..opt("erased_mac", Ty::Bytes)
            },
        ],
    },
    Table {
        name: "consent_heads",
        category: Category::Consents,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::NoPersonalData {
            why: "the sequence number and link of the shop's last consent event",
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("seq", Ty::BigInt),
            described("hash", Ty::Bytes, "the last event's link"),
        ],
    },
    Table {
        name: "consent_links",
        category: Category::Consents,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "joining a visitor's consent choices to the customer they became",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            described(
                "visitor_hash",
                Ty::Bytes,
                "the SHA-256 of the visitor's random first-party id",
            ),
            col("customer_id", Ty::Uuid),
            col("linked_at", Ty::Time),
        ],
    },
    Table {
        name: "consent_renewals",
        category: Category::Consents,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::NoPersonalData {
            why: "per purpose, the policy version from which older consents must be renewed",
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("purpose", Ty::Text),
            col("since_version", Ty::Int),
            col("marked_at", Ty::Time),
        ],
    },
    Table {
        name: "privacy_events",
        category: Category::Messages,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "telling the platform's other systems what a customer asked for or chose, by opaque ids only",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            col("topic", Ty::Text),
            col("body", Ty::Text),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "customer_requests",
        category: Category::DataRequests,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "answering a customer's request from the privacy page within the legal deadline, and proving it was answered (requests never verified are deleted after a day)",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            col("kind", Ty::Text),
            col("channel", Ty::Text),
            Column {
                export: ExportForm::Described {
                    what: "a keyed digest of the address you typed, for rate limits",
                },
                ..opt("address_index", Ty::Bytes)
            },
            Column {
                export: ExportForm::Described {
                    what: "a keyed digest of the network address the request came from, for rate limits",
                },
                ..opt("ip_index", Ty::Bytes)
            },
            opt("customer_id", Ty::Uuid),
            col("language", Ty::Text),
            Column {
                export: ExportForm::Described {
                    what: "a keyed digest of the one-time code",
                },
                ..opt("code_hash", Ty::Bytes)
            },
            opt("code_sent_at", Ty::Time),
            col("codes_sent", Ty::Int),
            col("tries", Ty::Int),
            col("state", Ty::Text),
            col("created_at", Ty::Time),
            opt("verified_at", Ty::Time),
            opt("due_at", Ty::Time),
            opt("extended_at", Ty::Time),
            opt("extension_reason", Ty::Text),
            opt("hold_until", Ty::Time),
            opt("event_id", Ty::Uuid),
            opt("erasure_request_id", Ty::Uuid),
            Column {
                export: ExportForm::Described {
                    what: "the copy of your data, sealed under your key until you download it",
                },
                ..opt("export", Ty::Bytes)
            },
            opt("export_sha256", Ty::Bytes),
            opt("downloaded_at", Ty::Time),
            opt("receipt", Ty::Text),
            opt("signature", Ty::Text),
            opt("key_id", Ty::Text),
            opt("completed_at", Ty::Time),
            opt("error", Ty::Text),
        ],
    },
    Table {
        name: "request_answers",
        category: Category::DataRequests,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "what each of the platform's other systems removed, kept and handed over for a customer's request",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("event_id", Ty::Uuid),
            col("endpoint_id", Ty::Uuid),
            col("status", Ty::Text),
            col("items_removed", Ty::BigInt),
            col("items_retained", Ty::Text),
            opt("file_name", Ty::Text),
            Column {
                export: ExportForm::Described {
                    what: "the file a system handed over, sealed under your own key",
                },
                ..opt("file", Ty::Bytes)
            },
            opt("file_sha256", Ty::Bytes),
            col("received_at", Ty::Time),
        ],
    },
    Table {
        name: "event_deliveries",
        category: Category::Messages,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::NoPersonalData {
            why: "whether each privacy event reached each endpoint: states, attempts, HTTP statuses",
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("event_id", Ty::Uuid),
            col("endpoint_id", Ty::Uuid),
            col("state", Ty::Text),
            col("attempts", Ty::Int),
            col("next_attempt_at", Ty::Time),
            opt("last_status", Ty::Int),
            opt("last_error", Ty::Text),
            opt("delivered_at", Ty::Time),
        ],
    },
    Table {
        name: "notifications",
        category: Category::Messages,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "order and marketing messages to the shop's customers, and the proof of what was sent (never the body)",
            basis: LegalBasis::Contract,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            opt("customer_id", Ty::Uuid),
            col("channel", Ty::Text),
            col("kind", Ty::Text),
            col("template", Ty::Text),
            opt("request_id", Ty::Text),
            customer_sealed("payload", "customer_id"),
            Column {
                export: ExportForm::Described {
                    what: "the SHA-256 of the body that was sent",
                },
                ..opt("body_sha256", Ty::Bytes)
            },
            Column {
                export: ExportForm::Described {
                    what: "a platform-keyed digest of the phone or address (routes a stop reply)",
                },
                ..opt("recipient_index", Ty::Bytes)
            },
            col("state", Ty::Text),
            col("attempts", Ty::Int),
            col("next_attempt_at", Ty::Time),
            opt("provider", Ty::Text),
            opt("provider_message_id", Ty::Text),
            opt("last_error", Ty::Text),
            col("created_at", Ty::Time),
            opt("sent_at", Ty::Time),
        ],
    },
    Table {
        name: "suppressions",
        category: Category::Messages,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "recipients who asked the shop to stop marketing messages",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("channel", Ty::Text),
            described(
                "recipient_index",
                Ty::Bytes,
                "a platform-keyed digest of the phone or address",
            ),
            col("reason", Ty::Text),
            col("at", Ty::Time),
        ],
    },
    Table {
        name: "customer_orders",
        category: Category::Orders,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "fulfilling orders (the contact used for delivery) and the tax records of each sale",
            basis: LegalBasis::LegalObligation,
            retention: Retention::ShopSetting {
                setting: "retention.orders_days",
                from: Event::LastOrder,
            },
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            opt("customer_id", Ty::Uuid),
            col("order_ref", Ty::Text),
            col("placed_at", Ty::Time),
            col("total_amount", Ty::Text),
            col("currency", Ty::Text),
            customer_sealed("contact", "customer_id"),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "customers",
        category: Category::Customers,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "the shop's customer accounts: delivery, order messages and support",
            basis: LegalBasis::Contract,
            retention: Retention::ShopSetting {
                setting: "retention.customer_accounts_days",
                from: Event::LastActivity,
            },
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            Column {
                nullable: false,
                ..customer_sealed("name", "id")
            },
            customer_sealed("email", "id"),
            customer_sealed("phone", "id"),
            customer_sealed("addresses", "id"),
            opt("locale", Ty::Text),
            opt("external_ref", Ty::Text),
            Column {
                nullable: true,
                ..described(
                    "email_index",
                    Ty::Bytes,
                    "keyed hash of the lower-cased e-mail, to find the customer by it",
                )
            },
            Column {
                nullable: true,
                ..described(
                    "phone_index",
                    Ty::Bytes,
                    "keyed hash of the phone in E.164, to find the customer by it",
                )
            },
            col("index_tk_version", Ty::Int),
            col("created_at", Ty::Time),
            col("updated_at", Ty::Time),
            col("last_active_at", Ty::Time),
        ],
    },
    Table {
        name: "customer_keys",
        category: Category::TenantKeys,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopCustomer,
            purpose: "one key per customer, so one customer can be erased by destroying it",
            basis: LegalBasis::Contract,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("customer_id", Ty::Uuid),
            col("tk_version", Ty::Int),
            described(
                "wrapped",
                Ty::Bytes,
                "the customer's key, wrapped by the shop's tenant key",
            ),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "customer_fences",
        category: Category::DataRequests,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::NoPersonalData {
            why: "an erased customer's random id and the time: every route of the id answers 404 for ever",
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("customer_id", Ty::Uuid),
            col("erased_at", Ty::Time),
            col("request_id", Ty::Uuid),
            described("mac", Ty::Bytes, "a MAC under the audit key over the fence"),
        ],
    },
    Table {
        name: "merchant_identities",
        category: Category::Identity,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopOwnerIdentity,
            purpose: "know-your-customer checks and payouts to the merchant",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("tk_version", Ty::Int),
            sealed("full_name"),
            sealed("national_id"),
            sealed("iban"),
            sealed("birth_date"),
            sealed("phone"),
            sealed("email"),
            sealed("address"),
            Column {
                nullable: true,
                ..sealed("postal_code")
            },
            sealed("country"),
            described(
                "national_id_bidx",
                Ty::Bytes,
                "keyed hash of the national ID, to find duplicate registrations",
            ),
            described(
                "iban_bidx",
                Ty::Bytes,
                "keyed hash of the IBAN, to find duplicate registrations",
            ),
            col("bidx_version", Ty::Int),
            col("updated_at", Ty::Time),
        ],
    },
    Table {
        name: "kyc_documents",
        category: Category::Documents,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopOwnerIdentity,
            purpose: "know-your-customer checks: identity documents and their review",
            basis: LegalBasis::LegalObligation,
            retention: Retention::ShopSetting {
                setting: "kyc_retention_days",
                from: Event::KycDecision,
            },
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            col("kind", Ty::Text),
            col("status", Ty::Text),
            col("content_type", Ty::Text),
            col("size", Ty::BigInt),
            col("stored_size", Ty::BigInt),
            col("sha256", Ty::Bytes),
            Column {
                nullable: true,
                encrypted: true,
                ..described(
                    "wrapped_key",
                    Ty::Bytes,
                    "the document's key, encrypted under the shop's tenant key",
                )
            },
            col("uploaded_by", Ty::Text),
            col("uploaded_at", Ty::Time),
            opt("decided_at", Ty::Time),
            opt("decided_by", Ty::Text),
            opt("reason", Ty::Text),
            opt("purged_at", Ty::Time),
        ],
    },
    Table {
        name: "privacy_settings",
        category: Category::PrivacySettings,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopOwnerIdentity,
            purpose: "the shop's privacy policy: controller identity and contact details",
            basis: LegalBasis::Contract,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("settings", Ty::Text),
            col("updated_at", Ty::Time),
            col("updated_by", Ty::Text),
        ],
    },
    Table {
        name: "policy_documents",
        category: Category::PolicyVersions,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopOwnerIdentity,
            purpose: "the published policy texts, which name the controller and its contact",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("version", Ty::Int),
            col("locale", Ty::Text),
            col("format", Ty::Text),
            col("body", Ty::Text),
            Column {
                nullable: true,
                ..described("body_gzip", Ty::Bytes, "the body above, gzip-compressed")
            },
            Column {
                nullable: true,
                ..described("body_br", Ty::Bytes, "the body above, brotli-compressed")
            },
        ],
    },
    Table {
        name: "policy_versions",
        category: Category::PolicyVersions,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopOwnerIdentity,
            purpose: "the history of the shop's published policy",
            basis: LegalBasis::LegalObligation,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("version", Ty::Int),
            col("hash", Ty::Text),
            opt("previous_hash", Ty::Text),
            col("settings", Ty::Text),
            col("changes", Ty::Text),
            col("locales", Ty::Text),
            col("default_locale", Ty::Text),
            col("effective_at", Ty::Time),
            col("published_at", Ty::Time),
            col("published_by", Ty::Text),
        ],
    },
    Table {
        name: "invitations",
        category: Category::Invitations,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::StaffMember,
            purpose: "inviting a person to a shop's staff",
            basis: LegalBasis::Contract,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            col("email", Ty::Text),
            col("role", Ty::Text),
            described(
                "token_hash",
                Ty::Bytes,
                "SHA-256 of the invitation token (the token itself is never stored)",
            ),
            col("invited_by", Ty::Text),
            col("created_at", Ty::Time),
            col("expires_at", Ty::Time),
            opt("accepted_at", Ty::Time),
        ],
    },
    Table {
        name: "api_keys",
        category: Category::ApiKeys,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "programmatic access to the shop",
            basis: LegalBasis::Contract,
            retention: Retention::Config {
                key: "api_key_unused_days",
                from: Event::LastUse,
            },
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            described(
                "key_hash",
                Ty::Bytes,
                "SHA-256 of the key (the key itself is never stored)",
            ),
            col("name", Ty::Text),
            col("role", Ty::Text),
            col("created_at", Ty::Time),
            opt("last_used_at", Ty::Time),
            opt("scopes", Ty::Text),
            opt("reveal_purposes", Ty::Text),
        ],
    },
    Table {
        name: "memberships",
        category: Category::Members,
        owner: Owner::ShopAndAccount {
            shop: "tenant_id",
            account: "account_id",
        },
        holds: Holds::Personal {
            subject: Subject::StaffMember,
            purpose: "who may act in which shop, and as what",
            basis: LegalBasis::Contract,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("account_id", Ty::Uuid),
            col("role", Ty::Text),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "data_requests",
        category: Category::DataRequests,
        owner: Owner::ShopAndAccount {
            shop: "tenant_id",
            account: "subject_account",
        },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "carrying out and proving data-subject requests (exports, erasures)",
            basis: LegalBasis::Contract,
            retention: Retention::Config {
                key: "export_ttl_secs",
                from: Event::ExportReady,
            },
            erasure: Erasure::Retain {
                reason: "proof that the erasure was carried out: the receipt holds no personal data; exports among these rows are deleted with their archives",
                until: Until::Forever,
            },
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("id", Ty::Uuid),
            col("kind", Ty::Text),
            opt("subject_account", Ty::Uuid),
            col("state", Ty::Text),
            col("requested_at", Ty::Time),
            col("due_at", Ty::Time),
            opt("completed_at", Ty::Time),
            opt("expires_at", Ty::Time),
            opt("lease_until", Ty::Time),
            col("attempts", Ty::Int),
            opt("object_size", Ty::BigInt),
            opt("object_sha256", Ty::Bytes),
            Column {
                nullable: true,
                encrypted: true,
                ..described(
                    "wrapped_key",
                    Ty::Bytes,
                    "the export archive's key, encrypted under the tenant key",
                )
            },
            opt("tk_version", Ty::Int),
            opt("progress", Ty::Text),
            opt("receipt", Ty::Text),
            opt("signature", Ty::Text),
            opt("key_id", Ty::Text),
            opt("error", Ty::Text),
            Column {
                nullable: true,
                ..described(
                    "mac",
                    Ty::Bytes,
                    "a MAC under the audit key over what the row was created with: the worker runs only requests harim made",
                )
            },
        ],
    },
    Table {
        name: "tenant_keys",
        category: Category::TenantKeys,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::ShopOwnerIdentity,
            purpose: "the shop's own key: every ciphertext of the shop is readable only through it",
            basis: LegalBasis::LegitimateInterest,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Shred,
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("tk_version", Ty::Int),
            col("kek_version", Ty::Int),
            Column {
                encrypted: true,
                ..described(
                    "wrapped",
                    Ty::Bytes,
                    "the shop's key, encrypted under a root key",
                )
            },
            col("encryptions", Ty::BigInt),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "audit_log",
        category: Category::AuditLog,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "accountability for every access to personal data",
            basis: LegalBasis::LegalObligation,
            retention: Retention::Config {
                key: "audit_retention_days",
                from: Event::Created,
            },
            erasure: Erasure::Retain {
                reason: AUDIT_REASON,
                until: Until::DaysAfterErasure {
                    days: AUDIT_DAYS_AFTER_ERASURE,
                },
            },
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("seq", Ty::BigInt),
            col("id", Ty::Uuid),
            col("at", Ty::Time),
            col("actor", Ty::Text),
            col("action", Ty::Text),
            col("fields", Ty::Text),
            opt("purpose", Ty::Text),
            opt("request_id", Ty::Text),
            col("prev_hash", Ty::Bytes),
            col("hash", Ty::Bytes),
            Column {
                nullable: true,
                ..described(
                    "pruned_mac",
                    Ty::Bytes,
                    "set when retention removed the entry's content: a MAC over what is kept",
                )
            },
        ],
    },
    Table {
        name: "audit_heads",
        category: Category::AuditLog,
        owner: Owner::Shop {
            column: "tenant_id",
        },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "the end of the shop's audit chain, so a deleted tail is noticed",
            basis: LegalBasis::LegalObligation,
            retention: Retention::Days {
                days: AUDIT_DAYS_AFTER_ERASURE,
                from: Event::Erasure,
            },
            erasure: Erasure::Retain {
                reason: AUDIT_REASON,
                until: Until::DaysAfterErasure {
                    days: AUDIT_DAYS_AFTER_ERASURE,
                },
            },
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("seq", Ty::BigInt),
            col("hash", Ty::Bytes),
            Column {
                nullable: true,
                ..described(
                    "at",
                    Ty::Time,
                    "the time of the head entry: the next entry is never dated before it",
                )
            },
        ],
    },
    Table {
        name: "shops",
        category: Category::Shop,
        owner: Owner::Shop { column: "id" },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "the shop itself: its name and address on the platform",
            basis: LegalBasis::Contract,
            retention: Retention::WhileShopExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("id", Ty::Uuid),
            col("name", Ty::Text),
            col("slug", Ty::Text),
            col("default_locale", Ty::Text),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "login_attempts",
        category: Category::Sessions,
        owner: Owner::Platform,
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "limiting sign-in attempts per client address and per e-mail address",
            basis: LegalBasis::LegitimateInterest,
            retention: Retention::Seconds {
                secs: LOGIN_WINDOW_RETENTION_SECS,
                from: Event::WindowEnd,
            },
            erasure: Erasure::Delete,
        },
        columns: &[
            described(
                "bucket",
                Ty::Bytes,
                "SHA-256 of `ip:<client address>` or `email:<address>` (neither stored as such)",
            ),
            col("window_start", Ty::BigInt),
            col("attempts", Ty::Int),
        ],
    },
    Table {
        name: "sessions",
        category: Category::Sessions,
        owner: Owner::Account {
            column: "account_id",
        },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "keeping a person signed in",
            basis: LegalBasis::Contract,
            retention: Retention::Config {
                key: "session_ttl_secs",
                from: Event::Created,
            },
            erasure: Erasure::Delete,
        },
        columns: &[
            described(
                "token_hash",
                Ty::Bytes,
                "SHA-256 of the session token (the token itself is never stored)",
            ),
            col("account_id", Ty::Uuid),
            col("created_at", Ty::Time),
            col("expires_at", Ty::Time),
        ],
    },
    Table {
        name: "accounts",
        category: Category::Account,
        owner: Owner::Account { column: "id" },
        holds: Holds::Personal {
            subject: Subject::MerchantAccount,
            purpose: "signing in and being reached about the account",
            basis: LegalBasis::Contract,
            retention: Retention::WhileAccountExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("id", Ty::Uuid),
            col("email", Ty::Text),
            described(
                "password_hash",
                Ty::Text,
                "argon2id hash of the password (the password itself is never stored)",
            ),
            opt("display_name", Ty::Text),
            col("created_at", Ty::Time),
        ],
    },
    Table {
        name: "erasure_fences",
        category: Category::DataRequests,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "an erased shop's random id, the time and the SHA-256 of its slug: keeps the id from ever being keyed again and the slug from being taken over",
        },
        columns: &[
            col("tenant_id", Ty::Uuid),
            col("erased_at", Ty::Time),
            col("request_id", Ty::Uuid),
            col("slug_digest", Ty::Bytes),
            Column {
                nullable: true,
                ..described(
                    "mac",
                    Ty::Bytes,
                    "a MAC under the audit key over the fence: only a fence harim wrote lets a chain be purged",
                )
            },
        ],
    },
    Table {
        name: "platform_tokens",
        category: Category::PlatformOperators,
        owner: Owner::Platform,
        holds: Holds::Personal {
            subject: Subject::PlatformOperator,
            purpose: "operator access to review and key administration",
            basis: LegalBasis::LegitimateInterest,
            retention: Retention::WhileAccountExists,
            erasure: Erasure::Delete,
        },
        columns: &[
            col("id", Ty::Uuid),
            described(
                "token_hash",
                Ty::Bytes,
                "SHA-256 of the token (the token itself is never stored)",
            ),
            col("name", Ty::Text),
            col("role", Ty::Text),
            col("created_at", Ty::Time),
            opt("expires_at", Ty::Time),
        ],
    },
    Table {
        name: "key_rotation_jobs",
        category: Category::TenantKeys,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "progress of root and tenant key rotations: counts and versions",
        },
        columns: &[
            col("id", Ty::Uuid),
            col("kind", Ty::Text),
            col("target_kek_version", Ty::Int),
            col("state", Ty::Text),
            col("total", Ty::BigInt),
            col("done", Ty::BigInt),
            opt("error", Ty::Text),
            col("created_at", Ty::Time),
            col("updated_at", Ty::Time),
            opt("finished_at", Ty::Time),
        ],
    },
    Table {
        name: "root_key_versions",
        category: Category::TenantKeys,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "which root key versions may wrap, unwrap or are destroyed",
        },
        columns: &[
            col("version", Ty::Int),
            col("state", Ty::Text),
            col("changed_at", Ty::Time),
            opt("key_id_hex", Ty::Text),
        ],
    },
    Table {
        name: "webhook_endpoints",
        category: Category::PlatformOperators,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "where the platform's other systems receive privacy events: a URL, topics and the signing secret sealed under the platform key",
        },
        columns: &[
            col("id", Ty::Uuid),
            col("url", Ty::Text),
            col("topics", Ty::Text),
            described(
                "secret",
                Ty::Bytes,
                "the signing secret, sealed under the platform key",
            ),
            col("created_at", Ty::Time),
            col("created_by", Ty::Text),
            opt("disabled_at", Ty::Time),
        ],
    },
    Table {
        name: "receipt_keys",
        category: Category::TenantKeys,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "every public key that ever signed a receipt (served at /.well-known/harim/receipt-keys)",
        },
        columns: &[
            col("key_id", Ty::Text),
            col("alg", Ty::Text),
            col("public_key", Ty::Text),
            col("first_used_at", Ty::Time),
        ],
    },
    Table {
        name: "platform_policy_versions",
        category: Category::PolicyVersions,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "the platform's own published privacy policy: its inputs (the operator's facts and published contact addresses, this data map, the configured periods), hash chain and change lists; nobody's personal data",
        },
        columns: &[
            col("version", Ty::Int),
            col("hash", Ty::Text),
            opt("previous_hash", Ty::Text),
            col("inputs", Ty::Text),
            col("changes", Ty::Text),
            col("locales", Ty::Text),
            col("default_locale", Ty::Text),
            col("effective_at", Ty::Time),
            col("published_at", Ty::Time),
            col("published_by", Ty::Text),
        ],
    },
    Table {
        name: "platform_policy_documents",
        category: Category::PolicyVersions,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "the rendered documents of the platform's own privacy policy",
        },
        columns: &[
            col("version", Ty::Int),
            col("locale", Ty::Text),
            col("format", Ty::Text),
            col("body", Ty::Text),
            opt("body_gzip", Ty::Bytes),
            opt("body_br", Ty::Bytes),
        ],
    },
    Table {
        name: "seaql_migrations",
        category: Category::TenantKeys,
        owner: Owner::Platform,
        holds: Holds::NoPersonalData {
            why: "which schema migrations were applied, and when",
        },
        columns: &[col("version", Ty::Text), col("applied_at", Ty::BigInt)],
    },
];

/// Personal data outside the database.
pub const PLACES: &[Place] = &[
    Place {
        name: "KYC document objects",
        kind: PlaceKind::Object,
        location: "t/{shop_id}/d/{document_id}",
        subject: Subject::ShopOwnerIdentity,
        category: Category::Documents,
        purpose: "know-your-customer checks: the identity documents themselves",
        basis: LegalBasis::LegalObligation,
        retention: Retention::ShopSetting {
            setting: "kyc_retention_days",
            from: Event::KycDecision,
        },
        export: ExportForm::OriginalFile,
        erasure: Erasure::Shred,
    },
    Place {
        name: "Shop export archives",
        kind: PlaceKind::Object,
        location: "t/{shop_id}/x/{request_id}",
        subject: Subject::ShopOwnerIdentity,
        category: Category::DataRequests,
        purpose: "the archive a shop owner asked for",
        basis: LegalBasis::Contract,
        retention: Retention::Config {
            key: "export_ttl_secs",
            from: Event::ExportReady,
        },
        export: ExportForm::Described {
            what: "earlier exports are listed in data_requests, not copied into a new one",
        },
        erasure: Erasure::Shred,
    },
    Place {
        name: "Account export archives",
        kind: PlaceKind::Object,
        location: "a/{account_id}/x/{request_id}",
        subject: Subject::MerchantAccount,
        category: Category::DataRequests,
        purpose: "the archive a person asked for",
        basis: LegalBasis::Contract,
        retention: Retention::Config {
            key: "export_ttl_secs",
            from: Event::ExportReady,
        },
        export: ExportForm::Described {
            what: "earlier exports are listed in data_requests, not copied into a new one",
        },
        erasure: Erasure::Delete,
    },
    Place {
        name: "Service log",
        kind: PlaceKind::Log,
        location: "stdout/stderr of `harim serve` (the operator's log pipeline)",
        subject: Subject::MerchantAccount,
        category: Category::AuditLog,
        purpose: "operating the service: request ids, routes, status codes, timings",
        basis: LegalBasis::LegitimateInterest,
        retention: Retention::Operator {
            what: "the operator's log retention",
        },
        export: ExportForm::Described {
            what: "holds ids and routes, never a value a person entered (tested); not exported",
        },
        erasure: Erasure::Retain {
            reason: "holds no value a person entered, only random ids; the operator's log retention ends it",
            until: Until::Forever,
        },
    },
];

/// What the retention job does to one kind of residue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ResidueAction {
    /// The column is set to NULL in the rows that name the account.
    SetNull { column: &'static str },
    /// The entries' content is removed; their place in the chain and their links are kept, so
    /// the chain still verifies ([`crate::audit::prune`]).
    PruneAuditContent,
}

/// Something an account erasure keeps (the receipt says so), and when the retention job
/// removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Residue {
    pub table: &'static str,
    pub what: &'static str,
    pub action: ResidueAction,
    pub retention: Retention,
}

const AFTER_ACCOUNT_DELETION: Retention = Retention::Config {
    key: "after_account_deletion_days",
    from: Event::Erasure,
};

/// What an erased account leaves behind. Erasure deletes the account's own rows at once; these
/// name it by its random id only, and after `after_account_deletion_days` nothing but the
/// signed receipt (proof of the erasure, which must name what it erased) does.
pub const ACCOUNT_RESIDUE: &[Residue] = &[
    Residue {
        table: "audit_log",
        what: "entries the account is the actor of, in shops it did not solely own and in the platform chain",
        action: ResidueAction::PruneAuditContent,
        retention: AFTER_ACCOUNT_DELETION,
    },
    Residue {
        table: "data_requests",
        what: "requests the account made or was the subject of (its exports, the shop erasures its erasure caused)",
        action: ResidueAction::SetNull {
            column: "subject_account",
        },
        retention: AFTER_ACCOUNT_DELETION,
    },
    Residue {
        table: "data_requests",
        what: "the progress notes of finished erasures that list the account as a member",
        action: ResidueAction::SetNull { column: "progress" },
        retention: AFTER_ACCOUNT_DELETION,
    },
];

/// The map's version: the first 16 hex digits of the SHA-256 of its canonical JSON. Any change
/// to the map changes it; exports and receipts name it.
pub fn version() -> String {
    let body = serde_json::to_vec(&(TABLES, PLACES, ACCOUNT_RESIDUE)).unwrap_or_default();
    hex::encode(&Sha256::digest(&body)[..8])
}

/// The table called `name`, if the map has it.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

fn erasure_text(e: Option<Erasure>) -> String {
    match e {
        None => "-".into(),
        Some(Erasure::Shred) => "shred".into(),
        Some(Erasure::Delete) => "delete".into(),
        Some(Erasure::Anonymise) => "anonymise".into(),
        Some(Erasure::Retain { reason, until }) => {
            let until = match until {
                Until::DaysAfterErasure { days } => format!("{days} days after erasure"),
                Until::Forever => "while the installation exists".into(),
            };
            format!("retain until {until}: {reason}")
        }
    }
}

fn retention_text(r: Retention) -> String {
    fn event(e: Event) -> &'static str {
        match e {
            Event::Created => "creation",
            Event::KycDecision => "the review decision",
            Event::Erasure => "erasure",
            Event::ExportReady => "the archive is ready",
            Event::LastUse => "the last use",
            Event::WindowEnd => "the counting window ends",
            Event::LastActivity => "the customer's last activity",
            Event::LastOrder => "the customer's last order",
        }
    }
    match r {
        Retention::WhileAccountExists => "while the account exists".into(),
        Retention::WhileShopExists => "while the shop exists".into(),
        Retention::Days { days, from } => format!("{days} days after {}", event(from)),
        Retention::ShopSetting { setting, from } => {
            format!("`{setting}` (shop setting) after {}", event(from))
        }
        Retention::Config { key, from } => format!("`{key}` (configuration) after {}", event(from)),
        Retention::Seconds { secs, from } => format!("{secs} seconds after {}", event(from)),
        Retention::Operator { what } => format!("not enforced by harim: {what}"),
    }
}

fn export_text(e: ExportForm) -> String {
    match e {
        ExportForm::Value => "value".into(),
        ExportForm::Decrypted => "decrypted value".into(),
        ExportForm::Described { what } => format!("described: {what}"),
        ExportForm::OriginalFile => "original file".into(),
        ExportForm::CustomerDecrypted { .. } => "decrypted value (customer key)".into(),
    }
}

fn json_text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// `docs/data-map.md`: the map as a document (a test fails when the file differs).
pub fn render_markdown() -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Data map\n\n<!-- generated from crates/harim-store/src/datamap.rs by \
         `HARIM_BLESS=1 cargo test -p harim-store data_map_document`; do not edit -->\n\n\
         Data-map version `{}`. Every table and column of the schema, every object kind and \
         every log harim writes; the export, the erasure job and the receipts are driven from \
         this map, and a test fails when the schema has a column the map does not name.\n",
        version()
    );
    let _ = writeln!(out, "## Tables\n");
    for t in TABLES {
        let _ = writeln!(out, "### `{}`\n", t.name);
        let owner = match t.owner {
            Owner::Shop { column } => format!("a shop (`{column}`)"),
            Owner::Account { column } => format!("an account (`{column}`)"),
            Owner::ShopAndAccount { shop, account } => {
                format!("a shop (`{shop}`) and an account (`{account}`)")
            }
            Owner::Platform => "the platform".into(),
        };
        let _ = writeln!(out, "- rows belong to: {owner}");
        let _ = writeln!(out, "- export file: `data/{}.json`", t.category.as_str());
        match t.holds {
            Holds::Personal {
                subject,
                purpose,
                basis,
                retention,
                erasure,
            } => {
                let _ = writeln!(out, "- subject: {}", json_text(&subject));
                let _ = writeln!(out, "- purpose: {purpose}");
                let _ = writeln!(out, "- legal basis: {}", json_text(&basis));
                let _ = writeln!(out, "- retention: {}", retention_text(retention));
                let _ = writeln!(out, "- erasure: {}", erasure_text(Some(erasure)));
            }
            Holds::NoPersonalData { why } => {
                let _ = writeln!(out, "- no personal data: {why}");
            }
        }
        let _ = writeln!(
            out,
            "\n| column | stored as | export | encrypted |\n|---|---|---|---|"
        );
        for c in t.columns {
            let _ = writeln!(
                out,
                "| `{}` | {}{} | {} | {} |",
                c.name,
                json_text(&c.ty),
                if c.nullable { ", nullable" } else { "" },
                export_text(c.export),
                if c.encrypted {
                    "yes (shredded with the tenant key)"
                } else {
                    "no"
                }
            );
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "## Objects and logs\n");
    let _ = writeln!(
        out,
        "| place | kind | where | subject | purpose | legal basis | retention | export | erasure |\n|---|---|---|---|---|---|---|---|---|"
    );
    for p in PLACES {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} | {} | {} | {} | {} | {} |",
            p.name,
            json_text(&p.kind),
            p.location,
            json_text(&p.subject),
            p.purpose,
            json_text(&p.basis),
            retention_text(p.retention),
            export_text(p.export),
            erasure_text(Some(p.erasure)),
        );
    }
    let _ = writeln!(
        out,
        "\n## What an erased account leaves behind\n\n\
         Run by the retention job (`harim_store::retention`).\n\n\
         | table | what | action | retention |\n|---|---|---|---|"
    );
    for r in ACCOUNT_RESIDUE {
        let action = match r.action {
            ResidueAction::SetNull { column } => format!("`{column}` set to NULL"),
            ResidueAction::PruneAuditContent => "content removed, links kept".into(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {action} | {} |",
            r.table,
            r.what,
            retention_text(r.retention)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// `docs/data-map.md` is the map's rendering; `HARIM_BLESS=1` rewrites it.
    #[test]
    fn data_map_document_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/data-map.md");
        let want = render_markdown();
        if std::env::var_os("HARIM_BLESS").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "docs/data-map.md is stale: run `HARIM_BLESS=1 cargo test -p harim-store data_map_document`"
        );
    }

    /// Everything erasure deletes or shreds is exported (as a value, decrypted, as the file, or
    /// at least described); only what is retained, with a reason, may be left out.
    #[test]
    fn everything_erased_is_exported_and_everything_else_is_retained_with_a_reason() {
        for t in TABLES {
            if let Some(e) = t.erasure() {
                assert!(
                    t.shop_column().is_some()
                        || t.account_column().is_some()
                        || matches!(t.owner, Owner::Platform),
                    "{} has no owner",
                    t.name
                );
                if let Erasure::Retain { reason, .. } = e {
                    assert!(!reason.is_empty(), "{} retains without a reason", t.name);
                }
            }
            let names: std::collections::BTreeSet<_> = t.columns.iter().map(|c| c.name).collect();
            assert_eq!(
                names.len(),
                t.columns.len(),
                "{} names a column twice",
                t.name
            );
            if let Some(c) = t.shop_column() {
                assert!(names.contains(c), "{}: no column {c}", t.name);
            }
            if let Some(c) = t.account_column() {
                assert!(names.contains(c), "{}: no column {c}", t.name);
            }
            for c in t.columns {
                if c.encrypted {
                    assert!(
                        matches!(t.erasure(), Some(Erasure::Shred | Erasure::Retain { .. })),
                        "{}.{} is ciphertext but its table is not shredded",
                        t.name,
                        c.name
                    );
                }
            }
        }
        assert_eq!(version().len(), 16);
    }
}
