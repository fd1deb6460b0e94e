//! The session: a random cookie (HttpOnly, SameSite=Lax, Secure over https) naming what
//! the server keeps for the visitor (the order being filled in, the booking being
//! managed), and the CSRF token every form carries, derived from the cookie so that a
//! page of another site can neither read nor forge it.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::error::Error;
use crate::http::AppState;
use crate::workflow::visits;

pub const COOKIE: &str = "greenroom_session";

/// What the order pages remember: every field as typed, so that a page shows it again.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrderDraft {
    /// Field values by form name.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Step 1 was accepted (a producer is free then).
    #[serde(default)]
    pub slot_done: bool,
    /// Step 2 was accepted.
    #[serde(default)]
    pub meeting_done: bool,
    /// What the meeting directory said in step 2, shown in step 3.
    #[serde(default)]
    pub directory_note: Option<String>,
    /// The order's idempotency key: placing it twice (a double click, a reload) books once.
    #[serde(default)]
    pub key: String,
}

impl OrderDraft {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.fields.insert(name.to_string(), value.into());
    }
}

/// A booking this visitor opened with its number and e-mail (or just ordered).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Opened {
    pub number: String,
    pub email: String,
    /// A new start the visitor chose, waiting for their answer about the meeting.
    #[serde(default)]
    pub new_start: Option<String>,
    /// The start before the last change, to show old and new.
    #[serde(default)]
    pub previous: Option<(String, String)>,
    /// What happened to the meeting on the customer's site after the change.
    #[serde(default)]
    pub meeting_note: Option<String>,
    /// The fee of the cancellation just made.
    #[serde(default)]
    pub cancelled: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SessionData {
    #[serde(default)]
    pub order: OrderDraft,
    /// The order just placed, for its confirmation page.
    #[serde(default)]
    pub placed: Option<Opened>,
    /// The booking being managed.
    #[serde(default)]
    pub manage: Option<Opened>,
}

pub struct Session {
    /// The cookie's value: 256 random bits, hex.
    value: String,
    /// The value was made for this request: send the cookie.
    fresh: bool,
    pub data: SessionData,
}

/// A cookie's value from the request.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.trim_matches('"').to_string())
        })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_session_value(v: &str) -> bool {
    v.len() == 64
        && v.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl Session {
    /// The visitor's session, read from the database; a new one (not yet stored) when
    /// the request has no valid cookie or its session expired.
    pub async fn open(req: &HttpRequest, state: &AppState) -> Result<Session, Error> {
        if let Some(value) = cookie(req, COOKIE).filter(|v| is_session_value(v)) {
            let id = Session::id_of(&value);
            let stored = state.run(move |svc| visits::load(svc, &id)).await?;
            let data = stored
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or_default();
            return Ok(Session {
                value,
                fresh: false,
                data,
            });
        }
        let value = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        Ok(Session {
            value,
            fresh: true,
            data: SessionData::default(),
        })
    }

    /// The database's key: a hash, so that the table never holds a usable cookie.
    fn id_of(value: &str) -> String {
        hex(&Sha256::digest(format!("session:{value}")))
    }

    /// The request came with this session's cookie (a form needs it).
    pub fn has_cookie(&self) -> bool {
        !self.fresh
    }

    /// The token every form of this session carries.
    pub fn csrf(&self) -> String {
        hex(&Sha256::digest(format!("csrf:{}", self.value)))
    }

    pub fn csrf_matches(&self, token: &str) -> bool {
        let expected = self.csrf();
        // Compared in full whatever the first difference, so timing tells nothing.
        token.len() == expected.len()
            && token
                .bytes()
                .zip(expected.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The `Set-Cookie` value for a new session. A session cookie (no expiry): the
    /// server forgets it a day after its last use anyway.
    pub fn new_cookie(&self, secure: bool) -> Option<String> {
        self.fresh.then(|| {
            format!(
                "{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{}",
                self.value,
                if secure { "; Secure" } else { "" }
            )
        })
    }

    pub async fn save(&self, state: &AppState) -> Result<(), Error> {
        let id = Session::id_of(&self.value);
        let data = serde_json::to_string(&self.data).map_err(|e| Error::Internal(e.into()))?;
        state.run(move |svc| visits::save(svc, &id, &data)).await
    }
}
