//! Streamed JSON bodies. A list that grows with the data (a province's
//! issues, a quarter's 200,000 items) is written as it is read, a chunk at
//! a time, so a request's memory does not grow with the database.
//!
//! The first chunk is read before the answer starts, so an error there
//! still gets its status. A later error can only cut the body short: the
//! connection is then closed without the final chunk, which a client sees
//! as a failed read, never as a shorter valid list.

use crate::app::AppResult;
use axum::body::{Body, Bytes};
use serde::Serialize;
use tokio::sync::mpsc;

/// One piece of the body, or the error that ends it.
type Piece = Result<Bytes, std::io::Error>;

/// Where a producer writes the body's pieces.
pub struct Sink(mpsc::Sender<Piece>);

impl Sink {
    /// Sends a piece; false when the client has gone (stop producing).
    pub async fn send(&self, piece: Vec<u8>) -> bool {
        self.0.send(Ok(Bytes::from(piece))).await.is_ok()
    }

    /// Ends the body with an error (logged here: the client only sees the
    /// connection close).
    pub async fn fail(&self, error: impl std::fmt::Display) {
        tracing::error!(%error, "a streamed answer failed part way");
        let _ = self.0.send(Err(std::io::Error::other(error.to_string()))).await;
    }
}

/// A body fed by `produce` on its own task. The channel holds two pieces,
/// so the next chunk is read from the database while this one is sent,
/// and a slow client holds back the reading instead of filling memory.
pub fn body<F>(produce: impl FnOnce(Sink) -> F) -> Body
where
    F: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Piece>(2);
    tokio::spawn(produce(Sink(tx)));
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|piece| (piece, rx)) }))
}

/// What a streamed JSON array is read from: pages of its elements, one
/// after another, then what follows the array.
pub trait Pages: Send + 'static {
    type Page: Send + 'static;

    /// The next page (None: every page was read).
    fn next(&mut self) -> impl Future<Output = AppResult<Option<Self::Page>>> + Send;

    /// The page's elements as JSON, each preceded by a comma unless `first`
    /// (see [`elements`]).
    fn write(&mut self, page: Self::Page, first: bool) -> serde_json::Result<Vec<u8>>;

    /// What follows the array's `]`, to the end of the body.
    fn tail(self) -> serde_json::Result<Vec<u8>>;
}

/// A body of `head` (which opens the array: `…[`), every page's elements
/// from `first` (read already, so that its error keeps its status) on,
/// then `]` and the tail.
pub fn array<P: Pages>(head: Vec<u8>, first: Option<P::Page>, mut pages: P) -> Body {
    body(move |sink| async move {
        let mut piece = head;
        let (mut page, mut at_start) = (first, true);
        while let Some(this) = page.take() {
            match pages.write(this, at_start) {
                Ok(json) => piece.extend(json),
                Err(e) => return sink.fail(e).await,
            }
            at_start = false;
            if !sink.send(std::mem::take(&mut piece)).await {
                return;
            }
            match pages.next().await {
                Ok(next) => page = next,
                Err(e) => return sink.fail(e).await,
            }
        }
        match pages.tail() {
            Ok(tail) => drop(sink.send([piece.as_slice(), b"]", &tail].concat()).await),
            Err(e) => sink.fail(e).await,
        }
    })
}

/// `values` as JSON, each preceded by a comma unless `first`.
pub fn elements<T: Serialize>(values: impl IntoIterator<Item = T>, mut first: bool) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64 * 1024);
    for v in values {
        if !first {
            out.push(b',');
        }
        first = false;
        serde_json::to_writer(&mut out, &v)?;
    }
    Ok(out)
}
