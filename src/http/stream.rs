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
    received(rx)
}

fn received(rx: mpsc::Receiver<Piece>) -> Body {
    Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|piece| (piece, rx)) }))
}

/// The size of a piece a blocking producer's bytes are sent in.
const PIECE: usize = 64 * 1024;

/// A body written by `produce` on a blocking thread (a workbook being
/// zipped), sent as it is written in pieces of 64 KiB. As with [`body`],
/// two pieces wait at most, so a slow client holds the writing back; a
/// client gone makes the next write fail, which stops `produce`.
pub fn blocking_body(produce: impl FnOnce(&mut Pieces) -> anyhow::Result<()> + Send + 'static) -> Body {
    let (tx, rx) = mpsc::channel::<Piece>(2);
    tokio::task::spawn_blocking(move || {
        let mut out = Pieces { tx, piece: Vec::with_capacity(PIECE) };
        // A panic must not end the body as if it were whole (rust_xlsxwriter
        // panics on some I/O errors): it fails it, as an error does.
        let produced = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| produce(&mut out)));
        let done = produced.unwrap_or_else(|_| Err(anyhow::anyhow!("the writer panicked"))).and_then(|()| Ok(out.send()?));
        if let Err(error) = done
            && !out.tx.is_closed()
        {
            tracing::error!(error = %format!("{error:#}"), "a streamed answer failed part way");
            let _ = out.tx.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    received(rx)
}

/// Where a blocking producer writes the body ([`blocking_body`]).
pub struct Pieces {
    tx: mpsc::Sender<Piece>,
    piece: Vec<u8>,
}

impl Pieces {
    /// Sends what is gathered; an error once the client has gone.
    fn send(&mut self) -> std::io::Result<()> {
        if self.piece.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.piece, Vec::with_capacity(PIECE));
        self.tx.blocking_send(Ok(Bytes::from(piece))).map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for Pieces {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.piece.extend_from_slice(bytes);
        if self.piece.len() >= PIECE {
            self.send()?;
        }
        Ok(bytes.len())
    }

    // Pieces go out as they fill and the rest when the producer returns:
    // a flush mid-way (the zip writer makes some) would send small ones.
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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

#[cfg(test)]
mod tests {
    use super::{PIECE, blocking_body};
    use futures_util::StreamExt;
    use std::io::Write;

    /// What a blocking producer writes arrives whole and in order, in
    /// pieces of about [`PIECE`], not as one buffer.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_blocking_producers_bytes_arrive_whole_in_pieces() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let sent = data.clone();
        let body = blocking_body(move |out| {
            for chunk in sent.chunks(1000) {
                out.write_all(chunk)?;
            }
            Ok(())
        });
        let (mut got, mut pieces) = (Vec::new(), 0);
        let mut stream = body.into_data_stream();
        while let Some(piece) = stream.next().await {
            let piece = piece.expect("no error");
            assert!(piece.len() < PIECE + 1000, "a piece of {} bytes", piece.len());
            got.extend_from_slice(&piece);
            pieces += 1;
        }
        assert_eq!(got, data);
        assert_eq!(pieces, 4);
    }

    /// A failure while writing cuts the body short: the client sees a
    /// failed read, never a shorter file that looks whole.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_failure_part_way_cuts_the_body_short() {
        let body = blocking_body(|out| {
            out.write_all(&[1; 100])?;
            anyhow::bail!("the disk is full")
        });
        assert!(axum::body::to_bytes(body, usize::MAX).await.is_err());
    }

    /// A producer that panics fails the body too.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_panic_part_way_cuts_the_body_short() {
        let body = blocking_body(|out| {
            out.write_all(&[1; 100])?;
            panic!("a writer's own failure")
        });
        assert!(axum::body::to_bytes(body, usize::MAX).await.is_err());
    }

    /// A client gone stops the producer at its next piece: it does not
    /// go on writing into nothing.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_client_gone_stops_the_producer() {
        let (stopped, written) = std::sync::mpsc::channel();
        let body = blocking_body(move |out| {
            let mut n = 0usize;
            let error = loop {
                if let Err(e) = out.write_all(&[0; 4096]) {
                    break e;
                }
                n += 4096;
                assert!(n < 1 << 30, "the producer never stopped");
            };
            stopped.send(n).expect("the test waits");
            Err(error.into())
        });
        drop(body);
        let n = tokio::task::spawn_blocking(move || written.recv_timeout(std::time::Duration::from_secs(10))).await.unwrap().expect("the producer stopped");
        assert!(n <= 3 * PIECE, "{n} bytes written after the client went");
    }
}
