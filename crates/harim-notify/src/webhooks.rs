//! Privacy events on the wire, as the Standard Webhooks specification has them: headers
//! `webhook-id` (the event id, the same on every retry, so receivers can drop repeats),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature` = `v1,` and the base64 HMAC-SHA256
//! of `{id}.{timestamp}.{body}` under the endpoint's secret (`whsec_` and the base64 key bytes).
//! Any of the specification's reference libraries verifies it.

use std::time::Duration;

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::Sha256;

/// A fresh endpoint secret: `whsec_` and 24 random bytes in base64.
#[must_use]
pub fn new_secret() -> SecretString {
    let mut key = [0u8; 24];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
    let s = format!("whsec_{}", STANDARD.encode(key));
    key.fill(0);
    SecretString::from(s)
}

/// The key bytes of a `whsec_` secret.
fn key(secret: &SecretString) -> Option<SecretBox<Vec<u8>>> {
    let b64 = secret.expose_secret().strip_prefix("whsec_")?;
    STANDARD
        .decode(b64)
        .ok()
        .map(|k| SecretBox::new(Box::new(k)))
}

/// The `webhook-signature` value for `id`, `timestamp` and `body` under `secret`.
#[must_use]
pub fn sign(secret: &SecretString, id: &str, timestamp: i64, body: &[u8]) -> Option<String> {
    let key = key(secret)?;
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()).ok()?;
    m.update(id.as_bytes());
    m.update(b".");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Some(format!("v1,{}", STANDARD.encode(m.finalize().into_bytes())))
}

/// Whether `signature` (a `webhook-signature` header: space-separated `v1,<b64>` entries) holds
/// for `id`, `timestamp` and `body` under `secret`, and the timestamp is within `tolerance` of
/// `now` (a replayed old message is refused). Compared in constant time.
#[must_use]
pub fn verify(
    secret: &SecretString,
    id: &str,
    timestamp: i64,
    body: &[u8],
    signature: &str,
    now: i64,
    tolerance: i64,
) -> bool {
    if (now - timestamp).abs() > tolerance {
        return false;
    }
    let Some(key) = key(secret) else {
        return false;
    };
    signature.split(' ').any(|s| {
        let Some(sig) = s.strip_prefix("v1,").and_then(|b| STANDARD.decode(b).ok()) else {
            return false;
        };
        let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(key.expose_secret()) else {
            return false;
        };
        m.update(id.as_bytes());
        m.update(b".");
        m.update(timestamp.to_string().as_bytes());
        m.update(b".");
        m.update(body);
        m.verify_slice(&sig).is_ok()
    })
}

/// How one delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered(u16),
    /// Any other answer: the status.
    Refused(u16),
    /// No answer (connection, timeout); the text never holds the URL's query or a secret.
    Unreachable(String),
}

/// The HTTP client deliveries go through (one per process: its connection pool is shared).
#[derive(Debug, Clone)]
pub struct Sender {
    client: reqwest::Client,
}

impl Sender {
    /// A sender with a 3 s connect and a 10 s overall timeout.
    pub fn new() -> Result<Self, String> {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .build()
            .map(|client| Self { client })
            .map_err(|e| e.to_string())
    }

    /// [`deliver`] through this sender's client.
    pub async fn deliver(
        &self,
        url: &str,
        secret: &SecretString,
        id: &str,
        timestamp: i64,
        body: Vec<u8>,
    ) -> Outcome {
        deliver(&self.client, url, secret, id, timestamp, body).await
    }
}

/// Posts `body` to `url` with the Standard Webhooks headers.
pub async fn deliver(
    client: &reqwest::Client,
    url: &str,
    secret: &SecretString,
    id: &str,
    timestamp: i64,
    body: Vec<u8>,
) -> Outcome {
    let Some(signature) = sign(secret, id, timestamp, &body) else {
        return Outcome::Unreachable("the endpoint's secret is malformed".into());
    };
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .timeout(Duration::from_secs(10))
        .body(body)
        .send()
        .await;
    match r {
        Ok(resp) if resp.status().is_success() => Outcome::Delivered(resp.status().as_u16()),
        Ok(resp) => Outcome::Refused(resp.status().as_u16()),
        Err(e) => Outcome::Unreachable(e.without_url().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let secret = new_secret();
        let sig = sign(&secret, "evt_1", 1_700_000_000, b"{\"a\":1}").unwrap_or_default();
        assert!(sig.starts_with("v1,"));
        let ok = |id: &str, ts: i64, body: &[u8], now: i64| {
            verify(&secret, id, ts, body, &sig, now, 300)
        };
        assert!(ok("evt_1", 1_700_000_000, b"{\"a\":1}", 1_700_000_100));
        assert!(!ok("evt_2", 1_700_000_000, b"{\"a\":1}", 1_700_000_100));
        assert!(!ok("evt_1", 1_700_000_001, b"{\"a\":1}", 1_700_000_100));
        assert!(!ok("evt_1", 1_700_000_000, b"{\"a\":2}", 1_700_000_100));
        assert!(
            !ok("evt_1", 1_700_000_000, b"{\"a\":1}", 1_700_001_000),
            "too old"
        );
        assert!(!verify(
            &new_secret(),
            "evt_1",
            1_700_000_000,
            b"{\"a\":1}",
            &sig,
            1_700_000_000,
            300
        ));
    }

    #[test]
    fn the_specifications_example_signs_as_published() {
        // The example of the Standard Webhooks specification (and its reference libraries' tests).
        let secret = SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body).as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }
}
