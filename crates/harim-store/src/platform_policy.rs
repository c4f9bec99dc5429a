//! The platform's own privacy policy for merchants: built from the data map ([`crate::datamap`])
//! with the configured retention periods ([`crate::retention::Periods`], the same values the
//! retention job runs on) and the operator's facts (`[platform]` in the configuration), then
//! published by an admin as frozen, hash-chained versions like a shop's policy
//! ([`crate::policies`]): the same renderer, hash, change lists and precompressed forms.
//!
//! Version in force: the highest version whose `effective_at` has passed.

use harim_policy::platform::{
    Basis, From, Kept, MerchantData, MerchantDataMap, MerchantSubject, Period, Platform,
    PlatformPolicyInputs, RightsRoutes, compile_platform, diff_platform,
};
use harim_policy::{
    Change, HistoryEntry, Locale, PolicyMeta, canonical_json_of, render_json, try_render_html,
    try_render_markdown, version_hash,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use time::{OffsetDateTime, UtcOffset};

use crate::{
    StoreError,
    datamap::{self, Erasure, Event, Holds, Retention, Subject, Until},
    entity::{platform_policy_document, platform_policy_version},
    ids::PLATFORM_TENANT,
    policies::{DocumentFormat, Encoded, Resolved, Version, encodings},
    retention::Periods,
    scope::PlatformScope,
};

/// A published version's date may lie this far in the past (clock skew).
const EFFECTIVE_AT_GRACE: time::Duration = time::Duration::minutes(5);

/// What the installation knows about itself that the policy states, besides the data map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// The operator's facts.
    pub platform: Platform,
    /// The retention periods the job enforces.
    pub periods: Periods,
    /// Days to answer a merchant's request (`account_request_response_days`).
    pub response_days: u32,
    /// Whether root keys are in a hardware security module (the configured key provider).
    pub keys_in_hsm: bool,
    /// The requests that carry out each right (named by the HTTP layer, which owns the routes).
    pub routes: RightsRoutes,
}

/// The operator's facts when the configuration has no `[platform]` section: a development
/// installation (the binary warns loudly at start-up). Every storefront logs client addresses
/// (kept 30 days) and records orders (kept as the shop's own setting says).
#[must_use]
pub fn development_platform() -> Platform {
    use harim_policy::CustomerDataCategory as C;
    use harim_policy::platform::StorefrontCollection;
    Platform {
        name: "Harim".into(),
        operator: "Harim development installation".into(),
        registration_number: None,
        country: harim_policy::Country::Ir,
        contact_email: "privacy@harim.example".into(),
        dpo_email: None,
        hosting_provider: "the operator's own servers".into(),
        hosting_country: harim_policy::Country::Ir,
        processors: Vec::new(),
        storefront_collects: vec![
            StorefrontCollection {
                category: C::OrderHistory,
                days: None,
            },
            StorefrontCollection {
                category: C::IpAddress,
                days: Some(30),
            },
        ],
        backup_retention_days: 30,
        log_retention_days: 14,
    }
}

fn subject(s: Subject) -> Option<MerchantSubject> {
    match s {
        Subject::MerchantAccount => Some(MerchantSubject::Account),
        Subject::ShopOwnerIdentity => Some(MerchantSubject::ShopOwner),
        Subject::StaffMember => Some(MerchantSubject::Staff),
        // Operators are the platform's own staff; customers are each shop's, described by the
        // shop's own policy, not the platform's.
        Subject::PlatformOperator | Subject::ShopCustomer => None,
    }
}

fn basis(b: datamap::LegalBasis) -> Basis {
    match b {
        datamap::LegalBasis::Contract => Basis::Contract,
        datamap::LegalBasis::LegalObligation => Basis::LegalObligation,
        datamap::LegalBasis::LegitimateInterest => Basis::LegitimateInterest,
    }
}

fn from(e: Event) -> From {
    match e {
        Event::Created | Event::WindowEnd => From::Created,
        Event::KycDecision => From::Decision,
        Event::Erasure => From::ShopErasure,
        Event::ExportReady => From::Ready,
        // Only customers' rows count from these, and the platform policy leaves them out.
        Event::LastUse | Event::LastActivity | Event::LastOrder => From::LastUse,
    }
}

