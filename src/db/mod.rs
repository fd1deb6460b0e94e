//! Persistence: one connection type over PostgreSQL and SQLite, the pool, migrations,
//! and the write transaction that keeps "check then insert" atomic on both.

pub mod key;
pub mod models;
pub mod roster;
pub mod schema;

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

/// Why the database cannot serve just now. Always a 503 with `Retry-After`, never a 500:
/// the request was fine, the storage under it is not.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unavailable(pub String);

impl From<r2d2::PoolError> for Unavailable {
    fn from(e: r2d2::PoolError) -> Unavailable {
        Unavailable(format!("no database connection could be had in time: {e}"))
    }
}

/// When a new connection last failed (milliseconds since the Unix epoch; 0: never), so
/// that requests fail at once while the database is down instead of each waiting out
/// the checkout timeout.
#[derive(Debug, Default)]
struct Health {
    last_connect_failure_ms: std::sync::atomic::AtomicI64,
}

impl Health {
    fn connect_failed(&self) {
        self.last_connect_failure_ms.store(
            chrono::Utc::now().timestamp_millis(),
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    fn connect_failed_within(&self, window: Duration) -> bool {
        let at = self
            .last_connect_failure_ms
            .load(std::sync::atomic::Ordering::Relaxed);
        at != 0 && chrono::Utc::now().timestamp_millis() - at < window.as_millis() as i64
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
    health: std::sync::Arc<Health>,
}

/// How recently a statement must have succeeded on a PostgreSQL connection for it to be
/// handed out without a ping.
const USED_RECENTLY: Duration = Duration::from_secs(1);

/// A connection's instrumentation: counts its statements (into the pool's counter), and
/// remembers when one last succeeded and whether the server was lost. A PostgreSQL
/// connection in steady use is then handed out without a ping (a round trip an order
/// paid twice), and one whose server went away is dropped when given back rather than
/// handed out again.
struct Watch {
    queries: QueryCounter,
    last_ok: Option<std::time::Instant>,
    lost: bool,
}

impl diesel::connection::Instrumentation for Watch {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        use diesel::connection::InstrumentationEvent as Event;
        match event {
            Event::StartQuery { .. } => {
                self.queries
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Event::FinishQuery { error: None, .. } => {
                self.last_ok = Some(std::time::Instant::now());
            }
            Event::FinishQuery { error: Some(e), .. } if is_connection_lost(e) => {
                self.lost = true;
            }
            _ => {}
        }
    }
}

fn watch(conn: &mut DbConnection) -> Option<&mut Watch> {
    conn.instrumentation().downcast_mut::<Watch>()
}

impl Manager {
    fn counter(&self) -> Watch {
        Watch {
            queries: self.queries.clone(),
            last_ok: None,
            lost: false,
        }
    }

    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DbUrl::Postgres(u) => {
                let mut c = PgConnection::establish(u).map_err(r2d2::Error::ConnectionError)?;
                c.set_instrumentation(self.counter());
                Ok(DbConnection::Postgresql(c))
            }
            DbUrl::Sqlite(path) => {
                sqlite_without_memory_statistics();
                let mut c =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                c.set_instrumentation(self.counter());
                c.batch_execute("PRAGMA busy_timeout = 30000;")
                    .map_err(r2d2::Error::QueryError)?;
                // Switching a new file to WAL takes its lock, and SQLite refuses rather
                // than waits when processes opening it together collide: try again.
                // A page cache of 400 KiB a reader (the writer's is in `writer_pragmas`): a
                // reader's cache is emptied at every commit anyway (WAL mode); 2 MiB cost
                // 6-10 MiB of RSS over the pool once group commit made commits rarer, and
                // 1 MiB 3 MiB more than 400 KiB under orders, for no measured speed. Savepoints'
                // journals in memory; a connection other than the writer's (a command's,
                // the migrations') checkpoints the write-ahead log every 10,000 pages rather
                // than 1,000; the writer leaves it to the checkpointer (`spawn_checkpointer`).
                let mut tries = 0;
                loop {
                    match c.batch_execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA cache_size = -400; PRAGMA mmap_size = 0; \
                         PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000;",
                    ) {
                        Ok(()) => break,
                        Err(e) if tries < 100 && is_transient(&e) => {
                            tries += 1;
                            std::thread::sleep(Duration::from_millis(20 + 5 * tries));
                        }
                        Err(e) => return Err(r2d2::Error::QueryError(e)),
                    }
                }
                Ok(DbConnection::Sqlite(c))
            }
        }
    }
}

/// SQLite counts every allocation it makes (for `sqlite3_memory_used`, which nothing
/// here reads) under one mutex shared by every connection of the process: under orders
/// the writer, holding the write lock, waited for that mutex behind readers (seen with
/// `perf record -e sched:sched_switch`). Turned off before SQLite starts; once it has
/// started (a test that opened a database first) the call is refused and nothing
/// changes.
fn sqlite_without_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: SQLITE_CONFIG_MEMSTATUS takes one int; sqlite3_config is only called
        // here, once, and SQLite refuses it (SQLITE_MISUSE) once initialised rather than
        // changing a setting in use.
        unsafe {
            libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0);
        }
    });
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.open().inspect_err(|_| self.health.connect_failed())
    }

    /// Checked out (PostgreSQL): a connection on which a statement succeeded within
    /// `USED_RECENTLY` is taken as alive, any other is pinged.
    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if watch(conn)
            .and_then(|w| w.last_ok)
            .is_some_and(|at| at.elapsed() < USED_RECENTLY)
        {
            return Ok(());
        }
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        // A connection given back during a panic, or still inside a transaction, is
        // dropped (which rolls the transaction back) rather than handed to the next user;
        // so is one whose server went away.
        std::thread::panicking() || conn.is_broken() || watch(conn).is_some_and(|w| w.lost)
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// Statements run on a pool's connections, counted as they start.
pub type QueryCounter = std::sync::Arc<std::sync::atomic::AtomicU64>;

