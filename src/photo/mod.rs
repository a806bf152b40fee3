//! Photo pipeline: validate, normalise and fingerprint a face photo before it is sent to
//! HikCentral.
//!
//! Every SIAD photo (`Fotografia`) goes through [`normalise`] before it becomes a
//! `faces[0].faceData`:
//!
//! 1. **Cheap checks first** — empty input, then `max_input_bytes`, then the format is detected
//!    from the magic numbers (never from a file name or a declared content type). Only JPEG, PNG
//!    and BMP are accepted; anything else is [`PhotoError::UnsupportedFormat`] naming what was
//!    found (`"gif"`, `"webp"`, `"heic"`, …, `"unknown"`).
//! 2. **Header before pixels** — the decoder reads only the header; the declared size is checked
//!    against `max_dimension` (and the decoder's own limits are set to the same values) before a
//!    pixel buffer is allocated, so a decompression bomb costs a few bytes of reading. The
//!    minimum size is checked at the same point, on the *upright* size. A JPEG must reach its
//!    end-of-image marker: the decoder is lenient and would paint a cut-off upload grey, so a
//!    truncated file (or one whose writer omitted the marker) is [`PhotoError::Undecodable`].
//! 3. **Upright** — the EXIF orientation (JPEG `APP1`, PNG `eXIf`) is applied with the `image`
//!    crate's own support (`ImageDecoder::orientation` + `DynamicImage::apply_orientation`), so a
//!    photo taken with the phone on its side comes out upright.
//! 4. **RGB8** — alpha is composited onto white (a transparent background must not turn black).
//! 5. **Downscale** — the long side is brought to `target_long_side` (aspect kept, never
//!    upscaled, never below the minimum size) with Lanczos3; very large inputs are first reduced
//!    with a fast area-averaging pass to twice the target, which keeps the cost bounded without
//!    visible loss.
//! 6. **Byte budget** — JPEG at quality 90, 80, 70, 60, 50, 40 until it fits
//!    `max_output_bytes`; if even quality 40 does not fit, the size shrinks by ~15 % per step
//!    (never below the minimum size) and the quality ladder starts again; if the minimum size at
//!    quality 40 still does not fit: [`PhotoError::CannotFitBudget`].
//! 7. **Fingerprint** — a 64-bit DCT perceptual hash ([`PhotoHash`]) of the normalised image,
//!    kept in the ledger so `GET /biometrico/compare/{ci}` can tell how similar the SIAD photo
//!    and the HikCentral photo are ([`similarity`]). pHash rather than a difference hash: the
//!    photos compared are one picture after two JPEG pipelines, and pHash's low frequencies
//!    survive re-encoding and resizing where dHash's neighbour comparisons flip in flat areas.
//!
//! HikCentral's own limits for face pictures are **UNCONFIRMED**: no official number was found
//! (see `shared/reference/hikcentral-artemis.md` §3). Practice is one frontal face, JPEG, about
//! 600 px on the long side and well under 200 KB; those are the defaults of [`PhotoLimits`], and
//! every one of them is configuration.
//!
//! All of this is CPU work: async code calls [`normalise_off_runtime`], which runs on tokio's
//! blocking pool.

mod decode;
mod error;
mod hash;
mod placeholder;
mod pool;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, GenericImageView, RgbImage};

pub use error::PhotoError;
pub use hash::{similarity, ParsePhotoHashError, PhotoHash};
pub use placeholder::placeholder_portrait;
pub use pool::{hash_off_runtime, normalise_off_runtime, off_runtime, PhotoPool};

