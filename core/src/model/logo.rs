//! The company's logo, printed on its documents.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::ModelError;

/// A logo: PNG bytes of at most [`Logo::MAX_WIDTH`] × [`Logo::MAX_HEIGHT`] pixels and
/// [`Logo::MAX_BYTES`] bytes; base64 in JSON. The app scales and re-encodes whatever
/// picture the user chooses; the server checks the PNG's signature, header, end and
/// size ([`Logo::validate`]) before it keeps one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Byte))]
#[serde(try_from = "String", into = "String")]
pub struct Logo(Vec<u8>);

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];
const PNG_END: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82];

impl Logo {
    pub const MAX_WIDTH: u32 = 400;
    pub const MAX_HEIGHT: u32 = 200;
    /// 256 KiB.
    pub const MAX_BYTES: usize = 256 * 1024;

    /// A logo from PNG bytes, checked.
    pub fn from_png(bytes: Vec<u8>) -> Result<Self, ModelError> {
        let logo = Self(bytes);
        logo.validate()?;
        Ok(logo)
    }

    /// Checks the bytes are a PNG within the limits (the header's size, not every pixel:
    /// a damaged picture shows as nothing, it never breaks a record).
    pub fn validate(&self) -> Result<(), ModelError> {
        if self.0.len() > Self::MAX_BYTES {
            return Err(ModelError::LogoTooLarge { bytes: self.0.len(), max: Self::MAX_BYTES });
        }
        let (width, height) = self.dimensions().ok_or(ModelError::LogoInvalid)?;
        if width == 0 || height == 0 || !self.0.ends_with(&PNG_END) {
            return Err(ModelError::LogoInvalid);
        }
        if width > Self::MAX_WIDTH || height > Self::MAX_HEIGHT {
            return Err(ModelError::LogoDimensions { width, height });
        }
        Ok(())
    }

    /// Width and height from the PNG header, if the bytes start like a PNG.
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        let header = self.0.get(..24)?;
        if header[..8] != PNG_SIGNATURE || &header[12..16] != b"IHDR" {
            return None;
        }
        let number = |at: usize| header.get(at..at + 4)?.try_into().ok().map(u32::from_be_bytes);
        Some((number(16)?, number(20)?))
    }

    pub fn png(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Logo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Logo({} bytes)", self.0.len())
    }
}

impl TryFrom<String> for Logo {
    type Error = ModelError;
    /// Decodes base64 only: the limits are the rules' ([`Logo::validate`]), so that a
    /// logo too large is refused with its own reason rather than as a malformed request.
    fn try_from(value: String) -> Result<Self, Self::Error> {
        STANDARD.decode(value.as_bytes()).map(Self).map_err(|_| ModelError::LogoInvalid)
    }
}

impl From<Logo> for String {
    fn from(value: Logo) -> Self {
        STANDARD.encode(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PNG header and end of `width` × `height` (no pixel data: the header is
    /// what the rules read).
    fn png_of(width: u32, height: u32, padding: usize) -> Vec<u8> {
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.extend(13_u32.to_be_bytes());
        bytes.extend(b"IHDR");
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend(std::iter::repeat_n(0, padding));
        bytes.extend(PNG_END);
        bytes
    }

    #[test]
    fn a_logo_is_a_png_within_400_by_200_and_256_kib() {
        let logo = Logo::from_png(png_of(400, 200, 0)).unwrap();
        assert_eq!(logo.dimensions(), Some((400, 200)));
        assert_eq!(Logo::from_png(png_of(401, 200, 0)).unwrap_err().code(), "logo_dimensions");
        assert_eq!(Logo::from_png(png_of(400, 201, 0)).unwrap_err().code(), "logo_dimensions");
        assert_eq!(Logo::from_png(png_of(0, 10, 0)).unwrap_err().code(), "logo_invalid");
        assert_eq!(Logo::from_png(b"GIF89a not a png at all....".to_vec()).unwrap_err().code(), "logo_invalid");
        let mut truncated = png_of(10, 10, 100);
        truncated.truncate(60);
        assert_eq!(Logo::from_png(truncated).unwrap_err().code(), "logo_invalid");
        let at_limit = png_of(10, 10, Logo::MAX_BYTES - png_of(10, 10, 0).len());
        assert_eq!(at_limit.len(), Logo::MAX_BYTES);
        Logo::from_png(at_limit).unwrap();
        let over = png_of(10, 10, Logo::MAX_BYTES);
        assert_eq!(Logo::from_png(over).unwrap_err().code(), "logo_too_large");
    }

    #[test]
    fn a_logo_travels_as_base64() {
        let logo = Logo::from_png(png_of(2, 1, 3)).unwrap();
        let json = serde_json::to_string(&logo).unwrap();
        assert!(json.starts_with("\"iVBORw0KGgo"), "{json}");
        assert_eq!(serde_json::from_str::<Logo>(&json).unwrap(), logo);
        assert!(serde_json::from_str::<Logo>("\"not base64!\"").is_err());
        assert_eq!(format!("{logo:?}"), format!("Logo({} bytes)", logo.png().len()));
    }
}
