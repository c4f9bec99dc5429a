//! Placeholder: to be written.
use super::SanitizeError;

#[derive(Debug, Default)]
pub struct JpegStripper {}

impl JpegStripper {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        out.extend_from_slice(input);
        Ok(())
    }

    pub fn finish(self, _out: &mut Vec<u8>) -> Result<(), SanitizeError> {
        Ok(())
    }
}
