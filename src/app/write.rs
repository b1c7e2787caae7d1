//! The one way to change the database ([`App::write`]), and on SQLite the
//! group commit.
//!
//! SQLite has one writer and a durable commit costs a disk flush, so one
//! commit per move caps moves at the disk's flush rate. Here writes that
//! arrive while others run share one transaction: each runs alone in a
//! savepoint of it (an error rolls back only its own work), and the
//! transaction is committed once for all of them. A write's `commit`
//! returns only after the commit that holds it, so every answer sent is
//! still durable — a crash loses only writes nobody was told had happened.
//!
//! Who commits: after its savepoint, a write queues once more for the
//! writer lock, behind the writes already waiting (the lock is fair), and
//! whichever of those queued writes gets there first while the shared
//! transaction is open commits it and tells every member. That queueing is
//! a spawned task, so a request dropped by its client still commits what
//! others are waiting for.
//!
//! On PostgreSQL each write is its own transaction: the server groups
//! commits itself, and instances do not share connections.

use super::{App, AppError, AppResult};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// Writes in one shared transaction before it is committed regardless of
/// who is waiting: bounds the work one flush can lose to an error.
const MAX_GROUP: usize = 64;

/// SQLite's writer: the connection, the open shared transaction and the
/// writes waiting for it to commit.
pub(crate) struct Group {
    conn: DatabaseConnection,
    state: Arc<Mutex<Shared>>,
}

#[derive(Default)]
struct Shared {
    open: Option<DatabaseTransaction>,
    members: Vec<oneshot::Sender<Result<(), DbErr>>>,
}

impl Group {
    pub(crate) fn new(conn: DatabaseConnection) -> Group {
        Group { conn, state: Arc::default() }
    }

    async fn begin(self: &Arc<Self>) -> AppResult<Write> {
        let mut shared = self.state.clone().lock_owned().await;
        if shared.open.is_none() {
            // IMMEDIATE takes the database's write lock up front, so no
            // statement can fail halfway with "database is locked".
            let options = TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
            shared.open = Some(self.conn.begin_with_options(options).await?);
        }
        let open = shared.open.as_ref().ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("the shared write transaction is not open")))?;
        let tx = open.begin().await?;
        Ok(Write { tx: Some(tx), shared: Some(shared), group: Some(self.clone()) })
    }

    /// Commits the shared transaction if one is open, for all its members.
    async fn commit_open(state: Arc<Mutex<Shared>>) {
        let mut shared = state.lock().await;
        let Some(open) = shared.open.take() else { return };
        let members = std::mem::take(&mut shared.members);
        let result = open.commit().await;
        if let Err(e) = &result {
            tracing::error!(error = %e, writes = members.len(), "group commit failed");
        }
        for member in members {
            let _ = member.send(result.clone());
        }
    }

    fn spawn_commit(&self) {
        let state = self.state.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(Self::commit_open(state));
        }
    }
}

/// A write transaction: use it as a [`DatabaseTransaction`], then
/// [`Write::commit`]. Dropped without a commit, its work is rolled back.
pub(crate) struct Write {
    // Field order is drop order: the savepoint's rollback is queued on the
    // connection before the writer lock is released.
    tx: Option<DatabaseTransaction>,
    shared: Option<OwnedMutexGuard<Shared>>,
    group: Option<Arc<Group>>,
}

impl std::ops::Deref for Write {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        self.tx.as_ref().expect("a write is used only before its commit")
    }
}

// A write is used wherever a connection is: sea-orm's queries take any
// `&impl ConnectionTrait` (an `async_trait` trait, hence the attribute).
#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        (**self).get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        (**self).execute_raw(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        (**self).execute_unprepared(sql).await
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        (**self).query_one_raw(stmt).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        (**self).query_all_raw(stmt).await
    }
}

impl Write {
    /// Commits; returns once the work is durable.
    pub async fn commit(mut self) -> AppResult<()> {
        let tx = self.tx.take().expect("committed once");
        tx.commit().await?;
        let (Some(mut shared), Some(group)) = (self.shared.take(), self.group.take()) else { return Ok(()) };
        let (done, committed) = oneshot::channel();
        shared.members.push(done);
        let full = shared.members.len() >= MAX_GROUP;
        drop(shared);
        if full {
            Group::commit_open(group.state.clone()).await;
        } else {
            group.spawn_commit();
        }
        match committed.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(AppError::Unexpected(anyhow::anyhow!("the group commit was dropped"))),
        }
    }
}

impl Drop for Write {
    fn drop(&mut self) {
        // Not committed: the savepoint rolls back (queued by the
        // transaction's own drop). The shared transaction may now hold
        // nobody's work, or others': commit it rather than leave SQLite's
        // write lock held by an idle transaction.
        drop(self.tx.take());
        drop(self.shared.take());
        if let Some(group) = self.group.take() {
            group.spawn_commit();
        }
    }
}

impl App {
    /// Starts a write transaction: the one way to change the database.
    /// On SQLite it queues behind this process's other writers and joins
    /// their group commit (above).
    pub(crate) async fn write(&self) -> AppResult<Write> {
        match &self.group {
            Some(group) => group.begin().await,
            None => Ok(Write { tx: Some(self.writer.begin().await?), shared: None, group: None }),
        }
    }
}