/// A period in seconds as the policy words it: whole days, else hours rounded up (a retention
/// statement is a maximum, so rounding up never overstates how soon data goes).
fn seconds(secs: u64, from: From) -> Result<Period, StoreError> {
    let too_long = || StoreError::internal("platform policy", "retention period too long");
    if secs > 0 && secs.is_multiple_of(86_400) {
        let days = u32::try_from(secs / 86_400).map_err(|_| too_long())?;
        return Ok(Period::Days { days, from });
    }
    let hours = u32::try_from(secs.div_ceil(3600).max(1)).map_err(|_| too_long())?;
    Ok(Period::Hours { hours, from })
}

/// One data-map retention rule with its configured number.
fn period(r: Retention, platform: &Platform, periods: &Periods) -> Result<Period, StoreError> {
    Ok(match r {
        Retention::WhileAccountExists => Period::WhileAccountExists,
        Retention::WhileShopExists => Period::WhileShopExists,
        Retention::Days { days, from: f } => Period::Days {
            days,
            from: from(f),
        },
        Retention::Seconds { secs, from: f } => seconds(secs, from(f))?,
        Retention::ShopSetting { .. } => Period::ShopKycSetting {
            default_days: crate::kyc::DEFAULT_RETENTION_DAYS,
        },
        Retention::Config { key, from: f } => {
            let v = periods.value(key).ok_or_else(|| {
                StoreError::internal("platform policy", format!("unknown period {key}"))
            })?;
            if key.ends_with("_secs") {
                seconds(v, from(f))?
            } else {
                let days = u32::try_from(v)
                    .map_err(|_| StoreError::internal("platform policy", "period too long"))?;
                // After an account erasure, not a shop erasure.
                let f = match (key, f) {
                    ("after_account_deletion_days", Event::Erasure) => From::AccountErasure,
                    (_, f) => from(f),
                };
                Period::Days { days, from: f }
            }
        }
        Retention::Operator { .. } => Period::OperatorLogs {
            days: platform.log_retention_days,
        },
    })
}

/// The part of its category a place is, for the policy's wording (`pp-part-<part>`): objects
/// join the table that lists them.
fn place_part(p: &datamap::Place) -> &'static str {
    match p.kind {
        datamap::PlaceKind::Log => "service_log",
        datamap::PlaceKind::Object => match p.category {
            datamap::Category::Documents => "kyc_documents",
            _ => "data_requests",
        },
    }
}

/// What erasure keeps, as a period (None: nothing is kept).
fn kept(e: Erasure) -> Option<Period> {
    match e {
        Erasure::Retain {
            until: Until::DaysAfterErasure { days },
            ..
        } => Some(Period::Days {
            days,
            from: From::ShopErasure,
        }),
        Erasure::Retain {
            until: Until::Forever,
            ..
        } => Some(Period::AsProof),
        _ => None,
    }
}

/// The data map as the platform policy states it: every category holding merchants' personal
/// data (tables, objects, logs, and what an erased account leaves behind), in the map's order,
/// each with the configured numbers.
///
/// # Errors
/// A retention rule whose period is not configured ([`StoreError::Internal`]); a test runs this
/// on the real map so that cannot ship.
pub fn data_map(platform: &Platform, periods: &Periods) -> Result<MerchantDataMap, StoreError> {
    let mut entries: Vec<MerchantData> = Vec::new();
    fn add(entries: &mut Vec<MerchantData>, category: &str, s: MerchantSubject) -> usize {
        if let Some(i) = entries.iter().position(|e| e.category == category) {
            return i;
        }
        entries.push(MerchantData {
            category: category.to_owned(),
            subject: s,
            bases: Vec::new(),
            periods: Vec::new(),
            fields: Vec::new(),
            encrypted: false,
        });
        entries.len() - 1
    }
    fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    // A rule already stated for another part of the category is not repeated (the audit
    // chain's head row shares the entries' rules).
    fn keep(v: &mut Vec<Kept>, part: &str, period: Period) {
        if !v.iter().any(|k| k.period == period) {
            v.push(Kept {
                part: part.to_owned(),
                period,
            });
        }
    }
    for t in datamap::TABLES {
        let Holds::Personal {
            subject: s,
            basis: b,
            retention,
            erasure,
            ..
        } = t.holds
        else {
            continue;
        };
        let Some(s) = subject(s) else { continue };
        let i = add(&mut entries, t.category.as_str(), s);
        let e = &mut entries[i];
        push(&mut e.bases, basis(b));
        keep(
            &mut e.periods,
            t.name,
            period(retention, platform, periods)?,
        );
        if let Some(k) = kept(erasure) {
            keep(&mut e.periods, t.name, k);
        }
        if t.columns.iter().any(|c| c.encrypted) {
            e.encrypted = true;
        }
        if t.name == "merchant_identities" {
            for c in t.columns.iter().filter(|c| c.encrypted) {
                push(&mut e.fields, c.name.to_owned());
            }
        }
    }
    for p in datamap::PLACES {
        let Some(s) = subject(p.subject) else {
            continue;
        };
        let i = add(&mut entries, p.category.as_str(), s);
        let e = &mut entries[i];
        push(&mut e.bases, basis(p.basis));
        keep(
            &mut e.periods,
            place_part(p),
            period(p.retention, platform, periods)?,
        );
        if matches!(p.erasure, Erasure::Shred) {
            e.encrypted = true;
        }
        if p.category == datamap::Category::Documents {
            for k in harim_kyc::DocumentKind::ALL {
                push(&mut e.fields, k.as_str().to_owned());
            }
        }
    }
    for r in datamap::ACCOUNT_RESIDUE {
        let Some(t) = datamap::table(r.table) else {
            continue;
        };
        if let Some(e) = entries
            .iter_mut()
            .find(|e| e.category == t.category.as_str())
        {
            let p = period(r.retention, platform, periods)?;
            keep(&mut e.periods, "account_residue", p);
        }
    }
    Ok(MerchantDataMap {
        version: datamap::version(),
        entries,
    })
}

