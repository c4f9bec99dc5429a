//! The shop's customers in the vault: created and read masked, found by phone or e-mail,
//! revealed with a purpose (audited first), their orders' contacts sealed, erased one by one.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use harim_store::{
    customers::{self, Lookup, MaskedCustomer, NewOrder, OrderView, Purpose},
    ids::CustomerId,
};
use harim_vault::pii::{self, AddressInput, CUSTOMER_FIELDS, Customer, CustomerInput};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, Created, RequestId, created, identity::Revealed, rights::ReceiptOut};
use crate::{AppState, error::ApiError, scope::ShopCtx, validate::Errors};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_customer, find_customers))
        .routes(routes!(get_customer, put_customer, erase_customer))
        .routes(routes!(reveal_customer))
        .routes(routes!(reveal_customers))
        .routes(routes!(add_order))
}

/// Request body of create and replace (documentation shape; parsing is `harim_vault::pii`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CustomerIn {
    name: String,
    email: Option<String>,
    /// E.164, or national form for the first address's country.
    phone: Option<String>,
    /// At most 10.
    addresses: Option<Vec<AddressIn>>,
    /// One of fa, ar, sq, en.
    locale: Option<String>,
    /// The commerce core's own id: 1 to 128 of letters, digits, `_ . : -`.
    external_ref: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddressIn {
    line: String,
    city: String,
    /// Validated by country (IR 10 digits, AL 4, SA 5; optional for AE).
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: String,
}

