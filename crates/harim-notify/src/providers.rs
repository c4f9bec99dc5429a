//! The providers that carry messages. Each keeps its credentials in `SecretString`s and never
//! logs a URL that holds one (Kavenegar's API key is part of its path).

use std::{future::Future, path::PathBuf, pin::Pin, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};
use secrecy::{ExposeSecret, SecretString};

use crate::{Channel, Outgoing, Provider, SendError};

type Sending<'a> = Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>>;

/// E-mail through an SMTP server (`smtp://host:port` plain, `smtps://` TLS, `smtp://...?tls=required`
/// STARTTLS: lettre's URL forms), with `lettre`.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smtp").finish_non_exhaustive()
    }
}

impl Smtp {
    pub fn new(url: &SecretString) -> Result<Self, SendError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            .map_err(|_| SendError::Permanent("the SMTP URL is not valid".into()))?
            .timeout(Some(Duration::from_secs(10)))
            .build();
        Ok(Self { transport })
    }
}

impl Provider for Smtp {
    fn name(&self) -> &'static str {
        "smtp"
    }

    fn send<'a>(&'a self, m: &'a Outgoing) -> Sending<'a> {
        Box::pin(async move {
            let from: Mailbox = m
                .from
                .parse()
                .map_err(|_| SendError::Permanent("the From address is not valid".into()))?;
            let to: Mailbox =
                m.to.expose_secret().parse().map_err(|_| {
                    SendError::Permanent("the recipient address is not valid".into())
                })?;
            // The outbox id as Message-ID: a receiving system that sees the same message twice
            // (a retry after a lost answer) can tell.
            let message_id = format!("<{}@harim>", m.id);
            let email = Message::builder()
                .from(from)
                .to(to)
                .message_id(Some(message_id.clone()))
                .subject(m.subject.clone().unwrap_or_default())
                .header(ContentType::TEXT_PLAIN)
                .body(m.body.expose_secret().to_string())
                .map_err(|_| SendError::Permanent("the message could not be built".into()))?;
            match self.transport.send(email).await {
                Ok(r) if r.is_positive() => Ok(message_id),
                Ok(r) => Err(SendError::Permanent(format!("SMTP answered {}", r.code()))),
                Err(e) if e.is_permanent() => {
                    Err(SendError::Permanent("the SMTP server refused".into()))
                }
                Err(_) => Err(SendError::Temporary(
                    "the SMTP server is unreachable".into(),
                )),
            }
        })
    }
}

fn http() -> Result<reqwest::Client, SendError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|_| SendError::Permanent("no HTTP client".into()))
}

fn status_error(status: reqwest::StatusCode) -> SendError {
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        SendError::Temporary(format!("the SMS provider answered {}", status.as_u16()))
    } else {
        SendError::Permanent(format!("the SMS provider answered {}", status.as_u16()))
    }
}

/// The E.164 number without `+`, as both SMS APIs take it.
fn digits(to: &SecretString) -> String {
    to.expose_secret().trim_start_matches('+').to_string()
}

/// Kavenegar's REST API (Iran): `POST {base}/v1/{api-key}/sms/send.json`, form fields
/// `receptor`, `sender`, `message`, `localid` (Kavenegar's own duplicate guard: a second send
/// with the same `localid` is not delivered again). Answer:
/// `{"return":{"status":200,...},"entries":[{"messageid":...}]}`.
pub struct Kavenegar {
    base: String,
    api_key: SecretString,
    client: reqwest::Client,
}

impl std::fmt::Debug for Kavenegar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kavenegar")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Kavenegar {
    pub fn new(base: &str, api_key: SecretString) -> Result<Self, SendError> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            api_key,
            client: http()?,
        })
    }
}

impl Provider for Kavenegar {
    fn name(&self) -> &'static str {
        "kavenegar"
    }

    fn send<'a>(&'a self, m: &'a Outgoing) -> Sending<'a> {
        Box::pin(async move {
            let url = format!(
                "{}/v1/{}/sms/send.json",
                self.base,
                self.api_key.expose_secret()
            );
            let form = [
                ("receptor", digits(&m.to)),
                ("sender", m.from.clone()),
                ("message", m.body.expose_secret().to_string()),
                ("localid", m.id.clone()),
            ];
            // `without_url`: reqwest's error text would quote the URL, and with it the key.
            let r = self
                .client
                .post(url)
                .form(&form)
                .send()
                .await
                .map_err(|e| {
                    SendError::Temporary(format!("Kavenegar unreachable: {}", e.without_url()))
                })?;
            if !r.status().is_success() {
                return Err(status_error(r.status()));
            }
            let v: serde_json::Value = r
                .json()
                .await
                .map_err(|_| SendError::Temporary("Kavenegar's answer is not JSON".into()))?;
            v.pointer("/entries/0/messageid")
                .map(|id| id.to_string().trim_matches('"').to_string())
                .ok_or_else(|| SendError::Permanent("Kavenegar's answer has no message id".into()))
        })
    }
}

