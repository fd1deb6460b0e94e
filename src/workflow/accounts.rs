//! Staff accounts: inviting a member (a one-time link to set a password), setting it,
//! signing in and out, disabling a member, and the API tokens members own. Passwords
//! are kept as argon2id hashes (PHC strings); sessions and links as SHA-256 hashes of
//! their random values, so the database never holds anything that opens a door.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::db::models::staff_tokens::TokenInfo;
use crate::db::models::{
    calendar_feeds, staff_invitations, staff_members, staff_sessions, staff_tokens,
};
use crate::db::{self, write_transaction};
use crate::domain::error::{Error, ProblemCode};
use crate::domain::staff::{Member, Role, Staff};
use crate::domain::text;

use super::Services;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 200;
/// A session's last use is written at most this often.
const TOUCH_MINUTES: i64 = 5;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 256 random bits, hex.
fn secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// What the database keeps of a secret.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hash_password(password: &str) -> Result<String, Error> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| Error::Internal(anyhow::anyhow!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(anyhow::anyhow!("argon2: {e}")))
}

/// Compared with argon2 whether or not the member exists, so the time taken does not
/// tell which e-mails are staff.
fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash_password("no such member").unwrap_or_default());
    let parsed = PasswordHash::new(stored.unwrap_or(decoy));
    let Ok(parsed) = parsed else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && stored.is_some()
}

/// The checks a new password passes.
pub fn check_password(password: &str) -> Result<(), Error> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(Error::field(
            "password",
            ProblemCode::InvalidFormat,
            format!("a password needs at least {MIN_PASSWORD_CHARS} characters; a few words make a good one"),
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(Error::field(
            "password",
            ProblemCode::TooLong,
            format!("a password has at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// A new member, and the secret of their one-time link to set a password.
pub fn invite(
    svc: &Services,
    name: &str,
    email: &str,
    role: Role,
) -> Result<(Member, String), Error> {
    let name = name.trim();
    let email = email.trim();
    let mut problems = vec![];
    if name.is_empty() || name.chars().count() > 100 || text::name(name, "name").is_err() {
        problems.push(crate::domain::error::FieldError::new(
            "name",
            ProblemCode::InvalidFormat,
            "a name of 1 to 100 characters, letters and spaces",
        ));
    }
    if !text::valid_email(email) {
        problems.push(crate::domain::error::FieldError::new(
            "email",
            ProblemCode::InvalidFormat,
            "an e-mail address such as sam@example.com",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    let now = svc.now();
    let token = secret();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| -> Result<(Member, String), Error> {
            if staff_members::by_email(conn, email)?.is_some() {
                return Err(Error::refused(
                    ProblemCode::StaffExists,
                    format!("{email} is already on the staff"),
                ));
            }
            let member = staff_members::insert(conn, name, email, role, now).map_err(|e| {
                if db::is_unique_violation(&e) {
                    Error::refused(
                        ProblemCode::StaffExists,
                        format!("{email} is already on the staff (disabled)"),
                    )
                } else {
                    e.into()
                }
            })?;
            staff_invitations::insert(
                conn,
                &digest(&token),
                &member.id,
                now + Duration::days(INVITATION_DAYS),
            )?;
            Ok((member, token.clone()))
        })
    })
}

/// A new link for an existing member (a forgotten password).
pub fn reinvite(svc: &Services, staff_id: &str) -> Result<String, Error> {
    let now = svc.now();
    let token = secret();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| -> Result<String, Error> {
            if staff_members::by_id(conn, staff_id)?.is_none() {
                return Err(Error::not_found("this member of staff"));
            }
            staff_invitations::insert(
                conn,
                &digest(&token),
                staff_id,
                now + Duration::days(INVITATION_DAYS),
            )?;
            Ok(token.clone())
        })
    })
}

/// Whom a link is for, while it works.
pub fn invitation(svc: &Services, token: &str) -> Result<Option<Member>, Error> {
    let mut conn = svc.db.read()?;
    let Some(staff_id) = staff_invitations::valid(&mut conn, &digest(token), svc.now())? else {
        return Ok(None);
    };
    Ok(staff_members::by_id(&mut conn, &staff_id)?)
}

/// Set the password a link was sent for; the link is then used up and the member's
/// other sessions end. Returns a new session's secret (they are signed in).
pub fn set_password(
    svc: &Services,
    token: &str,
    password: &str,
) -> Result<(Member, String), Error> {
    check_password(password)?;
    let hash = hash_password(password)?;
    let now = svc.now();
    let session = secret();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| -> Result<(Member, String), Error> {
            let expired = || Error::not_found("this link (it was used or has expired)");
            let staff_id =
                staff_invitations::valid(conn, &digest(token), now)?.ok_or_else(expired)?;
            let member = staff_members::by_id(conn, &staff_id)?.ok_or_else(expired)?;
            if !staff_invitations::use_up(conn, &digest(token), now)? {
                return Err(expired());
            }
            staff_members::set_password(conn, &member.id, &hash)?;
            staff_sessions::revoke_all(conn, &member.id, now)?;
            staff_sessions::insert(conn, &digest(&session), &member.id, now)?;
            Ok((member, session.clone()))
        })
    })
}

