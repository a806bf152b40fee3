//! Format detection from magic numbers and decoding under limits, upright.

use std::io::Cursor;

use image::error::LimitErrorKind;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

use super::{PhotoError, PhotoLimits};

/// The formats the pipeline accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SourceFormat {
    Jpeg,
    Png,
    Bmp,
}

impl SourceFormat {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Bmp => "bmp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Bmp => ImageFormat::Bmp,
        }
    }
}

/// What the bytes look like, from their magic numbers: one of the accepted formats, or the name
/// of what was found (for [`PhotoError::UnsupportedFormat`]).
pub(super) fn sniff(bytes: &[u8]) -> Result<SourceFormat, &'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.get(offset..offset + magic.len()) == Some(magic);
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Ok(SourceFormat::Jpeg);
    }
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Ok(SourceFormat::Png);
    }
    // "BM" alone is weak; also require a plausible DIB header size (12 = OS/2 ... 124 = V5).
    if at(0, b"BM")
        && bytes
            .get(14)
            .is_some_and(|&size| (12..=124).contains(&size))
    {
        return Ok(SourceFormat::Bmp);
    }
    let found = if at(0, b"GIF87a") || at(0, b"GIF89a") {
        "gif"
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        "webp"
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        "tiff"
    } else if at(4, b"ftyp") && (at(8, b"avif") || at(8, b"avis")) {
        "avif"
    } else if at(4, b"ftyp")
        && [b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1"]
            .iter()
            .any(|brand| at(8, &brand[..]))
    {
        "heic"
    } else if at(0, b"%PDF") {
        "pdf"
    } else if at(0, &[0xFF, 0x0A]) || at(4, b"JXL ") {
        "jxl"
    } else if at(0, &[0, 0, 1, 0]) {
        "ico"
    } else {
        "unknown"
    };
    Err(found)
}

/// A decoded, upright image and the format it came in.
pub(super) struct Decoded {
    pub(super) image: DynamicImage,
    pub(super) format: SourceFormat,
}

/// Decodes `bytes` within `limits`, applying the EXIF orientation. With `enforce_min_size`, an
/// image smaller than the minimum (upright) is refused before its pixels are decoded.
pub(super) fn decode(
    bytes: &[u8],
    limits: &PhotoLimits,
    enforce_min_size: bool,
) -> Result<Decoded, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > limits.max_input_bytes {
        return Err(PhotoError::TooLarge {
            bytes: bytes.len(),
            max: limits.max_input_bytes,
        });
    }
    let format = sniff(bytes).map_err(|found| PhotoError::UnsupportedFormat {
        detected: found.to_string(),
    })?;
    if format == SourceFormat::Jpeg && !jpeg_is_complete(bytes) {
        // The JPEG decoder runs in lenient mode and would fill a cut-off scan with grey.
        return Err(PhotoError::Undecodable {
            reason: "the JPEG data is truncated (no end-of-image marker)".to_string(),
        });
    }

    // The allocation cap covers the largest in-bounds image (RGBA, 16 bits per channel).
    let side = u64::from(limits.max_dimension);
    let mut decoder_limits = Limits::default();
    decoder_limits.max_alloc = Some(side.saturating_mul(side).saturating_mul(8).max(1 << 20));
    // First open with the allocation cap only (the header is read, no pixels), so that an
    // oversized image is reported with its declared size; then the strict limits are set.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(decoder_limits.clone());
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| from_image_error(e, None, limits))?;

    let (width, height) = decoder.dimensions();
    let oversized = PhotoError::TooManyPixels {
        width,
        height,
        max: limits.max_dimension,
    };
    if width > limits.max_dimension || height > limits.max_dimension {
        return Err(oversized);
    }
    if width == 0 || height == 0 {
        return Err(PhotoError::Undecodable {
            reason: format!("the header declares a {width}×{height} image"),
        });
    }
    decoder_limits.max_image_width = Some(limits.max_dimension);
    decoder_limits.max_image_height = Some(limits.max_dimension);
    decoder
        .set_limits(decoder_limits.clone())
        .map_err(|e| from_image_error(e, Some((width, height)), limits))?;
    // `DynamicImage::from_decoder` does not check `max_alloc` itself; `ImageReader::decode`
    // would, but it gives no access to the orientation.
    decoder_limits
        .reserve(decoder.total_bytes())
        .map_err(|_| oversized)?;

    // A malformed EXIF block is not a reason to refuse a photo: it is then taken as upright.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (upright_width, upright_height) = if swaps_axes(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    if enforce_min_size && (upright_width < limits.min_width || upright_height < limits.min_height)
    {
        return Err(PhotoError::TooSmall {
            width: upright_width,
            height: upright_height,
            min_width: limits.min_width,
            min_height: limits.min_height,
        });
    }

    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| from_image_error(e, Some((width, height)), limits))?;
    image.apply_orientation(orientation);
    Ok(Decoded { image, format })
}