/// Unifonic's REST API (Saudi Arabia): `POST {base}/rest/SMS/messages`, form fields `AppSid`,
/// `SenderID`, `Recipient`, `Body`, `CorrelationID`. Answer:
/// `{"success":true,"data":{"MessageID":...}}`.
pub struct Unifonic {
    base: String,
    app_sid: SecretString,
    client: reqwest::Client,
}

impl std::fmt::Debug for Unifonic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unifonic")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Unifonic {
    pub fn new(base: &str, app_sid: SecretString) -> Result<Self, SendError> {
        Ok(Self {
            base: base.trim_end_matches('/').to_string(),
            app_sid,
            client: http()?,
        })
    }
}

impl Provider for Unifonic {
    fn name(&self) -> &'static str {
        "unifonic"
    }

    fn send<'a>(&'a self, m: &'a Outgoing) -> Sending<'a> {
        Box::pin(async move {
            let form = [
                ("AppSid", self.app_sid.expose_secret().to_string()),
                ("SenderID", m.from.clone()),
                ("Recipient", digits(&m.to)),
                ("Body", m.body.expose_secret().to_string()),
                ("CorrelationID", m.id.clone()),
            ];
            let r = self
                .client
                .post(format!("{}/rest/SMS/messages", self.base))
                .form(&form)
                .send()
                .await
                .map_err(|e| {
                    SendError::Temporary(format!("Unifonic unreachable: {}", e.without_url()))
                })?;
            if !r.status().is_success() {
                return Err(status_error(r.status()));
            }
            let v: serde_json::Value = r
                .json()
                .await
                .map_err(|_| SendError::Temporary("Unifonic's answer is not JSON".into()))?;
            if v.get("success") != Some(&serde_json::Value::Bool(true)) {
                return Err(SendError::Permanent("Unifonic refused the message".into()));
            }
            v.pointer("/data/MessageID")
                .map(|id| id.to_string().trim_matches('"').to_string())
                .ok_or_else(|| SendError::Permanent("Unifonic's answer has no message id".into()))
        })
    }
}

/// Development: each message is written as a file in a directory (`<id>.txt`), so a newcomer
/// running the embedded default sees what would have been sent without any provider.
#[derive(Debug)]
pub struct Directory {
    pub dir: PathBuf,
}

impl Provider for Directory {
    fn name(&self) -> &'static str {
        "directory"
    }

    fn send<'a>(&'a self, m: &'a Outgoing) -> Sending<'a> {
        Box::pin(async move {
            tokio::fs::create_dir_all(&self.dir)
                .await
                .map_err(|_| SendError::Temporary("the outbox directory is not writable".into()))?;
            let text = format!(
                "channel: {}\nto: {}\nfrom: {}\nsubject: {}\n\n{}\n",
                m.channel.as_str(),
                m.to.expose_secret(),
                m.from,
                m.subject.as_deref().unwrap_or(""),
                m.body.expose_secret()
            );
            tokio::fs::write(self.dir.join(format!("{}.txt", m.id)), text)
                .await
                .map_err(|_| SendError::Temporary("the outbox directory is not writable".into()))?;
            Ok(format!("file:{}", m.id))
        })
    }
}

/// The providers of an installation, one per channel.
#[derive(Debug)]
pub struct Providers {
    pub email: Box<dyn Provider>,
    pub sms: Box<dyn Provider>,
    /// `From` of e-mail.
    pub email_from: String,
    /// SMS sender name or number.
    pub sms_sender: String,
    /// The token an SMS provider's inbound hook must carry (`?token=`); `None`: hooks refused.
    pub inbound_token: Option<SecretString>,
    /// The country of numbers the SMS provider reports without a country code.
    pub inbound_country: Option<&'static str>,
}

impl Providers {
    #[must_use]
    pub fn for_channel(&self, c: Channel) -> &dyn Provider {
        match c {
            Channel::Email => self.email.as_ref(),
            Channel::Sms => self.sms.as_ref(),
        }
    }

    /// Both channels into one directory (development).
    #[must_use]
    pub fn directory(dir: PathBuf) -> Self {
        Self {
            email: Box::new(Directory { dir: dir.clone() }),
            sms: Box::new(Directory { dir }),
            email_from: "shop@harim.invalid".into(),
            sms_sender: "harim".into(),
            inbound_token: None,
            inbound_country: None,
        }
    }
}
