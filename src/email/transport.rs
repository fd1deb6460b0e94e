//! Where messages go: an SMTP server, or `.eml` files in a folder. Both through lettre.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{FileTransport, Message, SmtpTransport, Transport as _};

use super::render::Rendered;

pub enum Transport {
    Smtp(Box<SmtpTransport>),
    Files(FileTransport, PathBuf),
}

/// Whether a failed send may succeed later.
#[derive(Debug)]
pub enum SendError {
    Transient(String),
    Permanent(String),
}

impl Transport {
    /// SMTP from `smtp://host:port`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://…` (TLS); otherwise `.eml` files in `outbox_dir`.
    pub fn new(smtp_url: Option<&str>, outbox_dir: &Path) -> anyhow::Result<Transport> {
        match smtp_url.map(str::trim).filter(|u| !u.is_empty()) {
            Some(url) => {
                let transport = SmtpTransport::from_url(url)
                    .map_err(|e| anyhow::anyhow!("--smtp-url: {e} (use smtp://host:25, smtp://user:pass@host:587?tls=required or smtps://host:465)"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                Ok(Transport::Smtp(Box::new(transport)))
            }
            None => {
                std::fs::create_dir_all(outbox_dir).with_context(|| {
                    format!("cannot create the outbox folder {}", outbox_dir.display())
                })?;
                Ok(Transport::Files(
                    FileTransport::new(outbox_dir),
                    outbox_dir.to_path_buf(),
                ))
            }
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp(_) => "SMTP".into(),
            Transport::Files(_, dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Send; for the outbox folder, the file the message became (to erase it later).
    pub fn send(&self, message: &Message) -> Result<Option<String>, SendError> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| None).map_err(|e| {
                if e.is_permanent() {
                    SendError::Permanent(e.to_string())
                } else {
                    SendError::Transient(e.to_string())
                }
            }),
            Transport::Files(files, _) => files
                .send(message)
                .map(|id| Some(format!("{id}.eml")))
                .map_err(|e| SendError::Transient(e.to_string())),
        }
    }

    /// The outbox folder, when messages go there.
    pub fn folder(&self) -> Option<&Path> {
        match self {
            Transport::Smtp(_) => None,
            Transport::Files(_, dir) => Some(dir),
        }
    }
}

/// The message: plain text and HTML alternatives with the calendar part inline (so
/// calendar programs act on it), and the same calendar attached as `invite.ics`.
/// A file attached to a message (its view's `attachments`).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct File {
    pub name: String,
    pub content_type: String,
    pub body: String,
}

pub fn build(
    message_id: &str,
    from: &str,
    to: &str,
    rendered: &Rendered,
    ics: Option<(&str, &str)>,
    files: &[File],
) -> Result<Message, SendError> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| SendError::Permanent(format!("sender '{from}': {e}")))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| SendError::Permanent(format!("recipient '{to}': {e}")))?;
    let mut alternative = MultiPart::alternative()
        .singlepart(SinglePart::plain(rendered.text.clone()))
        .singlepart(SinglePart::html(rendered.html.clone()));
    let builder = Message::builder()
        .message_id(Some(format!("<{message_id}@greenroom>")))
        .from(from)
        .to(to)
        .subject(rendered.subject.clone());
    let mut attached: Vec<SinglePart> = vec![];
    if let Some((method, calendar)) = ics {
        let inline = ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
            .expect("valid content type");
        alternative = alternative.singlepart(
            SinglePart::builder()
                .header(inline)
                .body(calendar.to_string()),
        );
        let file = ContentType::parse("application/ics").expect("valid content type");
        attached.push(Attachment::new("invite.ics".into()).body(calendar.to_string(), file));
    }
    for f in files {
        let kind = ContentType::parse(&f.content_type)
            .map_err(|e| SendError::Permanent(format!("attachment {}: {e}", f.name)))?;
        attached.push(Attachment::new(f.name.clone()).body(f.body.clone(), kind));
    }
    let result = if attached.is_empty() {
        builder.multipart(alternative)
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for part in attached {
            mixed = mixed.singlepart(part);
        }
        builder.multipart(mixed)
    };
    result.map_err(|e| SendError::Permanent(format!("cannot build the message: {e}")))
}
