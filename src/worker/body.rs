//! Reading the request body as a stream into the core's [`BodyReader`], which decides when to
//! stop, within [`BODY_READ_TIMEOUT_MS`].

use crate::ingest::body::{BodyHead, BodyReader, DRAIN_MAX_BYTES, DRAIN_MAX_MS};
use crate::ingest::{IngestError, BODY_READ_TIMEOUT_MS};
use futures_util::future::{select, Either};
use futures_util::StreamExt;
use std::pin::pin;
use std::time::Duration;
use worker::{ByteStream, Delay, Request};

/// The body, decoded and within the limits, or why it cannot be taken.
pub async fn read(req: &mut Request) -> Result<Vec<u8>, IngestError> {
    let headers = req.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    let (content_type, content_encoding, content_length) = (
        header("content-type"),
        header("content-encoding"),
        header("content-length"),
    );
    let mut reader = BodyReader::for_request(BodyHead {
        content_type: content_type.as_deref(),
        content_encoding: content_encoding.as_deref(),
        content_length: content_length.as_deref(),
    })?;
    let Ok(mut stream) = req.stream() else {
        // No body at all.
        return reader.finish();
    };
    let reading = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk
                .map_err(|e| IngestError::Malformed(format!("the body could not be read: {e}")))?;
            reader.push(&chunk)?;
        }
        reader.finish()
    };
    let deadline = Delay::from(Duration::from_millis(BODY_READ_TIMEOUT_MS));
    let read = match select(pin!(reading), pin!(deadline)).await {
        Either::Left((read, _)) => read,
        Either::Right(((), _)) => Err(IngestError::BodyTimeout),
    };
    if read.as_ref().is_err_and(|e| *e != IngestError::BodyTimeout) {
        drain(&mut stream).await;
    }
    read
}

/// Reads and drops what is left of a refused body, within [`DRAIN_MAX_BYTES`] and
/// [`DRAIN_MAX_MS`]: a body left half read makes `wrangler dev` fail the next request on the
/// connection ("Your worker restarted mid-request"), while one never touched does not.
async fn drain(stream: &mut ByteStream) {
    let draining = async {
        let mut drained = 0;
        while let Some(Ok(chunk)) = stream.next().await {
            drained += chunk.len();
            if drained > DRAIN_MAX_BYTES {
                return;
            }
        }
    };
    let deadline = Delay::from(Duration::from_millis(DRAIN_MAX_MS));
    select(pin!(draining), pin!(deadline)).await;
}
