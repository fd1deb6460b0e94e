//! The meeting directory: the customer's meeting site, asked for a host's meeting (to
//! fill in step 3 of an order) and told when a booking moves (to move the meeting too).
//! One implementation, for the Webex Meetings REST API (`GET /v1/meetings`,
//! `PATCH /v1/meetings/{meetingId}`, bearer token), over awc.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

/// A meeting the directory holds.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundMeeting {
    /// The directory's id for it (Webex: the meeting instance's id).
    pub id: String,
    /// The number people dial or type to join.
    pub number: Option<String>,
    pub title: String,
    pub agenda: Option<String>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("the meeting directory refused the service's token ({0})")]
    Unauthorized(u16),
    #[error("the meeting directory cannot be reached: {0}")]
    Unreachable(String),
    #[error("the meeting directory answered {status}: {message}")]
    Failed { status: u16, message: String },
}

pub type Answer<'a, T> = Pin<Box<dyn Future<Output = Result<T, DirectoryError>> + 'a>>;

pub trait MeetingDirectory: Send + Sync {
    /// The meeting `host_email` hosts that starts nearest `around`, within 12 hours.
    fn find<'a>(
        &'a self,
        host_email: &'a str,
        around: DateTime<Utc>,
    ) -> Answer<'a, Option<FoundMeeting>>;

    /// Move the meeting `id` to a new start and end (shown in `time_zone`); the site
    /// tells its invitees.
    fn reschedule<'a>(
        &'a self,
        id: &'a str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time_zone: Tz,
    ) -> Answer<'a, ()>;
}

/// How far from the asked start a meeting may start and still be "the" meeting.
const NEAR_HOURS: i64 = 12;

/// The Webex Meetings REST API.
pub struct Webex {
    base: String,
    token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WebexMeeting {
    id: String,
    #[serde(default)]
    meeting_number: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    agenda: Option<String>,
    start: DateTime<chrono::FixedOffset>,
    end: DateTime<chrono::FixedOffset>,
}

#[derive(Deserialize)]
struct WebexList {
    #[serde(default)]
    items: Vec<WebexMeeting>,
}

#[derive(Deserialize)]
struct WebexError {
    #[serde(default)]
    message: String,
}

impl Webex {
    pub fn new(base: &str, token: &str) -> Webex {
        Webex {
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
        }
    }

    fn client(&self) -> awc::Client {
        awc::Client::builder()
            .timeout(Duration::from_secs(10))
            .bearer_auth(&self.token)
            .finish()
    }
}

async fn failure(mut res: awc::ClientResponse) -> DirectoryError {
    let status = res.status().as_u16();
    if status == 401 || status == 403 {
        return DirectoryError::Unauthorized(status);
    }
    let message = res
        .json::<WebexError>()
        .await
        .map(|e| e.message)
        .unwrap_or_default();
    DirectoryError::Failed { status, message }
}

impl MeetingDirectory for Webex {
    fn find<'a>(
        &'a self,
        host_email: &'a str,
        around: DateTime<Utc>,
    ) -> Answer<'a, Option<FoundMeeting>> {
        Box::pin(async move {
            let from = around - chrono::Duration::hours(NEAR_HOURS);
            let to = around + chrono::Duration::hours(NEAR_HOURS);
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("meetingType", "scheduledMeeting")
                .append_pair("hostEmail", host_email)
                .append_pair(
                    "from",
                    &from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                )
                .append_pair("to", &to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .append_pair("max", "100")
                .finish();
            let mut res = self
                .client()
                .get(format!("{}/v1/meetings?{query}", self.base))
                .insert_header(("Accept", "application/json"))
                .send()
                .await
                .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
            if !res.status().is_success() {
                return Err(failure(res).await);
            }
            let list: WebexList =
                res.json()
                    .limit(4 * 1024 * 1024)
                    .await
                    .map_err(|e| DirectoryError::Failed {
                        status: 200,
                        message: format!("an answer that is not a meeting list: {e}"),
                    })?;
            Ok(list
                .items
                .into_iter()
                .map(|m| FoundMeeting {
                    id: m.id,
                    number: m.meeting_number,
                    title: m.title,
                    agenda: m.agenda.filter(|a| !a.trim().is_empty()),
                    start: m.start.with_timezone(&Utc),
                    end: m.end.with_timezone(&Utc),
                })
                .filter(|m| (m.start - around).num_hours().abs() <= NEAR_HOURS)
                .min_by_key(|m| (m.start - around).num_seconds().abs()))
        })
    }

    fn reschedule<'a>(
        &'a self,
        id: &'a str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        time_zone: Tz,
    ) -> Answer<'a, ()> {
        Box::pin(async move {
            let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
            let res = self
                .client()
                .patch(format!("{}/v1/meetings/{id}", self.base))
                .send_json(&serde_json::json!({
                    "start": start.with_timezone(&time_zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                    "end": end.with_timezone(&time_zone).to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                    "timezone": time_zone.name(),
                    "sendEmail": true,
                }))
                .await
                .map_err(|e| DirectoryError::Unreachable(e.to_string()))?;
            if !res.status().is_success() {
                return Err(failure(res).await);
            }
            Ok(())
        })
    }
}