/// Limits applied to every photo. All values are configuration because HikCentral's real limits
/// are UNCONFIRMED; the defaults follow field practice (≈ 600 px long side, < 200 KB JPEG).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct PhotoLimits {
    /// Largest accepted input, in bytes, checked before anything is decoded. Default 10 MiB.
    pub max_input_bytes: usize,
    /// Largest accepted width or height, in pixels, checked on the header before any pixel
    /// buffer is allocated (also handed to the decoder as its strict limits). Default 8000.
    /// The decoder's allocation cap follows from it: `8 × max_dimension²` bytes (16-bit RGBA at
    /// the maximum size); orientation and RGB conversion may briefly need about as much again,
    /// so lower this value to bound memory.
    pub max_dimension: u32,
    /// Smallest accepted upright width, in pixels. Default 200.
    pub min_width: u32,
    /// Smallest accepted upright height, in pixels. Default 200.
    pub min_height: u32,
    /// Larger photos are downscaled so their long side is this many pixels (aspect kept);
    /// smaller photos are not upscaled. Default 600.
    pub target_long_side: u32,
    /// Budget for the normalised JPEG, in bytes. Default 200 KiB (204 800 bytes).
    pub max_output_bytes: usize,
}

impl Default for PhotoLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 10 * 1024 * 1024,
            max_dimension: 8000,
            min_width: 200,
            min_height: 200,
            target_long_side: 600,
            max_output_bytes: 200 * 1024,
        }
    }
}

/// A photo ready for HikCentral: an upright RGB JPEG within the limits, plus its fingerprint.
#[derive(Clone, PartialEq, Eq)]
pub struct NormalisedPhoto {
    /// The baseline JPEG to send (base64 it for `faceData`).
    pub jpeg: Vec<u8>,
    /// Width of `jpeg`, in pixels.
    pub width: u32,
    /// Height of `jpeg`, in pixels.
    pub height: u32,
    /// Format the input was in: `"jpeg"`, `"png"` or `"bmp"`.
    pub source_format: &'static str,
    /// Upright width of the input (after EXIF orientation), in pixels.
    pub source_width: u32,
    /// Upright height of the input (after EXIF orientation), in pixels.
    pub source_height: u32,
    /// JPEG quality `jpeg` was encoded with (40..=90).
    pub quality: u8,
    /// Perceptual hash of the normalised image.
    pub hash: PhotoHash,
}

/// Never prints the photo bytes, only their size.
impl std::fmt::Debug for NormalisedPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormalisedPhoto")
            .field("jpeg_bytes", &self.jpeg.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("source_format", &self.source_format)
            .field("source_width", &self.source_width)
            .field("source_height", &self.source_height)
            .field("quality", &self.quality)
            .field("hash", &self.hash)
            .finish()
    }
}

/// JPEG qualities tried, best first, at each size step.
const QUALITY_LADDER: [u8; 6] = [90, 80, 70, 60, 50, 40];
/// Each size step keeps this fraction of the previous width and height.
const SHRINK_STEP: f64 = 0.85;
/// Inputs whose long side exceeds this many times the target get a fast area-averaging
/// reduction to twice the target before the Lanczos3 pass.
const PRESHRINK_FACTOR: u32 = 3;

/// Validates and normalises one photo (see the module documentation for each step).
///
/// Synchronous and CPU-bound (tens to hundreds of milliseconds for camera-sized photos): from
/// async code use [`normalise_off_runtime`].
pub fn normalise(bytes: &[u8], limits: &PhotoLimits) -> Result<NormalisedPhoto, PhotoError> {
    let decoded = decode::decode(bytes, limits, true)?;
    let (source_width, source_height) = decoded.image.dimensions();
    let rgb = to_rgb8_on_white(decoded.image);
    let base = downscale_to_target(rgb, limits);
    let (jpeg, image, quality) = encode_within_budget(&base, limits)?;
    Ok(NormalisedPhoto {
        width: image.width(),
        height: image.height(),
        hash: hash::perceptual_hash(&image),
        jpeg,
        source_format: decoded.format.name(),
        source_width,
        source_height,
        quality,
    })
}