/// Everything the policy is made from, now.
///
/// # Errors
/// As [`data_map`].
pub fn inputs(ctx: &Context) -> Result<PlatformPolicyInputs, StoreError> {
    Ok(PlatformPolicyInputs {
        platform: ctx.platform.clone(),
        data: data_map(&ctx.platform, &ctx.periods)?,
        routes: ctx.routes.clone(),
        response_days: ctx.response_days,
        keys_in_hsm: ctx.keys_in_hsm,
    })
}

/// The platform policy is published in every locale, Persian first (the default when a reader's
/// language is not among them).
pub const LOCALES: [Locale; 4] = [Locale::Fa, Locale::Ar, Locale::Sq, Locale::En];

/// Every document of a version, in the order the hash covers them (`Locale::ALL`, then html,
/// md, json).
///
/// # Errors
/// A missing message in some locale ([`StoreError::Internal`]): a data-map category without
/// words.
pub fn render(
    inputs: &PlatformPolicyInputs,
    meta: &PolicyMeta,
) -> Result<Vec<(Locale, DocumentFormat, String)>, StoreError> {
    let doc = compile_platform(inputs);
    let mut out = Vec::new();
    for locale in Locale::ALL {
        // A Saudi operator's Arabic is dated Hijri with the Gregorian date beside it.
        let fmt = harim_policy::platform::platform_format(inputs.platform.country, locale);
        let html = try_render_html(&doc, meta, locale, &fmt)
            .map_err(|e| StoreError::internal("render platform html", e.0.join("; ")))?;
        let md = try_render_markdown(&doc, meta, locale, &fmt)
            .map_err(|e| StoreError::internal("render platform markdown", e.0.join("; ")))?;
        let json = serde_json::to_string(&render_json(&doc, meta, locale, &fmt))
            .map_err(|e| StoreError::internal("render platform json", e))?;
        out.push((locale, DocumentFormat::Html, html));
        out.push((locale, DocumentFormat::Markdown, md));
        out.push((locale, DocumentFormat::JsonLd, json));
    }
    Ok(out)
}

fn version_of(v: &platform_policy_version::Model, in_force: bool) -> Result<Version, StoreError> {
    Ok(Version {
        version: u32::try_from(v.version).unwrap_or_default(),
        hash: v.hash.clone(),
        previous_hash: v.previous_hash.clone(),
        effective_at: v.effective_at,
        published_at: v.published_at,
        locales: v.locales.split(',').filter_map(Locale::from_tag).collect(),
        changes: serde_json::from_str(&v.changes)
            .map_err(|e| StoreError::internal("stored platform policy changes", e))?,
        in_force,
    })
}

