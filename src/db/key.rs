//! Ids as the hot reads hold them: a UUID in its canonical text (every id the service
//! makes, `db::new_id`) as its 128 bits, anything else as its text. Read straight from
//! the row's text, so that reading the assignments around an order or an availability
//! answer (hundreds of rows) allocates nothing for their ids.

use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::pg::{Pg, PgValue};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};

/// An id, compared and hashed as its text would be.
#[derive(Debug, Clone, PartialEq, Eq, Hash, FromSqlRow)]
pub enum Key {
    /// A UUID written as `db::new_id` writes it (lower-case, hyphenated): one text each,
    /// so equal bits mean equal text.
    Uuid(u128),
    /// Any other id, as it is.
    Text(Box<str>),
}

impl Key {
    pub fn of(id: &str) -> Key {
        let canonical = id.len() == 36 && !id.bytes().any(|b| b.is_ascii_uppercase());
        match canonical.then(|| uuid::Uuid::try_parse(id).ok()).flatten() {
            Some(u) => Key::Uuid(u.as_u128()),
            None => Key::Text(id.into()),
        }
    }
}

impl FromSql<Text, Sqlite> for Key {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(Key::of(value.read_text()))
    }
}

impl FromSql<Text, Pg> for Key {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Key::of(std::str::from_utf8(value.as_bytes())?))
    }
}

/// A timestamp as SQLite stores it, parsed from the row's text (no copy of it first; see
/// `db::parse_stored_time`).
#[derive(Debug, Clone, Copy, FromSqlRow)]
pub struct StoredTime(pub chrono::NaiveDateTime);

impl FromSql<Text, Sqlite> for StoredTime {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        super::parse_stored_time(value.read_text()).map(StoredTime)
    }
}

#[cfg(test)]
mod tests {
    use super::Key;

    #[test]
    fn a_canonical_uuid_is_its_bits_and_any_other_id_its_text() {
        let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(
            Key::of(id),
            Key::Uuid(0x0193a1b2_c3d4_7e5f_8a9b_0c1d2e3f4a5b)
        );
        // Another writing of the same UUID is another id: ids compare as text.
        let upper = id.to_uppercase();
        assert_eq!(Key::of(&upper), Key::Text(upper.clone().into()));
        assert_ne!(Key::of(&upper), Key::of(id));
        let simple = id.replace('-', "");
        assert_eq!(Key::of(&simple), Key::Text(simple.clone().into()));
        assert_eq!(Key::of("p1"), Key::Text("p1".into()));
        let made = crate::db::new_id();
        assert!(matches!(Key::of(&made), Key::Uuid(_)), "{made}");
    }
}
