//! `Content-Encoding: gzip` request bodies (segment-analytics-python with `gzip=True`,
//! analytics-kotlin), decoded as the compressed bytes arrive, with the decoded size capped:
//! decoding stops at the cap, so a gzip bomb costs the cap and no more, in memory and in time.

use std::io::{self, Write};

/// Why a gzip body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GzipError {
    /// The decoded body would be larger than the cap.
    TooLarge,
    /// Not a gzip stream, or a broken one.
    Corrupt(String),
}

/// An incremental gzip decoder whose output never grows past `limit` bytes.
pub struct GzipBody {
    decoder: flate2::write::GzDecoder<Capped>,
}

/// The decoded bytes, refusing any write that would take them past the cap.
struct Capped {
    out: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.out.len().saturating_add(buf.len()) > self.limit {
            self.over = true;
            return Err(io::Error::other("decoded body over the limit"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl GzipBody {
    /// A decoder whose output stops at `limit` bytes.
    pub fn new(limit: usize) -> Self {
        GzipBody {
            decoder: flate2::write::GzDecoder::new(Capped {
                out: Vec::new(),
                limit,
                over: false,
            }),
        }
    }

    /// Decodes the next compressed chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), GzipError> {
        let written = self.decoder.write_all(chunk);
        self.check(written)
    }

    /// The whole decoded body, once the gzip stream has ended with a correct checksum.
    pub fn finish(mut self) -> Result<Vec<u8>, GzipError> {
        let finished = self.decoder.try_finish();
        self.check(finished)?;
        self.decoder
            .finish()
            .map(|capped| capped.out)
            .map_err(|e| GzipError::Corrupt(e.to_string()))
    }

    fn check(&self, result: io::Result<()>) -> Result<(), GzipError> {
        match result {
            Ok(()) => Ok(()),
            Err(_) if self.decoder.get_ref().over => Err(GzipError::TooLarge),
            Err(e) => Err(GzipError::Corrupt(e.to_string())),
        }
    }
}

#[cfg(test)]
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_chunks(bytes: &[u8], chunk: usize, limit: usize) -> Result<Vec<u8>, GzipError> {
        let mut body = GzipBody::new(limit);
        for part in bytes.chunks(chunk) {
            body.push(part)?;
        }
        body.finish()
    }

    #[test]
    fn decodes_in_any_chunking() {
        let text = br#"{"batch":[{"type":"track","event":"e"}]}"#.repeat(50);
        let gz = compress(&text);
        for chunk in [1, 7, 64, gz.len()] {
            assert_eq!(decode_in_chunks(&gz, chunk, 1 << 20).unwrap(), text);
        }
        assert_eq!(
            decode_in_chunks(&gz, 9, text.len()).unwrap(),
            text,
            "exactly at the cap"
        );
    }

    #[test]
    fn stops_at_the_cap() {
        // 20 MB of zeros compress to well under 500 KB: decoding stops after the first 500 KB.
        let bomb = compress(&vec![0u8; 20 << 20]);
        assert!(bomb.len() < 200 << 10, "{}", bomb.len());
        assert_eq!(
            decode_in_chunks(&bomb, 16 << 10, 500 << 10),
            Err(GzipError::TooLarge)
        );
        let text = vec![b'x'; 1001];
        assert_eq!(
            decode_in_chunks(&compress(&text), 100, 1000),
            Err(GzipError::TooLarge)
        );
    }

    #[test]
    fn refuses_broken_streams() {
        let gz = compress(b"{\"type\":\"track\"}");
        assert!(matches!(
            decode_in_chunks(b"{\"type\":\"track\"}", 4, 1000),
            Err(GzipError::Corrupt(_))
        ));
        assert!(
            matches!(
                decode_in_chunks(&gz[..gz.len() - 4], 4, 1000),
                Err(GzipError::Corrupt(_))
            ),
            "truncated: no length trailer"
        );
        let mut bad_crc = gz.clone();
        let at = bad_crc.len() - 8;
        bad_crc[at] ^= 0xff;
        assert!(matches!(
            decode_in_chunks(&bad_crc, 4, 1000),
            Err(GzipError::Corrupt(_))
        ));
        assert!(matches!(
            decode_in_chunks(b"", 4, 1000),
            Err(GzipError::Corrupt(_))
        ));
    }
}