/// Publishes the platform policy as it stands now (admins only).
///
/// Refuses invalid platform facts (422, `platform.*`), an `effective_at` in the past or before
/// the previous version's (422), and nothing changed since the latest version (409). Rendering
/// and compression happen before the transaction; a concurrent publish of the same version
/// number loses on the primary key and is answered 409.
pub async fn publish(
    db: &DatabaseConnection,
    scope: &PlatformScope,
    ctx: &Context,
    effective_at: Option<OffsetDateTime>,
) -> Result<Version, StoreError> {
    scope.require(
        crate::roles::PlatformRole::Admin,
        "Only platform admins publish the platform policy.",
    )?;
    ctx.platform.validate().map_err(StoreError::Rejected)?;
    let now = OffsetDateTime::now_utc();
    let effective_at = effective_at.unwrap_or(now).to_offset(UtcOffset::UTC);
    if effective_at < now - EFFECTIVE_AT_GRACE {
        return Err(StoreError::rejected(
            "effective_at",
            "in_the_past",
            "A policy cannot take effect in the past.",
        ));
    }
    let inputs = inputs(ctx)?;
    let canonical = canonical_json_of(&inputs);
    let earlier = platform_policy_version::Entity::find()
        .order_by_asc(platform_policy_version::Column::Version)
        .all(db)
        .await?;
    let previous = earlier.last();
    let changes: Vec<Change> = match previous {
        Some(p) => {
            if p.inputs == canonical {
                return Err(StoreError::Conflict(
                    "Nothing changed since the latest version.",
                ));
            }
            if effective_at < p.effective_at {
                return Err(StoreError::rejected(
                    "effective_at",
                    "before_previous",
                    "A version cannot take effect before the version it replaces.",
                ));
            }
            let old: PlatformPolicyInputs = serde_json::from_str(&p.inputs)
                .map_err(|e| StoreError::internal("stored platform policy inputs", e))?;
            diff_platform(&old, &inputs)
                .into_iter()
                .map(|change| Change::Platform { change })
                .collect()
        }
        None => Vec::new(),
    };
    let version = previous.map_or(1, |p| p.version + 1);
    let version_u32 = u32::try_from(version).unwrap_or_default();
    let mut history = Vec::with_capacity(earlier.len() + 1);
    for e in &earlier {
        history.push(crate::policies::history_entry(
            e.version,
            e.effective_at,
            &e.changes,
        )?);
    }
    history.push(HistoryEntry {
        version: version_u32,
        effective_at: effective_at.date(),
        changes: changes.clone(),
    });
    let previous_hash = previous.map(|p| p.hash.clone());
    let meta = PolicyMeta {
        version: version_u32,
        effective_at: effective_at.date(),
        history,
        alternates: LOCALES.to_vec(),
        previous_hash: previous_hash.clone(),
    };
    let docs = render(&inputs, &meta)?;
    let bodies: Vec<&str> = docs.iter().map(|d| d.2.as_str()).collect();
    let hash = version_hash(previous_hash.as_deref(), &canonical, &bodies);
    let model = platform_policy_version::Model {
        version,
        hash,
        previous_hash,
        inputs: canonical,
        changes: serde_json::to_string(&changes)
            .map_err(|e| StoreError::internal("platform policy changes", e))?,
        locales: Locale::ALL.map(Locale::tag).join(","),
        default_locale: LOCALES[0].tag().into(),
        effective_at,
        published_at: now,
        published_by: scope.actor(),
    };
    let compressed = tokio::task::spawn_blocking(move || {
        docs.into_iter()
            .map(|(l, f, body)| {
                let gzip = encodings::gzip(body.as_bytes())?;
                let br = encodings::brotli(body.as_bytes())?;
                Ok((l, f, body, gzip, br))
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })
    .await
    .map_err(|e| StoreError::internal("compressing platform policy documents", e))??;
    let txn = db.begin().await?;
    let inserted = platform_policy_version::ActiveModel::from(model.clone())
        .insert(&txn)
        .await;
    match inserted {
        Ok(_) => {}
        Err(e) => {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() {
                StoreError::Conflict("Another version was published at the same time; retry.")
            } else {
                e
            });
        }
    }
    platform_policy_document::Entity::insert_many(compressed.into_iter().map(
        |(l, f, body, gzip, br)| platform_policy_document::ActiveModel {
            version: Set(version),
            locale: Set(l.tag().into()),
            format: Set(f.as_str().into()),
            body: Set(body),
            body_gzip: Set(Some(gzip)),
            body_br: Set(Some(br)),
        },
    ))
    .exec(&txn)
    .await?;
    // Every replica's page cache forgets the platform policy when this commits.
    crate::events::notify(&txn, crate::events::Event::Tenant(PLATFORM_TENANT)).await?;
    txn.commit().await?;
    let in_force = model.effective_at <= OffsetDateTime::now_utc();
    version_of(&model, in_force)
}

/// Every published version, newest first.
pub async fn versions(db: &DatabaseConnection) -> Result<Vec<Version>, StoreError> {
    let rows = platform_policy_version::Entity::find()
        .order_by_desc(platform_policy_version::Column::Version)
        .all(db)
        .await?;
    let in_force = crate::policies::in_force(rows.iter().map(|v| (v.version, v.effective_at)));
    rows.iter()
        .map(|v| version_of(v, Some(v.version) == in_force))
        .collect()
}

/// Which version the public page serves: version `n`, or the one in force.
pub async fn resolve(
    db: &impl sea_orm::ConnectionTrait,
    n: Option<i32>,
) -> Result<Resolved, StoreError> {
    let q = platform_policy_version::Entity::find();
    let q = match n {
        Some(n) => q.filter(platform_policy_version::Column::Version.eq(n)),
        None => {
            q.filter(platform_policy_version::Column::EffectiveAt.lte(OffsetDateTime::now_utc()))
        }
    };
    let v = q
        .order_by_desc(platform_policy_version::Column::Version)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Resolved {
        tenant_id: PLATFORM_TENANT,
        version: v.version,
        hash: v.hash,
        locales: v.locales.split(',').filter_map(Locale::from_tag).collect(),
        settings_default: Locale::from_tag(&v.default_locale),
        shop_default: Locale::from_tag(&v.default_locale),
    })
}