/// The SQLite file as opened, to notice when it is deleted, replaced or made read-only
/// under the open connections (which would otherwise go on writing to a file nobody
/// will ever read again).
#[derive(Debug)]
struct FileIdentity {
    path: std::path::PathBuf,
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    fn of(path: &str) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        meta.is_file().then(|| FileIdentity {
            path: path.into(),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    fn check(&self) -> Result<(), Unavailable> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let shown = self.path.display();
        match std::fs::metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Unavailable(format!(
                "the database file {shown} is gone; restore it (or start anew) and restart the service"
            ))),
            Err(e) => Err(Unavailable(format!(
                "the database file {shown} cannot be read: {e}"
            ))),
            Ok(m) if (m.dev(), m.ino()) != (self.dev, self.ino) => Err(Unavailable(format!(
                "the database file {shown} was replaced by another file; restart the service to use it"
            ))),
            Ok(m) if m.permissions().mode() & 0o222 == 0 => Err(Unavailable(format!(
                "the database file {shown} is read-only; make it writable again"
            ))),
            Ok(_) => Ok(()),
        }
    }
}

/// On SQLite, every write goes through one dedicated writer connection, on a thread of
/// its own (`spawn_writer`). SQLite admits a single writer anyway; queuing here instead
/// of in SQLite's busy handler (which sleeps in steps of up to 100 ms) keeps waits short,
/// keeps the pool free for readers, and keeps the writer's page cache warm (in WAL mode a
/// connection's cache is dropped whenever another connection writes). `BEGIN IMMEDIATE`
/// and the busy timeout still guard against other processes on the same file.
///
/// **Group commit**: the writes waiting their turn share one transaction. Each runs in
/// its own savepoint, so one that fails (a double booking, a refusal) is rolled back
/// alone; the transaction is committed when nobody else is waiting, when it holds
/// `MAX_BATCH` writes, or when a write failed (so that its retry reads what the others
/// wrote). Each caller returns only once its batch is committed: a write is never
/// reported done before it is durable. A batch writes the pages its writes share once;
/// with an order's pages mostly its own (random keys), that gained 6-14 % in the writes'
/// loop on the build machine (README, "Speed and scale").
///
/// The writes run one after another on the writer's thread rather than each on its
/// caller's, taking the lock in turn: there, every write waited for the last one's
/// caller to give the lock up and for its own thread to be scheduled, and under load
/// the lock's holder was often off the processor.
struct Writer {
    manager: Manager,
    state: std::sync::Mutex<WriterState>,
    /// Batches committed, for the checkpointer to see whether there is work.
    commits: std::sync::atomic::AtomicU64,
    /// The write-ahead log's size, in bytes, at which the checkpointer starts it again.
    log_limit: std::sync::atomic::AtomicU64,
}

