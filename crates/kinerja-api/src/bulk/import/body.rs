//! The request body on its way to the blocking thread: pieces as they arrive, read as a stream.

use actix_web::web::Bytes;
use std::io::Read;

// ---- the body, from the request to the blocking thread ----

pub(super) enum Piece {
    Data(Bytes),
    /// The whole body arrived; its fingerprint.
    End(Vec<u8>),
    Failed(String),
}

/// Reads the body as it arrives; an upload that breaks off is an error, never a short file.
pub(super) struct BodyReader {
    pub(super) pieces: tokio::sync::mpsc::Receiver<Piece>,
    pub(super) current: Bytes,
    pub(super) fingerprint: Option<Vec<u8>>,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if !self.current.is_empty() {
                let n = buf.len().min(self.current.len());
                buf[..n].copy_from_slice(&self.current.split_to(n));
                return Ok(n);
            }
            if self.fingerprint.is_some() {
                return Ok(0);
            }
            match self.pieces.blocking_recv() {
                Some(Piece::Data(bytes)) => self.current = bytes,
                Some(Piece::End(fingerprint)) => self.fingerprint = Some(fingerprint),
                Some(Piece::Failed(cause)) => return Err(std::io::Error::other(cause)),
                None => return Err(std::io::Error::other("the upload was interrupted")),
            }
        }
    }
}
