//! The one way to change the database ([`App::write`]), and on SQLite the
//! group commit.
//!
//! SQLite has one writer and a durable commit costs a disk flush, so one
//! commit per move caps moves at the disk's flush rate. Here writes that
//! arrive while others run share one transaction: each runs alone in a
//! savepoint of it (an error rolls back only its own work; the write that
//! opens the transaction needs none, all of it being its own), and the
//! transaction is committed once for all of them. A write's `commit`
//! returns only after the commit that holds it, so every answer sent is
//! still durable — a crash loses only writes nobody was told had happened.
//!
//! Who commits: the last write in line. Its work done, a write
//! looks whether others are waiting for the writer lock. If none are (or
//! the group is full) it commits the shared transaction at once, still
//! holding the lock, and tells every member; if some are, it leaves the
//! commit to them, and the last of them commits for all. A write that
//! cannot take its turn — its request dropped while it waited, or it
//! failed — leaves a spawned task in line to commit what others wait for.
//! (Before, every write queued such a task right behind the writes then
//! waiting: with moves arriving one by one, each such task committed a
//! group of one or two, and a commit's disk flush was a third of the time
//! SQLite's writer was held.)
//!
//! On PostgreSQL each write is its own transaction: the server groups
//! commits itself, and instances do not share connections.

use super::{App, AppError, AppResult};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// Writes in one shared transaction before it is committed regardless of
/// who is waiting: bounds the work one flush can lose to an error.
const MAX_GROUP: usize = 64;

/// SQLite's writer: the connection, the open shared transaction and the
/// writes waiting for it to commit.
pub(crate) struct Group {
    conn: DatabaseConnection,
    state: Arc<Mutex<Shared>>,
    /// Writes waiting for the writer lock.
    waiting: AtomicUsize,
}

#[derive(Default)]
struct Shared {
    open: Option<DatabaseTransaction>,
    members: Vec<oneshot::Sender<Result<(), DbErr>>>,
}

impl Group {
    pub(crate) fn new(conn: DatabaseConnection) -> Group {
        Group { conn, state: Arc::default(), waiting: AtomicUsize::new(0) }
    }

    pub(crate) async fn begin(self: &Arc<Self>) -> AppResult<Write> {
        // Until the write exists, a drop of this future (its request gone)
        // or an error leaves a commit in line: a write before it may have
        // left its commit to this one.
        let mut turn = Turn::queue(self);
        let shared = self.state.clone().lock_owned().await;
        turn.taken();
        let write = self.open(shared).await?;
        turn.handed_over();
        Ok(write)
    }

    /// Opens the shared transaction if none is, and this write's savepoint.
    async fn open(self: &Arc<Self>, mut shared: OwnedMutexGuard<Shared>) -> AppResult<Write> {
        let undo = match &shared.open {
            // The first write of a transaction undoes its work by rolling
            // the whole transaction back: nobody else's is in it yet.
            None => {
                // IMMEDIATE takes the database's write lock up front, so no
                // statement can fail halfway with "database is locked".
                let options = TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
                shared.open = Some(self.conn.begin_with_options(options).await?);
                Undo::Transaction
            }
            // Named by its place in the group, and taken with the write's
            // first statement (below).
            Some(_) => Undo::Savepoint(shared.members.len()),
        };
        let pending = matches!(undo, Undo::Savepoint(_));
        Ok(Write { tx: None, shared: Some(shared), group: Some(self.clone()), undo, pending: AtomicBool::new(pending) })
    }

    /// Commits the shared transaction if one is open, for all its members.
    async fn commit_open(state: Arc<Mutex<Shared>>) {
        Self::commit_held(&mut *state.lock().await).await;
    }

    /// [`Group::commit_open`] with the writer lock held already.
    async fn commit_held(shared: &mut Shared) {
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

    /// A failed write's work undone, then the rest committed. If its
    /// savepoint cannot be rolled back, neither can anything be trusted to
    /// commit: all of it is rolled back, and those waiting are told.
    /// `savepoint`: its number, None if it ran no statement (and so took
    /// no savepoint).
    async fn undo_and_commit(mut shared: OwnedMutexGuard<Shared>, savepoint: Option<usize>) {
        let undone = match (&shared.open, savepoint) {
            (Some(open), Some(n)) => open.execute_unprepared(&format!("ROLLBACK TO w{n}")).await.map(|_| ()),
            _ => Ok(()),
        };
        if let Err(e) = undone {
            tracing::error!(error = %e, writes = shared.members.len(), "a failed write could not be undone alone; its group is rolled back");
            shared.open.take();
            for member in std::mem::take(&mut shared.members) {
                let _ = member.send(Err(e.clone()));
            }
            return;
        }
        Self::commit_held(&mut shared).await;
    }

    fn spawn_commit(&self) {
        let state = self.state.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(Self::commit_open(state));
        }
    }
}