impl Writer {
    /// The writer's connection, which never checkpoints: the checkpointer does.
    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        let mut conn = self.manager.connect()?;
        let limit = self.log_limit.load(std::sync::atomic::Ordering::Relaxed);
        conn.batch_execute(&writer_pragmas(limit))
            .map_err(r2d2::Error::QueryError)?;
        Ok(conn)
    }

    /// The writer's turn: its connection and open batch (a write's panic is caught
    /// while it holds the lock, so a poisoned lock is taken as it is).
    fn lock(&self) -> std::sync::MutexGuard<'_, WriterState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Commit the open batch, and count it for the checkpointer.
    fn commit(&self, state: &mut WriterState) {
        commit(state);
        self.commits
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The writer's connection never checkpoints (the checkpointer does) and keeps 1 MiB of
/// pages: its cache survives its own commits, and holds the indexes' upper levels that
/// every insert walks (a 16 MiB cache was no faster). When it writes the log again from
/// its beginning, it cuts the file down to `log_limit` bytes.
fn writer_pragmas(log_limit: u64) -> String {
    format!(
        "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -1000; \
         PRAGMA journal_size_limit = {log_limit};"
    )
}

/// How often the checkpointer looks for committed writes to copy into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The write-ahead log's size at which it is started again, unless set otherwise.
pub const DEFAULT_LOG_LIMIT: u64 = 256 << 20;

/// How long a restart of the log waits for readers of its older pages, holding writes.
const RESTART_WAIT_MS: u32 = 100;

/// What `PRAGMA wal_checkpoint` reports (of its three columns): whether a lock stopped
/// it, and the frames in the log.
#[derive(QueryableByName)]
struct Checkpointed {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
}

/// The checkpointer's connection and the size of one frame of the log (a page and its
/// header).
struct CheckpointConn {
    conn: DbConnection,
    frame_bytes: u64,
}

/// SQLite's checkpoints (copying the write-ahead log's pages into the database file,
/// then syncing both) run here, on a thread and a connection of their own, rather than
/// inside the commit that crosses the log's threshold: there they held the writer's lock,
/// and so every order, about every third of a second under load (this thread is busy a
/// quarter of the time under 64 clients' orders). A passive checkpoint needs no lock the
/// writer takes, so both run at once (interleaved, 64 clients: orders 1,038/1,106 ->
/// 1,178/1,203 a second, p99 202/169 -> 80/92 ms). The thread ends once the database's
/// last handle is dropped.
///
/// A passive checkpoint never starts the log again: SQLite does that only when a write
/// begins after every frame was copied and no reader is left on them, which under steady
/// writes (the next batch begins as the last commits) and reads never happens; the log
/// grew by 60 MB a second under 64 clients' orders, each frame a new block of the file.
/// So once the log passes the limit, this thread takes the writer's lock between two
/// batches (the writer's thread holds it for a whole batch, commit included), copies what
/// is left and starts the log again (`RESTART`), waiting at most `RESTART_WAIT_MS` for
/// readers of older pages, else trying again next time.
/// Writes wait meanwhile, mostly for the database file's sync, which a passive checkpoint
/// under steady writes never completes: 160-250 ms every 256 MiB of log on the build
/// machine's disk (orders -4 % at 64 clients, p99 130-145 -> 400-420 ms), for a log
/// that stays within its limit instead of filling the disk.
fn spawn_checkpointer(writer: std::sync::Weak<Writer>, file: Option<std::sync::Arc<FileIdentity>>) {
    let spawned = std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut conn: Option<CheckpointConn> = None;
            let mut seen = 0;
            let mut warned: Option<std::time::Instant> = None;
            let mut warn = |what: &str, e: &dyn std::fmt::Display| {
                if warned.is_none_or(|at| at.elapsed() > Duration::from_secs(60)) {
                    tracing::warn!(error = %e, "{what}; will retry");
                    warned = Some(std::time::Instant::now());
                }
            };
            loop {
                std::thread::sleep(CHECKPOINT_EVERY);
                let Some(writer) = writer.upgrade() else {
                    return;
                };
                let commits = writer.commits.load(std::sync::atomic::Ordering::Relaxed);
                if commits == seen {
                    continue;
                }
                let c = match conn.as_mut() {
                    Some(c) => c,
                    // Never opened on a file that is gone or replaced: SQLite would
                    // create an empty one in its place.
                    None if file.as_ref().is_some_and(|f| f.check().is_err()) => continue,
                    None => match open_checkpointer(&writer.manager) {
                        Ok(c) => conn.insert(c),
                        Err(e) => {
                            warn("cannot open the database to checkpoint it", &e);
                            continue;
                        }
                    },
                };
                match checkpoint(&writer, c) {
                    Ok(()) => seen = commits,
                    Err(e) => {
                        // Opened anew next time (the file may have been replaced).
                        conn = None;
                        warn("cannot checkpoint the database", &e);
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the checkpointer");
    }
}

/// The checkpointer's connection: it waits for readers only as long as a restart of the
/// log may hold writes.
fn open_checkpointer(manager: &Manager) -> anyhow::Result<CheckpointConn> {
    #[derive(QueryableByName)]
    struct PageSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        page_size: i64,
    }
    let mut conn = manager.open()?;
    // Its statements are not any request's: left out of the pool's count.
    conn.set_instrumentation(|_: diesel::connection::InstrumentationEvent<'_>| {});
    conn.batch_execute(&format!("PRAGMA busy_timeout = {RESTART_WAIT_MS};"))?;
    let page: PageSize = diesel::sql_query("PRAGMA page_size").get_result(&mut conn)?;
    Ok(CheckpointConn {
        conn,
        frame_bytes: page.page_size.max(512) as u64 + 24,
    })
}

/// Copy the log's committed frames into the database file; start the log again when it
/// passed the limit.
fn checkpoint(writer: &Writer, c: &mut CheckpointConn) -> QueryResult<()> {
    let passive: Checkpointed =
        diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(&mut c.conn)?;
    let limit = writer.log_limit.load(std::sync::atomic::Ordering::Relaxed);
    if (passive.log.max(0) as u64) * c.frame_bytes < limit {
        return Ok(());
    }
    // No batch is open while the writer's thread lets go of the lock.
    let _writes_wait = writer.lock();
    let restart: Checkpointed =
        diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result(&mut c.conn)?;
    if restart.busy != 0 {
        tracing::debug!(
            frames = restart.log,
            "the log's restart waited too long for readers"
        );
    }
    Ok(())
}

/// The most writes one transaction holds: bounds the wait of the first of them.
const MAX_BATCH: usize = 64;

#[derive(Default)]
struct WriterState {
    /// None after a failure left it unusable: opened afresh by the next write.
    conn: Option<DbConnection>,
    /// The transaction open on `conn`, if any.
    batch: Option<Batch>,
}

/// An open transaction: the writes it ran, told how it ended once it is committed or
/// undone. All but the last were kept: a write that fails ends its batch.
#[derive(Default)]
struct Batch {
    jobs: Vec<Job>,
}

/// How a write's closure ended, as the writer thread sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ran {
    Succeeded,
    Failed,
    Panicked,
}

/// The closure a write hands to the writer thread (see `Database::write`).
type WriteFn = dyn FnMut(&mut DbConnection) -> Ran + Send;

/// A write waiting for the writer thread: its closure, on the caller's stack, and where
/// the caller waits to be told how its batch ended.
struct Job {
    /// Valid until `done` is told: its caller waits for that before it returns. A raw
    /// pointer, as the caller's borrow ends before the writer is done with it.
    run: *mut WriteFn,
    done: std::sync::Arc<Outcome>,
}

// SAFETY: `run` points to a `Send` closure (see `WriteFn`), called on the writer thread
// only, before its caller is told and while the caller waits.
unsafe impl Send for Job {}

impl Drop for Job {
    /// A write dropped untold (the writer thread stopped) is told so; its caller would
    /// otherwise wait for ever. Telling twice keeps the first word.
    fn drop(&mut self) {
        self.done
            .tell(Err("the database writer stopped before this write".into()));
    }
}

/// How a write's batch ended, told to the write's caller.
#[derive(Default)]
struct Outcome {
    told: std::sync::Mutex<Option<Result<(), String>>>,
    settled: std::sync::Condvar,
}

impl Outcome {
    fn tell(&self, outcome: Result<(), String>) {
        let mut told = self
            .told
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        told.get_or_insert(outcome);
        self.settled.notify_all();
    }

    fn wait(&self) -> Result<(), String> {
        let mut told = self
            .told
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(outcome) = told.as_ref() {
                return outcome.clone();
            }
            told = self
                .settled
                .wait(told)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// The writer thread: runs each write as it arrives, every one waiting in the same
/// transaction, and commits once none is left waiting (or the batch is full, or a write
/// failed). Ends once every `Database` handle, and so every sender, is dropped.
fn spawn_writer(writer: std::sync::Arc<Writer>) -> anyhow::Result<std::sync::mpsc::Sender<Job>> {
    let (send, jobs) = std::sync::mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || {
            // Should this thread ever unwind, the writes of its open batch are told.
            struct Settle<'a>(&'a Writer);
            impl Drop for Settle<'_> {
                fn drop(&mut self) {
                    settle(
                        &mut self.0.lock(),
                        Err("the database writer stopped".into()),
                    );
                }
            }
            let _settle = Settle(&writer);
            while let Ok(first) = jobs.recv() {
                let mut state = writer.lock();
                let mut next = Some(first);
                while let Some(job) = next {
                    writer.run(&mut state, job);
                    next = jobs.try_recv().ok();
                }
                if state.batch.is_some() {
                    writer.commit(&mut state);
                }
            }
        })
        .context("cannot start the database writer")?;
    Ok(send)
}

impl Writer {
    /// Run one write in its own savepoint of the open batch (begun if none is), and
    /// commit the batch when the write failed (so that a retry reads what the others
    /// wrote) or the batch is full.
    fn run(&self, state: &mut WriterState, job: Job) {
        if state.conn.is_none() {
            match self.connect() {
                Ok(conn) => state.conn = Some(conn),
                Err(e) => {
                    return job
                        .done
                        .tell(Err(format!("cannot reopen the database for writing: {e}")));
                }
            }
        }
        let conn = state.conn.as_mut().expect("opened above");
        if state.batch.is_none() {
            let DbConnection::Sqlite(inner) = &mut *conn else {
                unreachable!("the writer is SQLite's");
            };
            if let Err(e) = AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
            {
                return job
                    .done
                    .tell(Err(format!("cannot begin a transaction: {e}")));
            }
            state.batch = Some(Batch::default());
        }
        let ran = match <DbConnection as Connection>::TransactionManager::begin_transaction(conn) {
            // SAFETY: the caller waits until `job.done` is told, which happens below.
            Ok(()) => unsafe { (*job.run)(conn) },
            Err(_) => Ran::Panicked,
        };
        // End the savepoint: kept when the write succeeded, rolled back when it failed.
        // The transaction must be back at the batch's depth, else the connection is
        // unusable.
        let ended = match ran {
            Ran::Succeeded => {
                <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
            }
            Ran::Failed => {
                <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)
            }
            Ran::Panicked => Err(DieselError::BrokenTransactionManager),
        };
        let usable = ended.is_ok() && transaction_depth(conn) == 1;
        let batch = state.batch.as_mut().expect("begun above");
        batch.jobs.push(job);
        if !usable {
            tracing::warn!("the database writer was left unusable; replaced it, its batch undone");
            // Dropping the connection rolls its transaction back.
            state.conn = None;
            return settle(
                state,
                Err("another write in the same transaction failed".into()),
            );
        }
        if ran != Ran::Succeeded || batch.jobs.len() >= MAX_BATCH {
            self.commit(state);
        }
    }
}

