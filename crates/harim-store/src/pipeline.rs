//! A shop's policy and the platform's own are two pipelines of one shape: publish a version
//! from facts, resolve which version a public page serves, read one frozen document of it.
//! [`Pipeline`] is that shape, so the public pages (`harim-api`) serve both through one
//! handler, and a third kind of policy would be a third implementation, not a third copy.

use std::{future::Future, sync::Arc};

use harim_policy::{Locale, platform::Platform};
use harim_vault::Vault;
use sea_orm::DatabaseConnection;
use time::OffsetDateTime;

use crate::{
    StoreError, platform_policy,
    policies::{self, DocumentFormat, Encoded, Resolved, Version},
    scope::{PlatformScope, ShopScope},
};

/// One policy pipeline.
pub trait Pipeline: Send + Sync + 'static {
    /// Who may publish: a shop's owner, or a platform admin.
    type Scope: Sync;
    /// What a version is made from besides what is stored: the platform's facts for a shop's
    /// policy, the platform's whole context (facts, periods, routes) for its own.
    type Facts: Sync;
    /// What names the policy on a public route: a shop's slug; nothing for the platform's.
    type Name: ?Sized + Sync;

    /// Publishes a new version.
    fn publish(
        db: &DatabaseConnection,
        vault: &Arc<Vault>,
        scope: &Self::Scope,
        facts: &Self::Facts,
        effective_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send;

    /// Which version a public page serves: version `n`, or the one in force.
    fn resolve(
        db: &DatabaseConnection,
        name: &Self::Name,
        n: Option<i32>,
    ) -> impl Future<Output = Result<Resolved, StoreError>> + Send;

    /// One frozen document of a resolved version, in every coding.
    fn document(
        db: &DatabaseConnection,
        resolved: &Resolved,
        locale: Locale,
        format: DocumentFormat,
    ) -> impl Future<Output = Result<Encoded, StoreError>> + Send;
}

/// A shop's privacy policy for its customers ([`policies`]).
#[derive(Debug, Clone, Copy)]
pub struct ShopPolicy;

impl Pipeline for ShopPolicy {
    type Scope = ShopScope;
    type Facts = Platform;
    type Name = str;

    fn publish(
        db: &DatabaseConnection,
        vault: &Arc<Vault>,
        scope: &ShopScope,
        facts: &Platform,
        effective_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        policies::publish(db, vault, scope, facts, effective_at)
    }

    fn resolve(
        db: &DatabaseConnection,
        slug: &str,
        n: Option<i32>,
    ) -> impl Future<Output = Result<Resolved, StoreError>> + Send {
        policies::resolve(db, slug, n)
    }

    fn document(
        db: &DatabaseConnection,
        resolved: &Resolved,
        locale: Locale,
        format: DocumentFormat,
    ) -> impl Future<Output = Result<Encoded, StoreError>> + Send {
        policies::document(db, resolved, locale, format)
    }
}

/// The platform's own privacy policy for merchants ([`platform_policy`]).
#[derive(Debug, Clone, Copy)]
pub struct PlatformPolicy;

impl Pipeline for PlatformPolicy {
    type Scope = PlatformScope;
    type Facts = platform_policy::Context;
    type Name = ();

    fn publish(
        db: &DatabaseConnection,
        _vault: &Arc<Vault>,
        scope: &PlatformScope,
        facts: &platform_policy::Context,
        effective_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<Version, StoreError>> + Send {
        platform_policy::publish(db, scope, facts, effective_at)
    }

    fn resolve(
        db: &DatabaseConnection,
        _: &(),
        n: Option<i32>,
    ) -> impl Future<Output = Result<Resolved, StoreError>> + Send {
        platform_policy::resolve(db, n)
    }

    fn document(
        db: &DatabaseConnection,
        resolved: &Resolved,
        locale: Locale,
        format: DocumentFormat,
    ) -> impl Future<Output = Result<Encoded, StoreError>> + Send {
        platform_policy::document(db, resolved, locale, format)
    }
}