/// Sign in: the member and a new session's secret, or nothing (wrong e-mail or wrong
/// password, alike).
pub fn sign_in(
    svc: &Services,
    email: &str,
    password: &str,
) -> Result<Option<(Member, String)>, Error> {
    if password.chars().count() > MAX_PASSWORD_CHARS {
        return Ok(None);
    }
    let found = {
        let mut conn = svc.db.read()?;
        staff_members::by_email(&mut conn, email)?
    };
    let stored = found.as_ref().and_then(|(_, h)| h.as_deref());
    if !verify_password(password, stored) {
        return Ok(None);
    }
    let Some((member, _)) = found else {
        return Ok(None);
    };
    let now = svc.now();
    let session = secret();
    svc.db.write(|conn| -> Result<(), Error> {
        Ok(staff_sessions::insert(
            conn,
            &digest(&session),
            &member.id,
            now,
        )?)
    })?;
    Ok(Some((member, session)))
}

/// Who a session's secret belongs to, while it is live.
pub fn session(svc: &Services, secret: &str) -> Result<Option<Staff>, Error> {
    let id = digest(secret);
    let now = svc.now();
    let found = {
        let mut conn = svc.db.read()?;
        staff_sessions::member(&mut conn, &id, now)?
    };
    let Some((member, seen)) = found else {
        return Ok(None);
    };
    if now - seen > Duration::minutes(TOUCH_MINUTES) {
        svc.db
            .write(|conn| -> Result<usize, Error> { Ok(staff_sessions::touch(conn, &id, now)?) })?;
    }
    Ok(Some(Staff {
        token_id: format!("session-{}", &id[..12]),
        role: member.role,
        member: Some(member),
    }))
}

pub fn sign_out(svc: &Services, secret: &str) -> Result<(), Error> {
    let now = svc.now();
    svc.db.write(|conn| -> Result<usize, Error> {
        Ok(staff_sessions::revoke(conn, &digest(secret), now)?)
    })?;
    Ok(())
}

/// Everyone on the staff: (member, disabled, has a password).
pub fn members(svc: &Services) -> Result<Vec<(Member, bool, bool)>, Error> {
    let mut conn = svc.db.read()?;
    Ok(staff_members::list(&mut conn)?)
}

/// Disable a member: their sessions and tokens stop at once.
pub fn disable(svc: &Services, staff_id: &str) -> Result<(), Error> {
    let now = svc.now();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| -> Result<(), Error> {
            if staff_members::disable(conn, staff_id, now)? == 0 {
                return Err(Error::not_found("this member of staff"));
            }
            staff_sessions::revoke_all(conn, staff_id, now)?;
            staff_tokens::revoke_all(conn, staff_id, now)?;
            Ok(())
        })
    })
}

