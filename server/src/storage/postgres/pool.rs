//! Connections to PostgreSQL, callable from any thread: a runtime of the storage's own (one
//! thread, `comptoir-postgres`) drives every connection's socket, and a caller waits for
//! its query with a plain `block_on` that does not enter a tokio runtime. So the storage
//! can be called like the SQLite one from a blocking thread, a test's async body or
//! start-up code, without the "runtime within a runtime" a synchronous driver would hit.
//!
//! At most `size` connections are open; a caller waits (bounded) for one to come back, and
//! a connection that broke is dropped rather than lent again.
//!
//! Each connection prepares a statement once and keeps it (up to [`STATEMENTS`] of them):
//! a query by its text alone costs two round trips to the database (prepare, then run),
//! a kept statement one.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use std::collections::HashMap;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Config, NoTls, Row, Statement};

use crate::storage::StorageError;

/// How long a caller waits for a connection before the request fails.
const WAIT: Duration = Duration::from_secs(30);

/// How many prepared statements a connection keeps. The server's queries are texts of its
/// own, a few dozen; texts beyond this many (built for a batch's size, say) are run
/// without being kept.
const STATEMENTS: usize = 256;

/// A query's parameters.
pub(super) type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

pub(super) struct Pool {
    config: Config,
    size: usize,
    state: Mutex<State>,
    returned: Condvar,
    /// Drives the connections; shut down (without blocking) when the pool is dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

struct State {
    idle: Vec<Conn>,
    /// Connections lent or idle.
    open: usize,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("size", &self.size).finish_non_exhaustive()
    }
}

impl Pool {
    pub(super) fn new(config: Config, size: usize) -> Result<Self, StorageError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("comptoir-postgres")
            .enable_all()
            .build()
            .map_err(|e| StorageError::Backend(format!("cannot start the database's thread: {e}")))?;
        Ok(Self {
            config,
            size: size.max(1),
            state: Mutex::new(State { idle: Vec::new(), open: 0 }),
            returned: Condvar::new(),
            runtime: Some(runtime),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a list and a count: a panic while it was held left it whole.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A connection, idle or made; it goes back to the pool when dropped.
    pub(super) fn get(&self) -> Result<Pooled<'_>, StorageError> {
        let deadline = Instant::now() + WAIT;
        let mut state = self.state();
        loop {
            while let Some(conn) = state.idle.pop() {
                if conn.client.is_closed() {
                    state.open = state.open.saturating_sub(1);
                    continue;
                }
                return Ok(Pooled { pool: self, conn: Some(conn) });
            }
            if state.open < self.size {
                state.open += 1;
                drop(state);
                return match self.connect() {
                    Ok(conn) => Ok(Pooled { pool: self, conn: Some(conn) }),
                    Err(error) => {
                        self.state().open -= 1;
                        self.returned.notify_one();
                        Err(error)
                    }
                };
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(StorageError::Backend(format!(
                    "no database connection free after {} s ({} in use)",
                    WAIT.as_secs(),
                    self.size
                )));
            }
            state = self.returned.wait_timeout(state, left).unwrap_or_else(std::sync::PoisonError::into_inner).0;
        }
    }

    /// A new connection, its socket driven by the storage's runtime.
    fn connect(&self) -> Result<Conn, StorageError> {
        let runtime = self.runtime.as_ref().ok_or_else(|| StorageError::Backend("the storage is closed".into()))?;
        let config = self.config.clone();
        let connecting = runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::warn!(%error, "a database connection closed");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        match pollster::block_on(connecting) {
            Ok(Ok(client)) => Ok(Conn { client, statements: Mutex::new(HashMap::new()) }),
            Ok(Err(error)) => Err(super::backend(&error)),
            Err(error) => Err(StorageError::Backend(format!("the connection attempt stopped: {error}"))),
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.state().idle.clear();
        // Never blocks: the storage may be dropped on an async runtime's thread.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// One connection: each call sends its query to the connection's task and waits for the
/// answer.
pub(super) struct Conn {
    client: Client,
    /// The statements prepared on this connection, by their text.
    statements: Mutex<HashMap<String, Statement>>,
}

impl Conn {
    /// The statement of `sql`, prepared on this connection once; `None` when the
    /// connection keeps as many as it may (the text is then run as it is).
    fn statement(&self, sql: &str) -> Result<Option<Statement>, StorageError> {
        let mut statements = self.statements.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(statement) = statements.get(sql) {
            return Ok(Some(statement.clone()));
        }
        if statements.len() >= STATEMENTS {
            return Ok(None);
        }
        let statement = pollster::block_on(self.client.prepare(sql))?;
        statements.insert(sql.to_owned(), statement.clone());
        Ok(Some(statement))
    }

    pub(super) fn execute(&self, sql: &str, params: Params<'_>) -> Result<u64, StorageError> {
        Ok(match self.statement(sql)? {
            Some(statement) => pollster::block_on(self.client.execute(&statement, params))?,
            None => pollster::block_on(self.client.execute(sql, params))?,
        })
    }

    pub(super) fn query(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>, StorageError> {
        Ok(match self.statement(sql)? {
            Some(statement) => pollster::block_on(self.client.query(&statement, params))?,
            None => pollster::block_on(self.client.query(sql, params))?,
        })
    }

    pub(super) fn query_opt(&self, sql: &str, params: Params<'_>) -> Result<Option<Row>, StorageError> {
        Ok(match self.statement(sql)? {
            Some(statement) => pollster::block_on(self.client.query_opt(&statement, params))?,
            None => pollster::block_on(self.client.query_opt(sql, params))?,
        })
    }

    pub(super) fn query_one(&self, sql: &str, params: Params<'_>) -> Result<Row, StorageError> {
        Ok(match self.statement(sql)? {
            Some(statement) => pollster::block_on(self.client.query_one(&statement, params))?,
            None => pollster::block_on(self.client.query_one(sql, params))?,
        })
    }

    /// Statements without parameters, separated by semicolons.
    pub(super) fn batch_execute(&self, sql: &str) -> Result<(), StorageError> {
        Ok(pollster::block_on(self.client.batch_execute(sql))?)
    }
}

/// A connection lent by the pool.
pub(super) struct Pooled<'p> {
    pool: &'p Pool,
    conn: Option<Conn>,
}

impl Pooled<'_> {
    /// The connection; present until the lend ends.
    pub(super) fn conn(&self) -> Result<&Conn, StorageError> {
        self.conn.as_ref().ok_or_else(|| StorageError::Backend("the connection was given back".into()))
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        let mut state = self.pool.state();
        match self.conn.take() {
            // A connection that broke, or that a panic left inside a transaction, is not
            // lent again.
            Some(conn) if !conn.client.is_closed() && !std::thread::panicking() => state.idle.push(conn),
            _ => state.open = state.open.saturating_sub(1),
        }
        drop(state);
        self.pool.returned.notify_one();
    }
}
