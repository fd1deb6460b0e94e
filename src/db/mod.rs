//! Persistence: one connection type over PostgreSQL and SQLite, the pool, migrations,
//! and the write transaction that keeps "check then insert" atomic on both.

pub mod producers;
pub mod schema;
pub mod tokens;

use std::time::Duration;

use anyhow::Context;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// The constraint (PostgreSQL) or trigger message (SQLite) that refuses a double booking.
pub const NO_DOUBLE_BOOKING: &str = "bookings_no_double_booking";

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Where the data lives, from the URL's scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    Sqlite(String),
}

impl DbUrl {
    /// `postgres://…` or `postgresql://…`; `sqlite://PATH`, `sqlite:PATH` or a bare path.
    pub fn parse(url: &str) -> Result<DbUrl, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err(
                "the database URL is empty; use sqlite://greenroom.db or postgres://user@host/db"
                    .into(),
            );
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_string()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("sqlite:// needs a file path, such as sqlite://greenroom.db".into());
            }
            return Ok(DbUrl::Sqlite(path.to_string()));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(format!(
                "'{scheme}://' is not a supported database; use postgres://… or sqlite://PATH"
            ));
        }
        Ok(DbUrl::Sqlite(url.to_string()))
    }

    /// The URL with any password hidden, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{p}"),
            DbUrl::Postgres(u) => redact_password(u),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DbUrl::Postgres(_))
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (auth, host) = match rest.split_once('@') {
        Some((a, h)) if !a.contains('/') => (a, h),
        _ => return url.to_string(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// An r2d2 manager that picks the backend from the URL and sets SQLite up for many
/// readers and one writer at a time.
#[derive(Debug, Clone)]
pub struct Manager {
    url: DbUrl,
    /// Statements run on this pool's connections (for metrics and for tests that
    /// check a request's database work does not grow with the data).
    queries: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Manager {
    fn counter(&self) -> impl FnMut(diesel::connection::InstrumentationEvent<'_>) + Send + 'static {
        let queries = self.queries.clone();
        move |event| {
            if let diesel::connection::InstrumentationEvent::StartQuery { .. } = event {
                queries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DbUrl::Postgres(u) => {
                let mut c = PgConnection::establish(u).map_err(r2d2::Error::ConnectionError)?;
                c.set_instrumentation(self.counter());
                Ok(DbConnection::Postgresql(c))
            }
            DbUrl::Sqlite(path) => {
                let mut c =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                c.set_instrumentation(self.counter());
                c.batch_execute(
                    "PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA cache_size = -16000; PRAGMA mmap_size = 268435456;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(c))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// Connect, with a clear message when the database cannot be reached.
pub fn connect(url: &DbUrl, max_size: u32) -> anyhow::Result<Pool> {
    Ok(connect_counted(url, max_size)?.0)
}

/// Statements run on a pool's connections, counted as they start.
pub type QueryCounter = std::sync::Arc<std::sync::atomic::AtomicU64>;

/// Connect, also returning the pool's statement counter.
pub fn connect_counted(url: &DbUrl, max_size: u32) -> anyhow::Result<(Pool, QueryCounter)> {
    let queries = QueryCounter::default();
    let manager = Manager {
        url: url.clone(),
        queries: queries.clone(),
    };
    // One direct attempt first: r2d2 would only report a timeout.
    let first = manager
        .connect()
        .map_err(|e| anyhow::anyhow!("cannot open the database at {}: {e}", url.redacted()))?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(30))
        .build(manager)
        .with_context(|| format!("cannot open a pool of connections to {}", url.redacted()))?;
    Ok((pool, queries))
}

/// Where writes run. On SQLite: one dedicated writer connection, taken in turn. SQLite
/// admits a single writer anyway; queuing here instead of in SQLite's busy handler (which
/// sleeps in steps of up to 100 ms) keeps waits short, keeps the pool free for readers,
/// and keeps the writer's page cache warm (in WAL mode a connection's cache is dropped
/// whenever another connection writes). `BEGIN IMMEDIATE` and the busy timeout still
/// guard against other processes on the same file. On PostgreSQL writes run concurrently
/// on pooled connections.
#[derive(Clone, Default)]
pub struct WriteGate(Option<std::sync::Arc<std::sync::Mutex<DbConnection>>>);

impl WriteGate {
    pub fn open(url: &DbUrl, queries: &QueryCounter) -> anyhow::Result<WriteGate> {
        match url {
            DbUrl::Postgres(_) => Ok(WriteGate(None)),
            DbUrl::Sqlite(_) => {
                let manager = Manager {
                    url: url.clone(),
                    queries: queries.clone(),
                };
                let conn = manager.connect().map_err(|e| {
                    anyhow::anyhow!("cannot open the database at {}: {e}", url.redacted())
                })?;
                Ok(WriteGate(Some(std::sync::Arc::new(std::sync::Mutex::new(
                    conn,
                )))))
            }
        }
    }

    /// Run `f` with the connection writes use: the writer's own on SQLite, a pooled one
    /// on PostgreSQL. Blocks; call it on a blocking thread.
    pub fn run<T, E>(
        &self,
        pool: &Pool,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<r2d2::PoolError>,
    {
        match &self.0 {
            Some(writer) => {
                let mut conn = writer.lock().unwrap_or_else(|e| e.into_inner());
                f(&mut conn)
            }
            None => f(&mut *pool.get()?),
        }
    }
}

/// Bring the schema up to date. Returns the versions applied.
/// Bring the schema up to date. Several instances may start at once: on PostgreSQL they
/// take turns on an advisory lock, on SQLite on the database's write lock, so each
/// migration runs once.
pub fn migrate(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    /// Any constant that no other program uses as its advisory lock key.
    const MIGRATION_LOCK: i64 = 0x6772_6565_6e72_6f6f; // "greenroo"
    let fail = |e: &dyn std::fmt::Display| anyhow::anyhow!("the database migration failed: {e}");
    let names = |v: Vec<diesel::migration::MigrationVersion<'_>>| {
        v.iter().map(|m| m.to_string()).collect::<Vec<_>>()
    };
    match conn {
        DbConnection::Postgresql(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .execute(c)
                .map_err(|e| fail(&e))?;
            let applied = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(names)
                .map_err(|e| fail(&e));
            let unlocked =
                diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                    .execute(c);
            let applied = applied?;
            unlocked.map_err(|e| fail(&e))?;
            Ok(applied)
        }
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                .map_err(|e| fail(&e))?;
            match c.run_pending_migrations(SQLITE_MIGRATIONS).map(names) {
                Ok(applied) => {
                    <SqliteConnection as Connection>::TransactionManager::commit_transaction(c)
                        .map_err(|e| fail(&e))?;
                    Ok(applied)
                }
                Err(e) => {
                    let _ =
                        <SqliteConnection as Connection>::TransactionManager::rollback_transaction(
                            c,
                        );
                    Err(fail(&e))
                }
            }
        }
    }
}

/// A transaction that takes the write lock at its start on SQLite (`BEGIN IMMEDIATE`), so
/// that a check and the insert it allows cannot interleave with another writer; a plain
/// transaction on PostgreSQL, where the exclusion constraint settles races.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    match conn {
        DbConnection::Postgresql(_) => conn.transaction(f),
        DbConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    match <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
                    {
                        Ok(()) => Ok(value),
                        Err(e) => {
                            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
                            Err(e.into())
                        }
                    }
                }
                Err(e) => {
                    let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(
                        conn,
                    );
                    Err(e)
                }
            }
        }
    }
}

/// The database refused a double booking (exclusion constraint or trigger).
pub fn is_double_booking(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(_, info) => {
            info.constraint_name() == Some(NO_DOUBLE_BOOKING)
                || info.message().contains(NO_DOUBLE_BOOKING)
        }
        _ => false,
    }
}

pub fn is_unique_violation(e: &DieselError) -> bool {
    matches!(
        e,
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// A transient conflict worth retrying: PostgreSQL serialization or deadlock, SQLite busy.
pub fn is_transient(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("deadlock detected")
                || m.contains("database is locked")
                || m.contains("database table is locked")
        }
        _ => false,
    }
}

/// Instants are stored as UTC `timestamp` on both backends.
pub fn to_db(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

pub fn from_db(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(
            DbUrl::parse("postgres://u:p@h/db").unwrap(),
            DbUrl::Postgres("postgres://u:p@h/db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite://data/g.db").unwrap(),
            DbUrl::Sqlite("data/g.db".into())
        );
        assert_eq!(
            DbUrl::parse("sqlite:///var/g.db").unwrap(),
            DbUrl::Sqlite("/var/g.db".into())
        );
        assert_eq!(DbUrl::parse("g.db").unwrap(), DbUrl::Sqlite("g.db".into()));
        assert!(DbUrl::parse("mysql://h/db").is_err());
        assert!(DbUrl::parse("").is_err());
        assert_eq!(
            DbUrl::parse("postgres://u:secret@h/db").unwrap().redacted(),
            "postgres://u:***@h/db"
        );
    }
}