/// The database as the service uses it: a pool for reads (and for writes on
/// PostgreSQL), the SQLite writer, and the checks that turn a lost database into a quick
/// 503 rather than a 500, a long wait, or an answer that is never stored.
#[derive(Clone)]
pub struct Database {
    pub pool: Pool,
    pub queries: QueryCounter,
    pub url: DbUrl,
    writer: Option<std::sync::Arc<Writer>>,
    /// Where writes are sent to the SQLite writer's thread (see `spawn_writer`).
    jobs: Option<std::sync::mpsc::Sender<Job>>,
    file: Option<std::sync::Arc<FileIdentity>>,
    health: std::sync::Arc<Health>,
    checkout_timeout: Duration,
    /// The roster in memory, read anew when its version moves.
    pub roster: std::sync::Arc<roster::RosterCache>,
}

/// How long readiness may take to answer.
pub const READINESS_TIMEOUT: Duration = Duration::from_secs(1);

impl Database {
    /// Connect, with a clear message when the database cannot be reached.
    /// `checkout_timeout`: how long a request waits for a connection before a 503.
    pub fn open(
        url: &DbUrl,
        max_size: u32,
        checkout_timeout: Duration,
    ) -> anyhow::Result<Database> {
        let queries = QueryCounter::default();
        let health = std::sync::Arc::new(Health::default());
        let manager = Manager {
            url: url.clone(),
            queries: queries.clone(),
            health: health.clone(),
        };
        // One direct attempt first: r2d2 would only report a timeout.
        let first = manager
            .open()
            .map_err(|e| anyhow::anyhow!("cannot open the database at {}: {e}", url.redacted()))?;
        let (writer, jobs, file) = match url {
            DbUrl::Postgres(_) => {
                drop(first);
                (None, None, None)
            }
            DbUrl::Sqlite(path) => {
                let mut first = first;
                first
                    .batch_execute(&writer_pragmas(DEFAULT_LOG_LIMIT))
                    .context("cannot set the database up")?;
                let writer = std::sync::Arc::new(Writer {
                    manager: manager.clone(),
                    state: std::sync::Mutex::new(WriterState {
                        conn: Some(first),
                        batch: None,
                    }),
                    commits: Default::default(),
                    log_limit: DEFAULT_LOG_LIMIT.into(),
                });
                let file = FileIdentity::of(path).map(std::sync::Arc::new);
                spawn_checkpointer(std::sync::Arc::downgrade(&writer), file.clone());
                let jobs = spawn_writer(writer.clone())?;
                (Some(writer), Some(jobs), file)
            }
        };
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            // A PostgreSQL connection may have died with its server; a SQLite one
            // cannot, and its ping (a statement parsed anew each time) was paid by every
            // request. The file itself is checked by `check_file`.
            .test_on_check_out(url.is_postgres())
            .min_idle(Some(1))
            .connection_timeout(checkout_timeout)
            .build(manager)
            .with_context(|| format!("cannot open a pool of connections to {}", url.redacted()))?;
        Ok(Database {
            pool,
            queries,
            url: url.clone(),
            writer,
            jobs,
            file,
            health,
            checkout_timeout,
            roster: Default::default(),
        })
    }