/// Each write but a group's first has a savepoint in the shared
/// transaction, taken in the same round trip as its first statement
/// (`SAVEPOINT wN; UPDATE …`): each round trip to the driver's thread costs
/// 130-190 µs here, while SQLite's writer is held. N is the write's place
/// in the group, so that a `ROLLBACK TO` can only go back to the write's
/// own savepoint: had its `SAVEPOINT` failed, the rollback fails too ("no
/// such savepoint") and the group is rolled back, rather than undoing the
/// write before it. Savepoints are never released one by one (each RELEASE
/// was a round trip too); the commit releases them all, and a group holds
/// at most [`MAX_GROUP`].
fn with_savepoint(n: usize, sql: &str) -> String {
    format!("SAVEPOINT w{n}; {sql}")
}

/// How a write's work is undone if it is not committed.
#[derive(Clone, Copy)]
enum Undo {
    /// It began the shared transaction: roll all of it back.
    Transaction,
    /// Back to its savepoint, the group's Nth; the writes before it stay.
    Savepoint(usize),
}

/// A write transaction: use it as a connection (its statements go
/// through its [`ConnectionTrait`]), then
/// [`Write::commit`]. Dropped without a commit, its work is rolled back.
pub(crate) struct Write {
    /// PostgreSQL: the write's own transaction. SQLite: none (the shared
    /// one, in `shared`).
    tx: Option<DatabaseTransaction>,
    shared: Option<OwnedMutexGuard<Shared>>,
    group: Option<Arc<Group>>,
    undo: Undo,
    /// Its savepoint is still to be taken, with its first statement.
    pending: AtomicBool,
}

impl Write {
    fn inner(&self) -> &DatabaseTransaction {
        self.tx.as_ref().or_else(|| self.shared.as_ref()?.open.as_ref()).expect("a write is used only before its commit")
    }
}

// A write is used wherever a connection is: sea-orm's queries take any
// `&impl ConnectionTrait` (an `async_trait` trait, hence the attribute).
#[async_trait::async_trait]
impl ConnectionTrait for Write {
    fn get_database_backend(&self) -> DbBackend {
        self.inner().get_database_backend()
    }
    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner().execute_raw(self.first(stmt)).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self.savepoint() {
            Some(n) => self.inner().execute_unprepared(&with_savepoint(n, sql)).await,
            None => self.inner().execute_unprepared(sql).await,
        }
    }
    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner().query_one_raw(self.first(stmt)).await
    }
    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner().query_all_raw(self.first(stmt)).await
    }
}

impl Write {
    /// The savepoint this write's next statement must take first, if any;
    /// it is counted as taken from then on. (The statement reaches the
    /// driver's thread in the same poll; were it dropped before, the undo's
    /// `ROLLBACK TO` would find no savepoint and roll the group back:
    /// nothing committed that should not be.)
    fn savepoint(&self) -> Option<usize> {
        match self.undo {
            Undo::Savepoint(n) if self.pending.swap(false, Ordering::SeqCst) => Some(n),
            _ => None,
        }
    }

    /// `stmt`, behind the savepoint if it is this write's first.
    fn first(&self, mut stmt: Statement) -> Statement {
        if let Some(n) = self.savepoint() {
            stmt.sql = with_savepoint(n, &stmt.sql);
        }
        stmt
    }