fn swaps_axes(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn from_image_error(
    error: ImageError,
    dimensions: Option<(u32, u32)>,
    limits: &PhotoLimits,
) -> PhotoError {
    match (&error, dimensions) {
        (ImageError::Limits(limit), Some((width, height)))
            if matches!(
                limit.kind(),
                LimitErrorKind::DimensionError | LimitErrorKind::InsufficientMemory
            ) =>
        {
            PhotoError::TooManyPixels {
                width,
                height,
                max: limits.max_dimension,
            }
        }
        (ImageError::Limits(_), None) => PhotoError::Undecodable {
            reason: format!(
                "the image is larger than the decoder limits (at most {} px per side)",
                limits.max_dimension
            ),
        },
        _ => PhotoError::Undecodable {
            reason: error.to_string(),
        },
    }
}

/// Whether a JPEG's marker structure runs from SOI to an EOI marker.
///
/// Walks the marker segments (skipping their declared lengths, so an embedded EXIF thumbnail's
/// markers are not mistaken for the main image's) and scans each entropy-coded segment for the
/// next marker (`FF 00` is a stuffed byte, `FF D0`–`FF D7` are restart markers). Bytes after the
/// EOI (some cameras append trailers) are ignored.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    let mut pos = 2; // after SOI
    loop {
        // Like the lenient decoder, resynchronise on stray bytes between segments; fill bytes
        // (FF FF …) may precede a marker.
        while bytes.get(pos).is_some_and(|&b| b != 0xFF) {
            pos += 1;
        }
        while bytes.get(pos) == Some(&0xFF) && bytes.get(pos + 1) == Some(&0xFF) {
            pos += 1;
        }
        let (Some(&0xFF), Some(&marker)) = (bytes.get(pos), bytes.get(pos + 1)) else {
            return false;
        };
        pos += 2;
        match marker {
            0xD9 => return true,
            // Standalone markers (TEM, RSTn) and a stray stuffed byte.
            0x00 | 0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(pos..pos + 2) else {
            return false;
        };
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        if length < 2 {
            return false;
        }
        pos += length;
        if marker == 0xDA {
            // Start of scan: entropy-coded data runs until the next real marker.
            loop {
                match (bytes.get(pos), bytes.get(pos + 1)) {
                    (Some(&0xFF), Some(&next)) if next == 0x00 || (0xD0..=0xD7).contains(&next) => {
                        pos += 2;
                    }
                    (Some(&0xFF), Some(_)) => break,
                    (Some(_), _) => pos += 1,
                    (None, _) => return false,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_names_the_formats_it_refuses() {
        assert_eq!(sniff(b"GIF89a\x01\x00"), Err("gif"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Err("webp"));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Err("tiff"));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Err("heic"));
        assert_eq!(sniff(b"\0\0\0\x18ftypavif\0\0\0\0"), Err("avif"));
        assert_eq!(sniff(b"%PDF-1.7"), Err("pdf"));
        assert_eq!(sniff(b"hello world"), Err("unknown"));
        assert_eq!(sniff(b"BM"), Err("unknown"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Ok(SourceFormat::Jpeg));
    }

    #[test]
    fn jpeg_walker_needs_an_end_of_image_marker() {
        assert!(!jpeg_is_complete(&[0xFF, 0xD8]));
        assert!(jpeg_is_complete(&[0xFF, 0xD8, 0xFF, 0xD9]));
        // A scan with a stuffed byte and a restart marker, then EOI and a trailer.
        let scan = [
            0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF,
            0xD9, 0xAB,
        ];
        assert!(jpeg_is_complete(&scan));
        assert!(!jpeg_is_complete(&scan[..12]));
    }
}