    pub fn is_postgres(&self) -> bool {
        self.url.is_postgres()
    }

    /// SQLite: the write-ahead log's size, in bytes, at which it is started again.
    pub fn limit_log(&self, bytes: u64) {
        let Some(w) = &self.writer else {
            return;
        };
        let bytes = bytes.max(1);
        w.log_limit
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
        let mut state = w.lock();
        if let Some(conn) = state.conn.as_mut() {
            if let Err(e) = conn.batch_execute(&writer_pragmas(bytes)) {
                tracing::warn!(error = %e, "cannot limit the write-ahead log's file");
            }
        }
    }

    /// On SQLite: is the file still the one we opened, and writable?
    pub fn check_file(&self) -> Result<(), Unavailable> {
        self.file.as_ref().map_or(Ok(()), |f| f.check())
    }

    /// A pooled connection. While new connections fail (the database is down or gone),
    /// only an idle one already open is taken, so requests answer 503 at once.
    pub fn read(&self) -> Result<PooledConnection, Unavailable> {
        self.check_file()?;
        self.checkout(self.checkout_timeout)
    }

    fn checkout(&self, timeout: Duration) -> Result<PooledConnection, Unavailable> {
        if self.health.connect_failed_within(Duration::from_secs(2)) {
            return self.pool.try_get().ok_or_else(|| {
                Unavailable("the database refuses new connections just now".into())
            });
        }
        Ok(self.pool.get_timeout(timeout)?)
    }

    /// Run `f` with the connection writes use: on SQLite the writer's, on its thread, in
    /// a savepoint of the batch's transaction (see `Writer`); a pooled one on PostgreSQL.
    /// Blocks until the write is committed or undone; call it on a blocking thread.
    /// Whatever `f` does (fail, leave a transaction open, panic), the next write starts
    /// on a clean connection: on SQLite a writer left unusable is dropped, which rolls
    /// its transaction back (the other writes of its batch are then answered 503,
    /// nothing of them recorded), and opened afresh; a pooled connection in that state
    /// is discarded by the pool. A panic is passed on to the caller after that.
    ///
    /// A write that saved a booking (a move, a cancellation…) drops the fair choice's
    /// counts kept in memory once it is over (`RosterCache::bookings_changed`).
    pub fn write<T, E>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> Result<T, E> + Send,
    ) -> Result<T, E>
    where
        T: Send,
        E: From<Unavailable> + From<DieselError> + Send,
    {
        self.check_file()?;
        let Some(jobs) = &self.jobs else {
            models::bookings::take_saved();
            let done = f(&mut *self.checkout(self.checkout_timeout)?);
            if models::bookings::take_saved() {
                self.roster.bookings_changed();
            }
            return done;
        };
        // Run on the writer thread, in the caller's span, its outcome left here.
        let span = tracing::Span::current();
        let mut f = Some(f);
        let mut ran: Option<std::thread::Result<Result<T, E>>> = None;
        let mut saved = false;
        let mut run = |conn: &mut DbConnection| -> Ran {
            let _entered = span.enter();
            let Some(f) = f.take() else {
                return Ran::Failed;
            };
            models::bookings::take_saved();
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)));
            saved = models::bookings::take_saved();
            let how = match &outcome {
                Ok(Ok(_)) => Ran::Succeeded,
                Ok(Err(_)) => Ran::Failed,
                Err(_) => Ran::Panicked,
            };
            ran = Some(outcome);
            how
        };
        let run: *mut (dyn FnMut(&mut DbConnection) -> Ran + Send + '_) = &mut run;
        // SAFETY: only the lifetime changes. The writer thread calls `run` before it
        // tells `done`, and this thread waits for that below before `run`, or anything
        // it borrows, goes out of scope: `wait` returns only once told, and neither it
        // nor `send` unwinds.
        let run = unsafe {
            std::mem::transmute::<
                *mut (dyn FnMut(&mut DbConnection) -> Ran + Send + '_),
                *mut WriteFn,
            >(run)
        };
        let done = std::sync::Arc::new(Outcome::default());
        let told = match jobs.send(Job {
            run,
            done: done.clone(),
        }) {
            Ok(()) => done.wait(),
            Err(_) => Err("the database writer has stopped".into()),
        };
        if saved {
            self.roster.bookings_changed();
        }
        match ran {
            None => Err(Unavailable(format!(
                "the write was not run: {}",
                told.err().unwrap_or_default()
            ))
            .into()),
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            Some(Ok(Err(e))) => Err(e),
            Some(Ok(Ok(value))) => match told {
                Ok(()) => Ok(value),
                Err(why) => Err(Unavailable(format!("the write was not recorded: {why}")).into()),
            },
        }
    }

    /// Ready to serve: the database answers within a second and its schema is the one
    /// this build expects.
    pub fn ready(&self) -> Result<(), Unavailable> {
        self.check_file()?;
        let mut conn = self.checkout(READINESS_TIMEOUT)?;
        #[derive(QueryableByName)]
        struct Applied {
            #[diesel(sql_type = diesel::sql_types::Text)]
            version: String,
        }
        let applied: Vec<Applied> =
            diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
                .load(&mut *conn)
                .map_err(|e| {
                    Unavailable(format!(
                        "the database has no Greenroom schema ({e}); run `greenroom migrate` or restart the service"
                    ))
                })?;
        let applied: std::collections::HashSet<String> =
            applied.into_iter().map(|a| a.version).collect();
        let missing: Vec<String> = expected_versions(self.is_postgres())
            .into_iter()
            .filter(|v| !applied.contains(v))
            .collect();
        if !missing.is_empty() {
            return Err(Unavailable(format!(
                "the database schema lacks migrations {}; run `greenroom migrate` or restart the service",
                missing.join(", ")
            )));
        }
        Ok(())
    }
}

