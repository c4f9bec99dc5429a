//! Messages to a shop's customers, apart from the database: which templates exist and how they
//! read in each language ([`templates`]), each market's sending rules ([`rules`]), the reply
//! keywords that mean "stop" ([`keywords`]), and the providers that carry a message
//! ([`Provider`]: SMTP through `lettre`, SMS through Kavenegar's or Unifonic's HTTP API, and a
//! directory for development). The gate that decides whether a message may go, and the outbox
//! that sends it, are harim-store's.

pub mod keywords;
pub mod providers;
pub mod rules;
pub mod templates;
pub mod webhooks;

use secrecy::SecretString;

/// How a message reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Email,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "sms",
            Self::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sms" => Some(Self::Sms),
            "email" => Some(Self::Email),
            _ => None,
        }
    }
}

/// Why a message is sent: about an order (the contract), or to sell (consent only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Order,
    Marketing,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "order",
            Self::Marketing => "marketing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "order" => Some(Self::Order),
            "marketing" => Some(Self::Marketing),
            _ => None,
        }
    }
}

/// A message ready to leave: the recipient and body are plaintext, so they live in
/// `SecretString`s and this type prints neither.
pub struct Outgoing {
    /// The outbox row's id: the provider's idempotency key where it has one.
    pub id: String,
    pub channel: Channel,
    /// E.164 phone (`+98912…`) or e-mail address.
    pub to: SecretString,
    /// SMS sender name or number; e-mail `From`.
    pub from: String,
    pub subject: Option<String>,
    pub body: SecretString,
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("id", &self.id)
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

/// Why a provider did not take a message. Texts never hold the recipient, the body or a key.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Worth trying again later (connection, timeout, 5xx, rate limit).
    #[error("temporary: {0}")]
    Temporary(String),
    /// Trying again will not help (refused recipient, bad credentials, 4xx).
    #[error("permanent: {0}")]
    Permanent(String),
}

/// What carries messages of one channel.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// A short stable name (`smtp`, `kavenegar`, `unifonic`, `directory`), kept with the send.
    fn name(&self) -> &'static str;
    /// Sends `m`; answers the provider's message id.
    fn send<'a>(
        &'a self,
        m: &'a Outgoing,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, SendError>> + Send + 'a>>;
}
