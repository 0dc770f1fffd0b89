//! The two ways a reminder leaves the hub: an email over SMTP (plain text and HTML,
//! `Message-ID` from the log row's id) and a webhook (JSON, signed with HMAC-SHA256,
//! the row's id as the idempotency key). Both block; the reminder thread calls them,
//! never a request handler.

use std::time::Duration;

use hmac::{Hmac, Mac};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use sha2::Sha256;
use tagstation_core::escape::html;

use crate::log::Entry;
use crate::settings::{Security, Smtp, Webhook};

/// Why one try failed, in words for the log and the web app.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the mail server is not set up: {0}")]
    Setup(String),
    #[error("{0:?} is not an email address")]
    Address(String),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("the webhook could not be reached: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the webhook answered {0}")]
    Status(u16),
}

impl SendError {
    /// Did the server itself fail (no connection, no answer in time, a TLS failure),
    /// rather than answer about this one message? Then every other message to it would
    /// fail the same way, each after its own wait.
    pub fn server_down(&self) -> bool {
        match self {
            SendError::Smtp(e) => e.status().is_none(),
            SendError::Http(e) => e.is_connect() || e.is_timeout(),
            _ => false,
        }
    }
}

/// An SMTP connection's settings, ready to send.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// The right-hand side of Message-IDs: the sender's domain.
    domain: String,
}

impl Mailer {
    pub fn new(s: &Smtp) -> Result<Mailer, SendError> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|_| SendError::Address(s.from.clone()))?;
        let mut tls = TlsParameters::builder(s.host.clone());
        if let Some(path) = &s.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                SendError::Setup(format!("cannot read the CA file {}: {e}", path.display()))
            })?;
            tls = tls.add_root_certificate(Certificate::from_pem(&pem)?);
        }
        let tls = tls.build_rustls()?;
        let builder = SmtpTransport::builder_dangerous(&s.host).tls(match s.security {
            Security::Starttls => Tls::Required(tls),
            Security::Tls => Tls::Wrapper(tls),
            Security::None => Tls::None,
        });
        let mut builder = builder.port(s.port).timeout(Some(Duration::from_secs(20)));
        if let (Some(user), Some(password)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let domain = from.email.domain().to_string();
        Ok(Mailer {
            transport: builder.build(),
            from,
            domain,
        })
    }

    /// Send the row's message to its recipient.
    pub fn send(&self, e: &Entry, hub_url: Option<&str>) -> Result<(), SendError> {
        let to: Mailbox = e
            .recipient
            .parse()
            .map_err(|_| SendError::Address(e.recipient.clone()))?;
        let (text, page) = bodies(e, hub_url);
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(e.subject.clone())
            .message_id(Some(format!("<{}@{}>", e.id, self.domain)))
            .multipart(MultiPart::alternative_plain_html(text, page))
            .map_err(|err| SendError::Build(err.to_string()))?;
        self.transport.send(&msg)?;
        Ok(())
    }
}

/// The plain-text and the HTML body of a row's message; every line of it is escaped
/// in the HTML.
fn bodies(e: &Entry, hub_url: Option<&str>) -> (String, String) {
    let mut text = e.lines.join("\n");
    let mut page = String::from("<!doctype html><html><body>");
    for l in &e.lines {
        page.push_str(&format!("<p>{}</p>", html(l)));
    }
    if let Some(url) = hub_url {
        let link = format!("{}/reminders", url.trim_end_matches('/'));
        text.push_str(&format!("\n\nYour reminders and what you get: {link}\n"));
        page.push_str(&format!(
            "<p style=\"color:#555\">Your reminders and what you get: <a href=\"{0}\">{0}</a></p>",
            html(&link)
        ));
    }
    page.push_str("</body></html>");
    (text, page)
}

/// The header a webhook's signature travels in: `sha256=<hex>` of HMAC-SHA256 over
/// `<timestamp>.<body>` with the webhook's secret.
pub const SIGNATURE_HEADER: &str = "X-Tagstation-Signature";
/// Seconds since the epoch when the request was signed (a receiver refuses old ones).
pub const TIMESTAMP_HEADER: &str = "X-Tagstation-Timestamp";
/// The row's id: the same for every try of one reminder.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// `sha256=<hex>` for `body` signed at `timestamp` with `secret`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts every key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let sum = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        sum.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// POST the row to the webhook as signed JSON; any 2xx answer is success.
pub fn post(
    http: &reqwest::blocking::Client,
    hook: &Webhook,
    e: &Entry,
    now_ms: i64,
) -> Result<(), SendError> {
    let body = serde_json::to_vec(&serde_json::json!({
        "id": e.id,
        "kind": e.kind,
        "key": e.key,
        "subject": e.subject,
        "text": e.lines.join("\n"),
        "lines": e.lines,
        "created": tagstation_core::clock::rfc3339(e.created_ms),
        "attempt": e.attempts + 1,
    }))
    .map_err(|err| SendError::Build(err.to_string()))?;
    let ts = now_ms.div_euclid(1000);
    let resp = http
        .post(&hook.url)
        .header("Content-Type", "application/json")
        .header(IDEMPOTENCY_HEADER, &e.id)
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, signature(&hook.secret, ts, &body))
        .body(body)
        .send()?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(SendError::Status(resp.status().as_u16()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently, with Python's hmac:
        // hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature("key", 1_700_000_000, b"{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