/// A customer, masked.
#[derive(Serialize, ToSchema)]
pub struct CustomerOut {
    /// `cus_` and 32 hex digits.
    id: String,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    #[schema(value_type = Vec<Object>)]
    addresses: Vec<pii::MaskedAddress>,
    locale: Option<String>,
    external_ref: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl From<MaskedCustomer> for CustomerOut {
    fn from(m: MaskedCustomer) -> Self {
        Self {
            id: m.id,
            name: m.name,
            email: m.email,
            phone: m.phone,
            addresses: m.addresses,
            locale: m.locale,
            external_ref: m.external_ref,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A path's customer id; anything but `cus_<32 hex>` is a customer the shop does not have.
fn customer_id(raw: &str) -> Result<CustomerId, ApiError> {
    CustomerId::parse_public(raw).ok_or(ApiError::NotFound)
}

fn parse(input: &CustomerInput) -> Result<Customer, ApiError> {
    Customer::parse(input).map_err(ApiError::Validation)
}

/// Create a customer of the shop (the shop's people and keys). Every value is validated and
/// sealed under the customer's own key; the answer is masked.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/customers", tag = "customers",
    params(("shop_id" = Uuid, Path)), request_body = CustomerIn,
    responses(
        (status = 201, body = CustomerOut),
        (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, description = "every invalid field is named", body = crate::Problem, content_type = "application/problem+json")))]
async fn create_customer(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    ApiJson(input): ApiJson<CustomerInput>,
) -> Result<Created<CustomerOut>, ApiError> {
    let c = parse(&input)?;
    let m = customers::create(&state.db, &state.vault, &tenant, c, request_id).await?;
    let location = format!("/v1/shops/{}/customers/{}", tenant.tenant_id(), m.id);
    Ok(created(location, m.into()))
}

/// A customer, masked.
#[utoipa::path(get, path = "/v1/shops/{shop_id}/customers/{customer_id}", tag = "customers",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)),
    responses((status = 200, body = CustomerOut), (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn get_customer(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Path((_, id)): Path<(String, String)>,
) -> Result<ApiJson<CustomerOut>, ApiError> {
    let id = customer_id(&id)?;
    Ok(ApiJson(
        customers::get(&state.db, &state.vault, &tenant, id)
            .await?
            .into(),
    ))
}

/// Replace a customer's fields (as create); the answer is masked.
#[utoipa::path(put, path = "/v1/shops/{shop_id}/customers/{customer_id}", tag = "customers",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)), request_body = CustomerIn,
    responses((status = 200, body = CustomerOut), (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn put_customer(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<CustomerInput>,
) -> Result<ApiJson<CustomerOut>, ApiError> {
    let id = customer_id(&id)?;
    let c = parse(&input)?;
    Ok(ApiJson(
        customers::update(&state.db, &state.vault, &tenant, id, c, request_id)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    /// E.164 (`+98...`): a national form is not guessed for a lookup.
    phone: Option<String>,
    email: Option<String>,
}

/// Customers with this phone or e-mail (exact, through the shop's keyed index; normalised
/// first: E.164, lower case).
#[utoipa::path(get, path = "/v1/shops/{shop_id}/customers", tag = "customers",
    params(("shop_id" = Uuid, Path), FindQuery),
    responses((status = 200, body = Vec<CustomerOut>), (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn find_customers(
    State(state): State<AppState>,
    tenant: ShopCtx,
    Query(q): Query<FindQuery>,
) -> Result<ApiJson<Vec<CustomerOut>>, ApiError> {
    let mut errs = Errors::default();
    let by = match (&q.phone, &q.email) {
        (Some(p), None) => pii::parse_phone(p, None)
            .map(Lookup::Phone)
            .map_err(|e| errs.add("phone", e.code, e.message))
            .ok(),
        (None, Some(e)) => pii::Email::parse(e)
            .map(Lookup::Email)
            .map_err(|e| errs.add("email", e.code, e.message))
            .ok(),
        _ => {
            errs.add(
                "phone",
                "one_of",
                "Give exactly one of `phone` and `email`.",
            );
            None
        }
    };
    errs.finish()?;
    let Some(by) = by else {
        return Err(ApiError::NotFound);
    };
    let found = customers::lookup(&state.db, &state.vault, &tenant, &by).await?;
    Ok(ApiJson(found.into_iter().map(CustomerOut::from).collect()))
}

/// Body of a reveal of one customer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealIn {
    /// name, email, phone, addresses.
    fields: Vec<String>,
    #[schema(value_type = String)]
    purpose: Purpose,
}

/// Body of a batch reveal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRevealIn {
    /// At most 500 ids (`cus_...`).
    customer_ids: Vec<String>,
    fields: Vec<String>,
    #[schema(value_type = String)]
    purpose: Purpose,
}

fn reveal_fields(raw: &[String]) -> Result<Vec<String>, ApiError> {
    super::common::reveal_fields(
        raw,
        &CUSTOMER_FIELDS,
        "Not a customer field (name, email, phone, addresses).",
    )
}

#[derive(Serialize, ToSchema)]
pub struct RevealOut {
    #[schema(value_type = Object)]
    fields: BTreeMap<String, RevealedValue>,
    #[schema(value_type = String)]
    purpose: Purpose,
}

/// A revealed value: text, or the addresses as JSON.
pub enum RevealedValue {
    Text(Revealed),
    Addresses(Vec<pii::StoredAddress>),
}

impl Serialize for RevealedValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RevealedValue::Text(t) => t.serialize(s),
            RevealedValue::Addresses(a) => a.serialize(s),
        }
    }
}

fn revealed(
    fields: BTreeMap<String, SecretString>,
) -> Result<BTreeMap<String, RevealedValue>, ApiError> {
    fields
        .into_iter()
        .map(|(f, v)| {
            let value = if f == "addresses" {
                RevealedValue::Addresses(
                    serde_json::from_str(v.expose_secret())
                        .map_err(|e| ApiError::Internal(format!("addresses: {e}")))?,
                )
            } else {
                RevealedValue::Text(Revealed::new(v))
            };
            Ok((f, value))
        })
        .collect()
}

/// Reveal named fields of one customer in plaintext, for a purpose; audited before answering.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/customers/{customer_id}/reveal", tag = "customers",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)), request_body = RevealIn,
    responses((status = 200, body = RevealOut), (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn reveal_customer(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<RevealIn>,
) -> Result<ApiJson<RevealOut>, ApiError> {
    let id = customer_id(&id)?;
    let fields = reveal_fields(&input.fields)?;
    let mut out = customers::reveal(
        &state.db,
        &state.vault,
        &tenant,
        vec![id],
        fields,
        input.purpose,
        request_id,
    )
    .await?;
    let (_, fields) = out.pop().ok_or(ApiError::NotFound)?;
    Ok(ApiJson(RevealOut {
        fields: revealed(fields)?,
        purpose: input.purpose,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct BatchRevealOut {
    customers: Vec<RevealedCustomer>,
    #[schema(value_type = String)]
    purpose: Purpose,
}

#[derive(Serialize, ToSchema)]
pub struct RevealedCustomer {
    id: String,
    #[schema(value_type = Object)]
    fields: BTreeMap<String, RevealedValue>,
}

/// Reveal the same fields of up to 500 customers for one purpose (a day's shipping labels):
/// one audit entry per customer, all in one transaction, before anything is decrypted.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/customers/reveal", tag = "customers",
    params(("shop_id" = Uuid, Path)), request_body = BatchRevealIn,
    responses((status = 200, body = BatchRevealOut), (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn reveal_customers(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    ApiJson(input): ApiJson<BatchRevealIn>,
) -> Result<ApiJson<BatchRevealOut>, ApiError> {
    let mut errs = Errors::default();
    if input.customer_ids.is_empty() || input.customer_ids.len() > customers::MAX_BATCH {
        errs.add("customer_ids", "out_of_range", "Name 1 to 500 customers.");
    }
    let mut ids: Vec<CustomerId> = Vec::new();
    for (i, raw) in input.customer_ids.iter().enumerate() {
        match CustomerId::parse_public(raw) {
            Some(id) if !ids.contains(&id) => ids.push(id),
            Some(_) => {}
            None => errs.add(
                &format!("customer_ids[{i}]"),
                "invalid_format",
                "A customer id is `cus_` and 32 hex digits.",
            ),
        }
    }
    let fields = reveal_fields(&input.fields);
    errs.finish()?;
    let fields = fields?;
    let out = customers::reveal(
        &state.db,
        &state.vault,
        &tenant,
        ids,
        fields,
        input.purpose,
        request_id,
    )
    .await?;
    Ok(ApiJson(BatchRevealOut {
        customers: out
            .into_iter()
            .map(|(id, f)| {
                Ok(RevealedCustomer {
                    id: id.public(),
                    fields: revealed(f)?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        purpose: input.purpose,
    }))
}

/// Body of an order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIn {
    /// The commerce core's order reference: 1 to 128 of letters, digits, `_ . : - #`.
    order_ref: String,
    /// RFC 3339.
    placed_at: String,
    total: TotalIn,
    #[schema(value_type = Option<AddressIn>)]
    shipping_address: Option<AddressInput>,
    #[schema(value_type = Option<String>)]
    phone: Option<SecretString>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotalIn {
    /// A decimal string, e.g. `"1250000"` or `"19.90"`.
    amount: String,
    /// ISO 4217, e.g. `IRR`, `SAR`, `ALL`, `AED`.
    currency: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderOut {
    id: Uuid,
    order_ref: String,
    #[serde(with = "time::serde::rfc3339")]
    placed_at: OffsetDateTime,
    #[schema(value_type = Object)]
    total: serde_json::Value,
    #[schema(value_type = Option<Object>)]
    shipping_address: Option<pii::MaskedAddress>,
    phone: Option<String>,
}

impl From<OrderView> for OrderOut {
    fn from(o: OrderView) -> Self {
        Self {
            id: o.id,
            order_ref: o.order_ref,
            placed_at: o.placed_at,
            total: o.total,
            shipping_address: o.shipping_address,
            phone: o.phone,
        }
    }
}

fn decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    !int.is_empty()
        && int.len() <= 18
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 4
        && frac.bytes().all(|b| b.is_ascii_digit())
        && (s.split_once('.').is_none() || !frac.is_empty())
}

fn parse_order(input: OrderIn) -> Result<NewOrder, ApiError> {
    let mut errs = Errors::default();
    let r = &input.order_ref;
    if !(1..=128).contains(&r.len())
        || !r
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-#".contains(&b))
    {
        errs.add(
            "order_ref",
            "invalid_format",
            "An order reference has 1 to 128 letters, digits, '_', '.', ':', '-' or '#'.",
        );
    }
    let placed_at = OffsetDateTime::parse(
        &input.placed_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| {
        errs.add(
            "placed_at",
            "invalid_format",
            "The time is RFC 3339, e.g. 2026-12-07T10:00:00Z.",
        )
    })
    .ok();
    if !decimal(&input.total.amount) {
        errs.add(
            "total.amount",
            "invalid_format",
            "The amount is a non-negative decimal string with at most 4 decimals.",
        );
    }
    let c = &input.total.currency;
    if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) {
        errs.add(
            "total.currency",
            "invalid_format",
            "The currency is an ISO 4217 code, e.g. IRR.",
        );
    }
    // The address and phone through the customer rules (field names prefixed).
    let probe = CustomerInput {
        name: Some(SecretString::from("x")),
        phone: input.phone.clone(),
        addresses: input.shipping_address.clone().map(|a| vec![a]),
        ..Default::default()
    };
    let contact = match Customer::parse(&probe) {
        Ok(c) => Some(c),
        Err(v) => {
            for e in v {
                let field = e.field.replacen("addresses[0]", "shipping_address", 1);
                errs.add(&field, &e.code, &e.message);
            }
            None
        }
    };
    errs.finish()?;
    let (Some(placed_at), Some(contact)) = (placed_at, contact) else {
        return Err(ApiError::Internal("order parsed without its parts".into()));
    };
    let shipping_address = contact.addresses_json().and_then(|j| {
        serde_json::from_str::<Vec<pii::StoredAddress>>(&j)
            .ok()
            .and_then(|mut v| v.pop())
    });
    Ok(NewOrder {
        order_ref: input.order_ref,
        placed_at,
        amount: input.total.amount,
        currency: input.total.currency,
        shipping_address,
        phone: contact.phone,
    })
}

/// Record an order of the customer: what tax law keeps, and the contact used for it sealed under
/// the customer's key.
#[utoipa::path(post, path = "/v1/shops/{shop_id}/customers/{customer_id}/orders", tag = "customers",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)), request_body = OrderIn,
    responses((status = 201, body = OrderOut), (status = 404, body = crate::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::Problem, content_type = "application/problem+json")))]
async fn add_order(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    Path((_, id)): Path<(String, String)>,
    ApiJson(input): ApiJson<OrderIn>,
) -> Result<Created<OrderOut>, ApiError> {
    let id = customer_id(&id)?;
    let order = parse_order(input)?;
    let o = customers::add_order(&state.db, &state.vault, &tenant, id, order, request_id).await?;
    let location = format!(
        "/v1/shops/{}/customers/{}/orders/{}",
        tenant.tenant_id(),
        id.public(),
        o.id
    );
    Ok(created(location, o.into()))
}

/// Erase one customer (owner): their key is destroyed, so nothing of theirs decrypts any more;
/// their orders keep what tax law needs and nothing that identifies them. Answers the signed
/// receipt; afterwards every route of the customer answers 404.
#[utoipa::path(delete, path = "/v1/shops/{shop_id}/customers/{customer_id}", tag = "customers",
    params(("shop_id" = Uuid, Path), ("customer_id" = String, Path)),
    responses((status = 202, body = ReceiptOut), (status = 403, body = crate::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::Problem, content_type = "application/problem+json")))]
async fn erase_customer(
    State(state): State<AppState>,
    tenant: ShopCtx,
    RequestId(request_id): RequestId,
    Path((_, id)): Path<(String, String)>,
) -> Result<(StatusCode, ApiJson<ReceiptOut>), ApiError> {
    let id = customer_id(&id)?;
    let signed = customers::erase(&state.db, &state.vault, &tenant, id, request_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(signed.into())))
}