/// How many transactions deep a connection is (0: none open).
fn transaction_depth(conn: &mut DbConnection) -> u32 {
    <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .ok()
        .flatten()
        .map_or(0, std::num::NonZeroU32::get)
}

/// Commit the writer's open batch and tell its writes how it went. A failed commit
/// leaves nothing of them recorded.
fn commit(state: &mut WriterState) {
    let Some(conn) = state.conn.as_mut() else {
        return settle(state, Err("the database connection was lost".into()));
    };
    match <DbConnection as Connection>::TransactionManager::commit_transaction(conn) {
        Ok(()) => settle(state, Ok(())),
        Err(e) => {
            let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
            if transaction_depth(conn) != 0 {
                state.conn = None;
            }
            settle(state, Err(format!("the database refused to commit: {e}")));
        }
    }
}

/// Close the open batch (if any) with this outcome, told to each of its writes.
fn settle(state: &mut WriterState, outcome: Result<(), String>) {
    if let Some(batch) = state.batch.take() {
        for job in batch.jobs {
            job.done.tell(outcome.clone());
        }
    }
}

/// The migration versions this build embeds.
fn expected_versions(postgres: bool) -> Vec<String> {
    use diesel::migration::MigrationSource;
    fn versions<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> Vec<String>
    where
        EmbeddedMigrations: MigrationSource<DB>,
    {
        source
            .migrations()
            .map(|m| m.iter().map(|m| m.name().version().to_string()).collect())
            .unwrap_or_default()
    }
    if postgres {
        versions::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS)
    } else {
        versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)
    }
}

/// A small pool for a command that runs and exits.
pub fn connect(url: &DbUrl, max_size: u32) -> anyhow::Result<Pool> {
    Ok(Database::open(url, max_size, Duration::from_secs(30))?.pool)
}

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

/// The transaction a write runs in: on SQLite a savepoint of the writer's batch, which
/// took the write lock at its start (`BEGIN IMMEDIATE`, see `Writer`), so that a check and
/// the insert it allows cannot interleave with another writer; every SQLite write goes
/// through `Database::write`. A plain transaction on PostgreSQL, where the exclusion
/// constraint settles races. Either way, when `f` fails its writes are undone and the
/// caller may try again on the same connection.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<DieselError>,
{
    conn.transaction(f)
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

/// The database, not the request, is at fault: it is gone, read-only, without its
/// schema, or dropped the connection. Answered 503, not 500.
pub fn is_unavailable(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            [
                "no such table",
                "readonly database",
                "disk I/O error",
                "unable to open database file",
                "database disk image is malformed",
                "database or disk is full",
                "terminating connection",
                "server closed the connection",
                "connection to server",
                "does not exist",
            ]
            .iter()
            .any(|needle| m.contains(needle))
                && !m.contains(NO_DOUBLE_BOOKING)
        }
        _ => false,
    }
}

/// The connection itself is gone: the server closed it or cannot be reached.
fn is_connection_lost(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message();
            [
                "terminating connection",
                "server closed the connection",
                "connection to server",
                "no connection to the server",
                "could not send data to server",
                "could not receive data from server",
            ]
            .iter()
            .any(|s| m.contains(s))
        }
        _ => false,
    }
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

// How database failures become the domain's error: 503 when the database, not the
// request, is at fault.
use crate::domain::error::Error;

impl From<DieselError> for Error {
    fn from(e: DieselError) -> Error {
        // A conflict worth retrying stays internal, for the retry loop to see.
        if is_unavailable(&e) && !is_transient(&e) {
            Error::Unavailable(e.into())
        } else {
            Error::Internal(e.into())
        }
    }
}

impl From<anyhow::Error> for Error {
    /// A database failure wrapped on its way up is still the database's: 503 when it is
    /// unavailable, whatever carried it.
    fn from(e: anyhow::Error) -> Error {
        let unavailable = e.downcast_ref::<Unavailable>().is_some()
            || e.downcast_ref::<DieselError>()
                .is_some_and(|d| is_unavailable(d) && !is_transient(d));
        if unavailable {
            Error::Unavailable(e)
        } else {
            Error::Internal(e)
        }
    }
}

impl From<Unavailable> for Error {
    fn from(e: Unavailable) -> Error {
        Error::Unavailable(e.into())
    }
}

