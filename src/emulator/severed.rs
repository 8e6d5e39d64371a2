//! The lost-answer fault: an answer body that fails at once, so hyper
//! closes the connection before the status line goes out and the client
//! gets no answer to a create that was committed.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};

/// An answer body that fails at once: hyper then closes the connection
/// before the buffered status line goes out, so the client gets no answer.
pub(crate) fn severed_body() -> Body {
    Body::new(Severed)
}

/// A body that fails at once (see [`severed_body`]).
struct Severed;

impl http_body::Body for Severed {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::other(
            "answer dropped by fault injection",
        ))))
    }
}