    /// Commits; returns once the work is durable.
    pub async fn commit(mut self) -> AppResult<()> {
        if let Some(tx) = self.tx.take() {
            return Ok(tx.commit().await?);
        }
        let (Some(mut shared), Some(group)) = (self.shared.take(), self.group.take()) else {
            return Err(AppError::Unexpected(anyhow::anyhow!("a write committed twice")));
        };
        let (done, committed) = oneshot::channel();
        shared.members.push(done);
        // Last in line (or the group full): commit for all, lock still
        // held. Otherwise the writes waiting will: the last of them sees
        // none behind it. One that comes to wait just after this look
        // commits the next group.
        if shared.members.len() >= MAX_GROUP || group.waiting.load(Ordering::SeqCst) == 0 {
            Group::commit_held(&mut shared).await;
        }
        drop(shared);
        match committed.await {
            Ok(result) => Ok(result?),
            Err(_) => Err(AppError::Unexpected(anyhow::anyhow!("the group commit was dropped"))),
        }
    }
}

impl Drop for Write {
    fn drop(&mut self) {
        // PostgreSQL: the transaction's own drop rolls it back.
        drop(self.tx.take());
        let Some(mut shared) = self.shared.take() else { return };
        match (self.undo, tokio::runtime::Handle::try_current()) {
            // Back to its savepoint, on a task that keeps the writer lock
            // until then, and the writes before it committed: the shared
            // transaction may hold others' work, and should not leave
            // SQLite's write lock held by an idle transaction.
            (Undo::Savepoint(n), Ok(rt)) => {
                let taken = !self.pending.load(Ordering::SeqCst);
                drop(rt.spawn(Group::undo_and_commit(shared, taken.then_some(n))));
            }
            // Its own transaction (nobody else's work was in it), or no
            // runtime left to undo a savepoint (shutting down): the shared
            // transaction is dropped — sea-orm rolls it back before the
            // connection's next statement — and those waiting are told.
            (Undo::Transaction, _) | (Undo::Savepoint(_), Err(_)) => {
                shared.open.take();
                shared.members.clear();
            }
        }
    }
}

/// A write's place in line for the writer lock, counted in
/// [`Group::waiting`] while it waits.
struct Turn {
    group: Arc<Group>,
    waiting: bool,
    /// The write holds its turn: its own drop or commit sees to the group.
    handed_over: bool,
}

impl Turn {
    fn queue(group: &Arc<Group>) -> Turn {
        group.waiting.fetch_add(1, Ordering::SeqCst);
        Turn { group: group.clone(), waiting: true, handed_over: false }
    }

    /// The lock is taken: no longer waiting.
    fn taken(&mut self) {
        if std::mem::take(&mut self.waiting) {
            self.group.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }

    fn handed_over(mut self) {
        self.handed_over = true;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.taken();
        if !self.handed_over {
            self.group.spawn_commit();
        }
    }
}

impl App {
    /// Where a write that is a single statement may go by itself, outside
    /// any transaction: PostgreSQL's pool, on the real clock. (On SQLite
    /// every write joins the group commit; with a test clock a move reads
    /// the clock in its transaction, scheduler::clock_for_move.)
    pub(crate) fn one_statement(&self) -> Option<&DatabaseConnection> {
        (self.group.is_none() && !self.test_clock).then_some(&self.writer)
    }

