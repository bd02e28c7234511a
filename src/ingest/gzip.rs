//! `Content-Encoding: gzip` request bodies (segment-analytics-python with `gzip=True`,
//! analytics-kotlin), decoded as the compressed bytes arrive, with the decoded size capped:
//! decoding stops at the cap, so a gzip bomb costs the cap and no more, in memory and in time.
//!
//! The deflate data is inflated by `miniz_oxide`; the gzip wrapper around it (RFC 1952: a
//! header of at least 10 bytes, and a trailer with the CRC-32 and the length of the data) is
//! read here, which keeps the Worker about 20 KB smaller than `flate2` with its CRC tables.

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

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
    stage: Stage,
    inflater: Box<InflateState>,
    out: Vec<u8>,
    limit: usize,
}

/// Where in the gzip stream the next byte belongs.
enum Stage {
    /// The header, kept until it is whole.
    Header(Vec<u8>),
    /// The deflate data.
    Deflate,
    /// The 8-byte trailer, kept until the end.
    Trailer(Vec<u8>),
}

/// The CRC-32 gzip uses.
const CRC32: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
/// Bytes inflated per step: the most the output can pass the cap by before it is noticed.
const STEP: usize = 32 * 1024;

fn corrupt(why: &str) -> GzipError {
    GzipError::Corrupt(why.to_string())
}

impl GzipBody {
    /// A decoder whose output stops at `limit` bytes.
    pub fn new(limit: usize) -> Self {
        GzipBody {
            stage: Stage::Header(Vec::new()),
            inflater: InflateState::new_boxed(DataFormat::Raw),
            out: Vec::new(),
            limit,
        }
    }

    /// Decodes the next compressed chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), GzipError> {
        let mut input = chunk;
        let header_rest;
        if let Stage::Header(header) = &mut self.stage {
            header.extend_from_slice(input);
            let Some(length) = header_length(header)? else {
                return Ok(());
            };
            header_rest = header.split_off(length);
            input = &header_rest;
            self.stage = Stage::Deflate;
        }
        if let Stage::Deflate = self.stage {
            let used = self.inflate(input)?;
            input = &input[used..];
        }
        if let Stage::Trailer(trailer) = &mut self.stage {
            trailer.extend_from_slice(input);
            if trailer.len() > 8 {
                return Err(corrupt("data after the end of the gzip stream"));
            }
        }
        Ok(())
    }

    /// Inflates `input` until it is used up or the deflate data ends (then the trailer
    /// follows); how many bytes of it were used.
    fn inflate(&mut self, input: &[u8]) -> Result<usize, GzipError> {
        let mut used = 0;
        let mut step = vec![0u8; STEP];
        loop {
            let result = inflate(&mut self.inflater, &input[used..], &mut step, MZFlush::None);
            used += result.bytes_consumed;
            if result.bytes_consumed == 0 && result.bytes_written == 0 && used < input.len() {
                return Err(corrupt("the deflate data is broken"));
            }
            if self.out.len() + result.bytes_written > self.limit {
                return Err(GzipError::TooLarge);
            }
            self.out.extend_from_slice(&step[..result.bytes_written]);
            match result.status {
                Ok(MZStatus::StreamEnd) => {
                    self.stage = Stage::Trailer(Vec::new());
                    return Ok(used);
                }
                // The step was filled: there may be more to take out.
                Ok(_) if result.bytes_written == STEP => {}
                Ok(_) | Err(MZError::Buf) if used == input.len() => return Ok(used),
                Ok(_) => {}
                Err(_) => return Err(corrupt("the deflate data is broken")),
            }
        }
    }

    /// The whole decoded body, once the gzip stream has ended with a correct checksum and
    /// length.
    pub fn finish(self) -> Result<Vec<u8>, GzipError> {
        let Stage::Trailer(trailer) = &self.stage else {
            return Err(corrupt("the gzip stream ends early"));
        };
        let [c0, c1, c2, c3, l0, l1, l2, l3] = trailer[..] else {
            return Err(corrupt("the gzip stream ends early"));
        };
        if u32::from_le_bytes([c0, c1, c2, c3]) != CRC32.checksum(&self.out) {
            return Err(corrupt("the gzip checksum does not match"));
        }
        // The length is kept modulo 2^32.
        if u32::from_le_bytes([l0, l1, l2, l3]) != self.out.len() as u32 {
            return Err(corrupt("the gzip length does not match"));
        }
        Ok(self.out)
    }
}

/// The length of a whole gzip header at the start of `bytes`, `None` while more is needed.
fn header_length(bytes: &[u8]) -> Result<Option<usize>, GzipError> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let prefix = bytes.len().min(3);
    if bytes[..prefix] != [0x1f, 0x8b, 8][..prefix] {
        return Err(corrupt("the body is not gzip (no gzip header)"));
    }
    let Some(&flags) = bytes.get(3) else {
        return Ok(None);
    };
    if flags & 0xe0 != 0 {
        return Err(corrupt("the gzip header has reserved flags set"));
    }
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let (Some(&lo), Some(&hi)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Ok(None);
        };
        at += 2 + usize::from(u16::from_le_bytes([lo, hi]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let Some(end) = bytes
                .get(at..)
                .and_then(|rest| rest.iter().position(|b| *b == 0))
            else {
                return Ok(None);
            };
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    Ok((bytes.len() >= at).then_some(at))
}

/// Gzip as an independent encoder (flate2) writes it, for tests.
#[cfg(test)]
pub(crate) fn compress(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
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
    fn reads_every_header_field() {
        let data = br#"{"batch":[]}"#;
        let plain = compress(data);
        let deflate = &plain[10..];
        // FEXTRA (4 bytes), FNAME, FCOMMENT and FHCRC, as other encoders may write them.
        let mut header = vec![0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 255];
        header.extend_from_slice(&[4, 0, b'a', b'b', b'c', b'd']);
        header.extend_from_slice(b"body.json\0a comment\0");
        header.extend_from_slice(&[0xaa, 0xbb]);
        let full = [header, deflate.to_vec()].concat();
        for chunk in [1, 3, 11, full.len()] {
            assert_eq!(
                decode_in_chunks(&full, chunk, 1000).unwrap(),
                data,
                "chunks of {chunk}"
            );
        }
        let mut reserved = plain.clone();
        reserved[3] = 0x20;
        assert!(matches!(
            decode_in_chunks(&reserved, 64, 1000),
            Err(GzipError::Corrupt(_))
        ));
        let mut trailing = plain.clone();
        trailing.push(0);
        assert!(matches!(
            decode_in_chunks(&trailing, 5, 1000),
            Err(GzipError::Corrupt(_))
        ));
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
        let mut bad_length = gz.clone();
        let at = bad_length.len() - 4;
        bad_length[at] ^= 1;
        assert!(matches!(
            decode_in_chunks(&bad_length, 4, 1000),
            Err(GzipError::Corrupt(_))
        ));
        // Deflate data that is not deflate: a block type that does not exist.
        let mut bad_block = gz[..10].to_vec();
        bad_block.extend_from_slice(&[0xff; 40]);
        assert!(matches!(
            decode_in_chunks(&bad_block, 7, 1000),
            Err(GzipError::Corrupt(_))
        ));
    }
}