/// One frozen document of a resolved version, in every coding.
pub async fn document(
    db: &impl sea_orm::ConnectionTrait,
    resolved: &Resolved,
    locale: Locale,
    format: DocumentFormat,
) -> Result<Encoded, StoreError> {
    let row = platform_policy_document::Entity::find_by_id((
        resolved.version,
        locale.tag().to_string(),
        format.as_str().to_string(),
    ))
    .one(db)
    .await?
    .ok_or_else(|| StoreError::internal("platform policy document", "missing for a version"))?;
    Encoded::load(row.body, row.body_gzip, row.body_br).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use harim_policy::platform::examples;

    fn ctx() -> Context {
        Context {
            platform: examples::iranian_platform().platform,
            periods: Periods::DEFAULT,
            response_days: 30,
            keys_in_hsm: false,
            routes: examples::routes(),
        }
    }

    #[test]
    fn the_real_data_map_renders_in_every_locale() {
        let i = inputs(&ctx()).unwrap();
        let meta = PolicyMeta {
            version: 1,
            effective_at: time::macros::date!(2026 - 12 - 01),
            history: vec![HistoryEntry {
                version: 1,
                effective_at: time::macros::date!(2026 - 12 - 01),
                changes: vec![],
            }],
            alternates: LOCALES.to_vec(),
            previous_hash: None,
        };
        let docs = render(&i, &meta).unwrap();
        assert_eq!(docs.len(), 12);
    }

    #[test]
    fn every_personal_category_of_the_map_is_in_the_policy() {
        let map = data_map(&ctx().platform, &Periods::DEFAULT).unwrap();
        for t in datamap::TABLES {
            if let Holds::Personal { subject: s, .. } = t.holds
                && subject(s).is_some()
            {
                assert!(
                    map.entries
                        .iter()
                        .any(|e| e.category == t.category.as_str()),
                    "{} is missing",
                    t.name
                );
            }
        }
        let identity = map
            .entries
            .iter()
            .find(|e| e.category == "identity")
            .unwrap();
        assert!(identity.fields.contains(&"national_id".to_owned()));
        assert!(!identity.fields.iter().any(|f| f.ends_with("_bidx")));
    }

    #[test]
    fn the_policy_prints_the_periods_the_job_runs_on() {
        let mut c = ctx();
        c.periods.api_key_unused_days = 200;
        c.periods.session_ttl_secs = 6 * 3600;
        let map = data_map(&c.platform, &c.periods).unwrap();
        let keys = map
            .entries
            .iter()
            .find(|e| e.category == "api_keys")
            .unwrap();
        assert!(keys.periods.iter().any(|k| k.period
            == Period::Days {
                days: 200,
                from: From::LastUse
            }));
        let sessions = map
            .entries
            .iter()
            .find(|e| e.category == "sessions")
            .unwrap();
        assert!(sessions.periods.iter().any(|k| k.period
            == Period::Hours {
                hours: 6,
                from: From::Created
            }));
    }
}