    /// Starts a write transaction: the one way to change the database.
    /// On SQLite it queues behind this process's other writers and joins
    /// their group commit (above).
    pub(crate) async fn write(&self) -> AppResult<Write> {
        match &self.group {
            Some(group) => group.begin().await,
            None => Ok(Write { tx: Some(self.writer.begin().await?), shared: None, group: None, undo: Undo::Transaction, pending: AtomicBool::new(false) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Group;
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    use std::sync::Arc;
    use std::time::Duration;

    /// A database with a table `w (n)`, and a writer group on it.
    async fn table(file: &str) -> (tempfile::TempDir, crate::db::Pools, Arc<Group>) {
        let (dir, pools) = crate::db::temp_pools(file).await;
        pools.write.execute_unprepared("CREATE TABLE w (n INTEGER PRIMARY KEY)").await.expect("the table");
        let group = Arc::new(Group::new(pools.write.clone()));
        (dir, pools, group)
    }

    /// The committed rows of `w`, in order.
    async fn rows(pools: &crate::db::Pools) -> Vec<i64> {
        let rows = pools.read.query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT n FROM w ORDER BY n")).await.expect("the rows");
        rows.iter().map(|r| r.try_get_by_index(0).expect("n")).collect()
    }

    /// Writes arriving together share commits, and each is answered only
    /// once its work is durable: every committed write's row is there; a
    /// write that failed, or whose request went away while it waited, is
    /// not, and strands nobody (each round ends within its time limit).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_in_line_commit_together_and_nobody_is_stranded() {
        let (_dir, pools, group) = table("group.db").await;
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..120i64 {
            let group = group.clone();
            tasks.spawn(async move {
                let write = group.begin().await.expect("a write");
                write.execute_unprepared(&format!("INSERT INTO w VALUES ({n})")).await.expect("its row");
                tokio::task::yield_now().await;
                match n % 3 {
                    // Failed: dropped without its commit.
                    0 => None,
                    _ => Some(write.commit().await.map(|()| n).expect("committed")),
                }
            });
        }
        // Some requests go away while they wait for the lock.
        let abandoned: Vec<_> = (1000..1020i64)
            .map(|n| {
                let group = group.clone();
                tokio::spawn(async move {
                    let write = group.begin().await.expect("a write");
                    write.execute_unprepared(&format!("INSERT INTO w VALUES ({n})")).await.expect("its row");
                    write.commit().await.expect("committed");
                })
            })
            .collect();
        for task in &abandoned {
            task.abort();
        }
        let mut committed = Vec::new();
        while let Some(done) = tokio::time::timeout(Duration::from_secs(20), tasks.join_next()).await.expect("no write stranded") {
            committed.extend(done.expect("the task"));
        }
        committed.sort();
        let mut finished = 0;
        for task in abandoned {
            finished += i64::from(task.await.is_ok());
        }
        let rows = rows(&pools).await;
        let expected: Vec<i64> = (0..120).filter(|n| n % 3 != 0).collect();
        assert_eq!(committed, expected);
        assert_eq!(rows.iter().filter(|n| **n < 1000).copied().collect::<Vec<_>>(), expected, "committed writes, and only those");
        // An abandoned write either never began or finished whole.
        assert!(rows.iter().filter(|n| **n >= 1000).count() as i64 >= finished);
        // And the next write, alone, still commits at once.
        let write = tokio::time::timeout(Duration::from_secs(5), group.begin()).await.expect("the lock is free").expect("a write");
        write.execute_unprepared("INSERT INTO w VALUES (5000)").await.expect("its row");
        tokio::time::timeout(Duration::from_secs(5), write.commit()).await.expect("committed alone").expect("committed");
    }

    /// A write that leaves its commit to the one waiting behind it is
    /// still committed when that one fails, and the failed write undoes its
    /// own work and nobody else's: whether it failed before its first
    /// statement (its savepoint never taken), after its work (dropped
    /// uncommitted), or at a later statement (a duplicate key).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_left_to_the_next_in_line_is_committed_when_that_one_fails() {
        let failures: [&[&str]; 3] = [&[], &["INSERT INTO w VALUES (2)"], &["INSERT INTO w VALUES (2)", "INSERT INTO w VALUES (1)"]];
        for statements in failures {
            let (_dir, pools, group) = table("own.db").await;
            let first = group.begin().await.expect("a write");
            first.execute_unprepared("INSERT INTO w VALUES (1)").await.expect("its row");
            let waiter = tokio::spawn({
                let group = group.clone();
                async move {
                    let write = group.begin().await.expect("a write");
                    for sql in statements {
                        if write.execute_unprepared(sql).await.is_err() {
                            break;
                        }
                    }
                }
            });
            while group.waiting.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            let committing = tokio::spawn(first.commit());
            waiter.await.expect("the waiter began and failed");
            tokio::time::timeout(Duration::from_secs(5), committing).await.expect("not stranded").expect("the task").expect("committed");
            assert_eq!(rows(&pools).await, [1], "after {statements:?}");
        }
    }

    /// A failed write that began the shared transaction takes all of it
    /// back; the next write begins afresh and commits alone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_first_write_leaves_nothing_for_the_next() {
        let (_dir, pools, group) = table("first.db").await;
        let failed = group.begin().await.expect("a write");
        failed.execute_unprepared("INSERT INTO w VALUES (1)").await.expect("its row");
        drop(failed);
        let next = group.begin().await.expect("a write");
        next.execute_unprepared("INSERT INTO w VALUES (2)").await.expect("its row");
        next.commit().await.expect("committed");
        let rows = rows(&pools).await;
        assert_eq!(rows, [2]);
    }
}