/// A new row id for the rows an order writes (booking, history, messages, reminders,
/// sessions): a UUIDv7, whose first 48 bits are the time in milliseconds, so that each
/// table's primary-key index grows at its right edge instead of at a random leaf (the
/// rows of one group commit share their index pages). Its 74 random bits keep it
/// unguessable; it is not a secret anywhere (the reservation number is the customer's
/// key).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Instants are stored as UTC `timestamp` on both backends.
pub fn to_db(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

pub fn from_db(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// A timestamp as SQLite stores it (`YYYY-MM-DD HH:MM:SS`, perhaps with a fraction), read
/// without a format string; anything else falls back to chrono's parser.
pub fn parse_stored_time(s: &str) -> diesel::deserialize::Result<chrono::NaiveDateTime> {
    fn digits(b: &[u8]) -> Option<u32> {
        b.iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    }
    let fast = || -> Option<chrono::NaiveDateTime> {
        let b = s.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b' '
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let nanos = match &b[19..] {
            [] => 0,
            [b'.', frac @ ..] if !frac.is_empty() && frac.len() <= 9 => {
                digits(frac)? * 10u32.pow(9 - frac.len() as u32)
            }
            _ => return None,
        };
        chrono::NaiveDate::from_ymd_opt(
            digits(&b[0..4])? as i32,
            digits(&b[5..7])?,
            digits(&b[8..10])?,
        )?
        .and_hms_nano_opt(
            digits(&b[11..13])?,
            digits(&b[14..16])?,
            digits(&b[17..19])?,
            nanos,
        )
    };
    match fast() {
        Some(t) => Ok(t),
        None => Ok(
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))?,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_sort_in_the_order_they_were_made_and_differ() {
        let ids: Vec<String> = (0..2_000).map(|_| new_id()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, ids, "as text, later ids sort after earlier ones");
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
        for id in &ids {
            let parsed = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(parsed.get_version_num(), 7, "{id}");
        }
    }

    #[test]
    fn stored_times_read_as_chrono_reads_them() {
        for s in [
            "2027-01-04 08:00:00",
            "2027-03-28 01:30:00.5",
            "2027-12-31 23:59:59.123456789",
            "2028-02-29 12:00:00.000001",
            "2027-01-04T08:00:00",
        ] {
            let expected = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f"))
                .unwrap();
            assert_eq!(parse_stored_time(s).unwrap(), expected, "{s}");
        }
        for bad in [
            "",
            "2027-02-30 08:00:00",
            "2027-01-04 25:00:00",
            "2027-01-04 08:00",
            "yesterday",
        ] {
            assert!(parse_stored_time(bad).is_err(), "{bad}");
        }
    }

    /// A SQLite database in a directory of its own (removed by the test at its end).
    fn scratch_database(name: &str) -> (std::path::PathBuf, Database) {
        let dir = std::env::temp_dir().join(format!("greenroom-{name}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = DbUrl::Sqlite(dir.join("t.db").display().to_string());
        let db = Database::open(&url, 2, Duration::from_secs(5)).unwrap();
        (dir, db)
    }

    /// Writes that meet at the SQLite writer share a transaction (group commit): each
    /// one that reports success is kept, each one that fails (an error it returns, a
    /// constraint) is undone alone, and a panic undoes its whole batch, whose other
    /// writes are told so (503) rather than reported done; the writer serves on.
    #[test]
    fn grouped_writes_are_each_kept_or_undone() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let (dir, db) = scratch_database("group");
        db.write(|c| -> anyhow::Result<()> {
            Ok(c.batch_execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")?)
        })
        .unwrap();
        let insert = |c: &mut DbConnection, n: i64| {
            diesel::sql_query("INSERT INTO t (n) VALUES (?)")
                .bind::<diesel::sql_types::BigInt, _>(n)
                .execute(c)
        };
        let count = |c: &mut DbConnection| {
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query("SELECT count(*) AS n FROM t")
                .get_result::<Count>(c)
                .unwrap()
                .n
        };
        let batched = AtomicUsize::new(0);
        let outcomes: Vec<(i64, &str)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..8i64)
                .map(|t| {
                    let (db, batched, count) = (&db, &batched, &count);
                    scope.spawn(move || {
                        let mut seen = vec![];
                        for i in 0..60i64 {
                            let n = t * 1000 + i;
                            let outcome =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    db.write(|c| -> anyhow::Result<()> {
                                        // Rows this connection sees that a reader does not
                                        // yet: other writes of the batch, not yet committed.
                                        if count(c) > count(&mut db.read().unwrap()) {
                                            batched.fetch_add(1, Ordering::Relaxed);
                                        }
                                        insert(c, n)?;
                                        match (t, i % 10) {
                                            // Refused after writing: nothing of it kept.
                                            (_, 3) => anyhow::bail!("refused"),
                                            // A constraint refuses a second row.
                                            (_, 5) => {
                                                insert(c, n)?;
                                            }
                                            // A bug: the batch is undone.
                                            (7, 9) => panic!("a bug in the middle of a write"),
                                            _ => {}
                                        }
                                        Ok(())
                                    })
                                }));
                            seen.push(match outcome {
                                Ok(Ok(())) => (n, "kept"),
                                Ok(Err(e)) if e.downcast_ref::<Unavailable>().is_some() => {
                                    (n, "undone with its batch")
                                }
                                Ok(Err(_)) => (n, "refused"),
                                Err(_) => (n, "panicked"),
                            });
                        }
                        seen
                    })
                })
                .collect();
            workers
                .into_iter()
                .flat_map(|w| w.join().unwrap())
                .collect()
        });
        let stored: std::collections::HashSet<i64> = {
            #[derive(QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query("SELECT n FROM t")
                .load::<Row>(&mut *db.read().unwrap())
                .unwrap()
                .into_iter()
                .map(|r| r.n)
                .collect()
        };
        for (n, outcome) in &outcomes {
            assert_eq!(stored.contains(n), *outcome == "kept", "{n}: {outcome}");
            let expected = match n % 10 {
                3 | 5 => "refused",
                9 if n / 1000 == 7 => "panicked",
                _ => outcome,
            };
            assert!(
                *outcome == expected || *outcome == "undone with its batch",
                "{n}: {outcome}"
            );
        }
        let kept = outcomes.iter().filter(|(_, o)| *o == "kept").count();
        assert!(kept >= 300, "only {kept} of 480 writes kept");
        // Some writes ran inside another's batch (a savepoint within the transaction).
        assert!(
            batched.load(Ordering::Relaxed) > 0,
            "no write was ever batched"
        );
        // The writer serves on, outside any transaction.
        db.write(|c| -> anyhow::Result<()> {
            // In its own savepoint of a new transaction.
            assert_eq!(transaction_depth(c), 2);
            Ok(insert(c, -1).map(|_| ())?)
        })
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The writer's thread holds the writer (its connection, its state) while it runs,
    /// and ends once the last handle on the database is dropped: a service or a test
    /// that opens databases one after another does not keep a thread and a connection
    /// for each.
    #[test]
    fn the_writer_thread_ends_with_the_database() {
        let (dir, db) = scratch_database("writer");
        let on_thread = db
            .write(|c| -> anyhow::Result<Option<String>> {
                c.batch_execute("CREATE TABLE t (n INTEGER)")?;
                Ok(std::thread::current().name().map(str::to_string))
            })
            .unwrap();
        assert_eq!(on_thread.as_deref(), Some("sqlite-writer"));
        let writer = std::sync::Arc::downgrade(db.writer.as_ref().unwrap());
        let copy = db.clone();
        drop(db);
        // A clone still writes.
        copy.write(|c| -> anyhow::Result<()> { Ok(c.batch_execute("INSERT INTO t VALUES (1)")?) })
            .unwrap();
        assert!(writer.upgrade().is_some());
        drop(copy);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while writer.upgrade().is_some() {
            assert!(
                std::time::Instant::now() < deadline,
                "the writer outlived its database"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

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

    /// Steady writes from many threads, with readers, never let SQLite start its log
    /// again by itself (the next batch begins as the last commits); the checkpointer
    /// does once the log passes its limit, and cuts the file down to it.
    #[test]
    fn the_write_ahead_log_stays_near_its_limit_under_steady_writes() {
        let (dir, db) = scratch_database("log");
        let limit = 256 << 10;
        db.limit_log(limit);
        db.write(|c| -> anyhow::Result<()> {
            Ok(c.batch_execute("CREATE TABLE t (n INTEGER PRIMARY KEY, body TEXT NOT NULL)")?)
        })
        .unwrap();
        let (wal, shm) = (dir.join("t.db-wal"), dir.join("t.db-shm"));
        // The log's last frame, from its index (the `-shm` file's header).
        let last_frame = || {
            std::fs::read(&shm)
                .ok()
                .filter(|b| b.len() >= 20)
                .map_or(0, |b| u32::from_ne_bytes(b[16..20].try_into().unwrap()))
        };
        let stop = std::sync::atomic::AtomicBool::new(false);
        let (mut frames, mut longest, mut restarts, mut was) = (0u64, 0u32, 0, 0u32);
        std::thread::scope(|scope| {
            for t in 0..6i64 {
                let (db, stop) = (&db, &stop);
                scope.spawn(move || {
                    let mut i = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        db.write(|c| -> anyhow::Result<usize> {
                            Ok(diesel::sql_query("INSERT INTO t (n, body) VALUES (?, ?)")
                                .bind::<diesel::sql_types::BigInt, _>(t << 32 | i)
                                .bind::<diesel::sql_types::Text, _>("x".repeat(3000))
                                .execute(c)?)
                        })
                        .unwrap();
                        i += 1;
                    }
                });
            }
            for _ in 0..2 {
                let (db, stop) = (&db, &stop);
                scope.spawn(move || {
                    // Short reads, as requests make: each pins the log while it lasts
                    // (a count of the whole table, longer with every write, kept the
                    // checkpointer waiting past its 100 ms on a loaded machine).
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        diesel::sql_query("SELECT body FROM t WHERE n = 1")
                            .execute(&mut *db.read().unwrap())
                            .unwrap();
                    }
                });
            }
            // 3 s at least; up to 10 s for the third restart on a loaded machine.
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(3)
                || (restarts < 3 && started.elapsed() < Duration::from_secs(10))
            {
                std::thread::sleep(Duration::from_millis(5));
                let now = last_frame();
                if now < was {
                    restarts += 1;
                    frames += u64::from(now);
                } else {
                    frames += u64::from(now - was);
                }
                longest = longest.max(now);
                was = now;
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        // Without the restart: none, and the log holds every frame written.
        assert!(
            restarts >= 3 && u64::from(longest) * 2 < frames,
            "the log was started again {restarts} times; it reached {longest} frames of {frames} written"
        );
        // Once writes stop and the checkpointer has copied what the log holds (tens of
        // megabytes: longer than a few of its turns on a loaded machine), the next write
        // writes the log from its beginning and cuts the file down to the limit.
        let mut size = u64::MAX;
        for n in 0..50 {
            std::thread::sleep(CHECKPOINT_EVERY);
            db.write(|c| -> anyhow::Result<usize> {
                Ok(
                    diesel::sql_query("INSERT INTO t (n, body) VALUES (?, 'last')")
                        .bind::<diesel::sql_types::BigInt, _>(-1 - n)
                        .execute(c)?,
                )
            })
            .unwrap();
            size = std::fs::metadata(&wal).unwrap().len();
            if size <= limit {
                break;
            }
        }
        assert!(
            size <= limit,
            "the log's file kept {size} bytes for a limit of {limit}, 5 s after writes stopped"
        );
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