/// Decodes a photo with the same limits and orientation handling as [`normalise`] (except the
/// minimum size, which is not needed to compare) and returns its perceptual hash.
///
/// Use it for photos that come back from HikCentral (`person/picture_data`), to compare them
/// with the hash kept in the ledger.
pub fn hash_image(bytes: &[u8], limits: &PhotoLimits) -> Result<PhotoHash, PhotoError> {
    let decoded = decode::decode(bytes, limits, false)?;
    Ok(hash::perceptual_hash(&to_rgb8_on_white(decoded.image)))
}

/// Converts to 8-bit RGB; transparent pixels are composited onto white.
fn to_rgb8_on_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    RgbImage::from_fn(width, height, |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| -> u8 {
            let (c, a) = (u32::from(c), u32::from(a));
            // Rounded `c·a + 255·(1 − a)` in 8-bit fixed point; always ≤ 255.
            ((c * a + 255 * (255 - a) + 127) / 255) as u8
        };
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}

/// Size (width, height) after scaling by `scale`, keeping the aspect and at least 1 px.
fn scaled(width: u32, height: u32, scale: f64) -> (u32, u32) {
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    (side(width), side(height))
}

/// Brings the long side down to `target_long_side` without going below the minimum size and
/// without upscaling.
fn downscale_to_target(image: RgbImage, limits: &PhotoLimits) -> RgbImage {
    let (width, height) = image.dimensions();
    let long = width.max(height);
    let scale = (f64::from(limits.target_long_side) / f64::from(long))
        .max(f64::from(limits.min_width) / f64::from(width))
        .max(f64::from(limits.min_height) / f64::from(height));
    if scale >= 1.0 {
        return image;
    }
    let (new_width, new_height) = scaled(width, height, scale);
    let mut image = DynamicImage::ImageRgb8(image);
    let (pre_width, pre_height) = scaled(width, height, scale * 2.0);
    if long > PRESHRINK_FACTOR.saturating_mul(new_width.max(new_height)) {
        image = image.thumbnail_exact(pre_width, pre_height);
    }
    image
        .resize_exact(new_width, new_height, FilterType::Lanczos3)
        .into_rgb8()
}

/// Encodes `base` as JPEG within `max_output_bytes`: the quality ladder first, then ~15 % size
/// steps (each re-sampled from `base`, never below the minimum size).
fn encode_within_budget(
    base: &RgbImage,
    limits: &PhotoLimits,
) -> Result<(Vec<u8>, RgbImage, u8), PhotoError> {
    let (base_width, base_height) = base.dimensions();
    let min_width = limits.min_width.min(base_width);
    let min_height = limits.min_height.min(base_height);
    let mut scale = 1.0_f64;
    let mut previous: Option<(u32, u32)> = None;
    loop {
        let (mut width, mut height) = scaled(base_width, base_height, scale);
        if width < min_width || height < min_height {
            // Clamp to the minimum size along the tighter side, keeping the aspect.
            let floor = (f64::from(min_width) / f64::from(base_width))
                .max(f64::from(min_height) / f64::from(base_height));
            (width, height) = scaled(base_width, base_height, floor.min(1.0));
        }
        if previous == Some((width, height)) {
            return Err(PhotoError::CannotFitBudget {
                max: limits.max_output_bytes,
            });
        }
        previous = Some((width, height));
        let image = if (width, height) == (base_width, base_height) {
            base.clone()
        } else {
            image::imageops::resize(base, width, height, FilterType::Lanczos3)
        };
        for quality in QUALITY_LADDER {
            let jpeg = encode_jpeg(&image, quality)?;
            if jpeg.len() <= limits.max_output_bytes {
                return Ok((jpeg, image, quality));
            }
        }
        scale *= SHRINK_STEP;
    }
}

/// Baseline JPEG of an RGB image.
fn encode_jpeg(image: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(image)
        .map_err(|e| PhotoError::Undecodable {
            reason: format!("re-encoding as JPEG failed: {e}"),
        })?;
    Ok(out)
}

#[cfg(test)]
mod tests;
