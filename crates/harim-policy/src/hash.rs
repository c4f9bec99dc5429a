//! Canonical JSON of the settings and the chained version hash.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::settings::PrivacySettings;

/// Settings as JSON with object keys sorted at every level and no insignificant whitespace.
/// Arrays keep their order (order is meaningful: it is the order clauses appear in).
#[must_use]
pub fn canonical_json(settings: &PrivacySettings) -> String {
    canonical_json_of(settings)
}

/// Any serialisable value as canonical JSON (see [`canonical_json`]); the platform policy's
/// inputs are hashed this way.
#[must_use]
pub fn canonical_json_of<T: serde::Serialize>(value: &T) -> String {
    let v = serde_json::to_value(value).unwrap_or(Value::Null);
    let mut out = String::new();
    write_canonical(&v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(val) = map.get(*k) {
                    write_canonical(val, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Hex SHA-256 over the previous hash, the canonical settings and every rendered document,
/// each part length-prefixed so no two different inputs collide by concatenation.
///
/// Pass documents in a fixed order (e.g. html/md/json per locale in `Locale::ALL` order).
#[must_use]
pub fn version_hash(
    prev_hash: Option<&str>,
    canonical_settings: &str,
    rendered: &[&str],
) -> String {
    let mut h = Sha256::new();
    h.update(b"harim-policy/v1\n");
    let mut part = |label: &[u8], data: &[u8]| {
        h.update(label);
        h.update((data.len() as u64).to_be_bytes());
        h.update(data);
    };
    part(b"prev", prev_hash.unwrap_or("").as_bytes());
    part(b"settings", canonical_settings.as_bytes());
    for d in rendered {
        part(b"doc", d.as_bytes());
    }
    hex::encode(h.finalize())
}