/// Tokens: a member's own, or (`None`) everyone's.
pub fn tokens(svc: &Services, staff_id: Option<&str>) -> Result<Vec<TokenInfo>, Error> {
    let mut conn = svc.db.read()?;
    Ok(staff_tokens::list(&mut conn, staff_id)?)
}

/// A new API token for a member, with their role at most. Shown once.
pub fn create_token(
    svc: &Services,
    member: &Member,
    label: Option<&str>,
) -> Result<(String, String), Error> {
    let role = if member.role == Role::Producer {
        return Err(Error::refused(
            ProblemCode::Forbidden,
            "producers read their schedule through their calendar feed, not the API",
        ));
    } else {
        member.role
    };
    let now = svc.now();
    svc.db.write(|conn| {
        Ok(staff_tokens::create_for(
            conn,
            role,
            label,
            Some(&member.id),
            now,
        )?)
    })
}

/// Revoke a token: any, for an admin; one's own, for anyone else.
pub fn revoke_token(svc: &Services, id: &str, by: &Staff) -> Result<(), Error> {
    let now = svc.now();
    let owner = match (&by.member, by.role) {
        (_, Role::Admin) => None,
        (Some(m), _) => Some(m.id.clone()),
        (None, _) => return Err(Error::forbidden("an admin")),
    };
    let done = svc.db.write(|conn| -> Result<bool, Error> {
        Ok(staff_tokens::revoke(conn, id, owner.as_deref(), now)?)
    })?;
    if !done {
        return Err(Error::not_found("this token (or it is revoked)"));
    }
    Ok(())
}

/// A new private calendar feed for the member (their earlier one stops): its secret,
/// shown once in the URL.
pub fn create_feed(svc: &Services, member: &Member) -> Result<String, Error> {
    let now = svc.now();
    let token = secret();
    svc.db.write(|conn| {
        write_transaction(conn, |conn| {
            calendar_feeds::revoke_all(conn, &member.id, now)?;
            calendar_feeds::insert(conn, &digest(&token), &member.id, now)?;
            Ok::<_, Error>(())
        })
    })?;
    Ok(token)
}

/// Stop the member's feed: its URL answers 404 from now on.
pub fn revoke_feed(svc: &Services, member: &Member) -> Result<(), Error> {
    let now = svc.now();
    svc.db
        .write(|conn| Ok::<_, Error>(calendar_feeds::revoke_all(conn, &member.id, now)?))?;
    Ok(())
}

pub fn has_feed(svc: &Services, member: &Member) -> Result<bool, Error> {
    let mut conn = svc.db.read()?;
    Ok(calendar_feeds::has_live(&mut conn, &member.id)?)
}

/// Who coordinates, and which zones: member id → the zones' names (empty: any region),
/// for those who coordinate.
pub fn coordinators(
    svc: &Services,
) -> Result<std::collections::HashMap<String, Vec<String>>, Error> {
    let mut conn = svc.db.read()?;
    Ok(staff_members::coordinator_zones(&mut conn)?
        .into_iter()
        .filter_map(|(id, zones)| {
            let names: Vec<String> = serde_json::from_str(zones.as_deref()?).ok()?;
            Some((id, names))
        })
        .collect())
}

/// Make a member a coordinator of `zones` (empty: any region), or not (`None`).
pub fn set_coordinator(
    svc: &Services,
    id: &str,
    zones: Option<Vec<chrono_tz::Tz>>,
) -> Result<(), Error> {
    let changed = svc.db.write(|conn| {
        Ok::<_, Error>(staff_members::set_coordinator_zones(
            conn,
            id,
            zones.as_deref(),
        )?)
    })?;
    if changed == 0 {
        return Err(Error::not_found("that member"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("correct horse batterz", Some(&h)));
        assert!(!verify_password("correct horse battery", None));
        assert!(check_password("short").is_err());
        assert!(check_password("twelve chars").is_ok());
        assert_ne!(
            hash_password("same one here").unwrap(),
            hash_password("same one here").unwrap()
        );
    }
}
