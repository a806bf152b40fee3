//! Perceptual hash of a photo: 64-bit DCT pHash.
//!
//! Chosen over a difference hash (dHash) because the photos compared are the same picture after
//! different JPEG pipelines (ours, then HikCentral's): a dHash compares neighbouring cells of a
//! 9×8 thumbnail, and in the flat areas of a portrait (background, cheeks) those neighbours are
//! nearly equal, so compression noise flips bits. pHash keeps only the lowest spatial
//! frequencies, which re-encoding and resizing barely move.
//!
//! The algorithm, as in the widely used `imagehash` Python library:
//!
//! 1. luma (BT.601 weights) of the upright RGB image (alpha already composited onto white);
//! 2. area-average down to 32×32 (every source pixel counts once, so the result hardly depends
//!    on the input size);
//! 3. 2-D DCT-II of the 32×32 block; keep the 8×8 lowest frequencies (DC included);
//! 4. bit = coefficient > median of those 64, most significant bit first in row-major order.
//!
//! [`similarity`] maps the Hamming distance `d` to `round(100 × (64 − d) / 64)`: 100 is an
//! identical hash, ≥ 90 (at most 6 differing bits) is the same photo re-encoded or resized,
//! about 50 is what two unrelated images score, and a mirrored or rotated copy scores lower
//! than the same photo does.

use std::fmt;
use std::str::FromStr;

use image::RgbImage;

/// Side of the block the DCT runs on.
const BLOCK: usize = 32;
/// Side of the low-frequency corner that becomes the hash.
const KEEP: usize = 8;

/// A 64-bit perceptual hash (DCT pHash: luma, area-averaged to 32×32, 2-D DCT, the 8×8 lowest
/// frequencies compared with their median, most significant bit first — as in the `imagehash`
/// Python library). Its text form (ledger, API) is exactly 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhotoHash(pub u64);

impl fmt::Display for PhotoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A photo hash that is not exactly 16 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a photo hash is exactly 16 hexadecimal digits, got {0:?}")]
pub struct ParsePhotoHashError(pub String);

impl FromStr for PhotoHash {
    type Err = ParsePhotoHashError;

    /// Accepts exactly 16 hex digits, either case (no sign, prefix or spaces).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParsePhotoHashError(s.to_string()));
        }
        u64::from_str_radix(s, 16)
            .map(PhotoHash)
            .map_err(|_| ParsePhotoHashError(s.to_string()))
    }
}

impl serde::Serialize for PhotoHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for PhotoHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How alike two photos look, 0..=100, from the Hamming distance of their hashes: 100 means
/// identical hashes; ≥ 90 is the same photo after re-encoding or resizing; ≈ 50 is unrelated.
pub fn similarity(a: PhotoHash, b: PhotoHash) -> u8 {
    let distance = (a.0 ^ b.0).count_ones();
    // round(100 · (64 − d) / 64); at most 100, so the cast cannot truncate.
    (((64 - distance) * 100 + 32) / 64) as u8
}

/// The pHash of an upright RGB image (see the module documentation).
pub(super) fn perceptual_hash(image: &RgbImage) -> PhotoHash {
    let block = luma_block(image);
    let cosines = cosine_table();

    // Separable DCT-II, computing only the KEEP lowest frequencies in each direction. The
    // normalisation factors are omitted: like `imagehash`, the bits compare raw sums.
    let mut rows = [[0.0_f64; KEEP]; BLOCK];
    for (row_out, row_in) in rows.iter_mut().zip(block.iter()) {
        for (u, out) in row_out.iter_mut().enumerate() {
            *out = row_in
                .iter()
                .zip(cosines[u].iter())
                .map(|(p, c)| p * c)
                .sum();
        }
    }
    let mut coefficients = [0.0_f64; KEEP * KEEP];
    for v in 0..KEEP {
        for u in 0..KEEP {
            coefficients[v * KEEP + u] = (0..BLOCK).map(|y| rows[y][u] * cosines[v][y]).sum();
        }
    }

    let mut sorted = coefficients;
    sorted.sort_by(f64::total_cmp);
    let median = (sorted[KEEP * KEEP / 2 - 1] + sorted[KEEP * KEEP / 2]) / 2.0;
    let bits = coefficients
        .iter()
        .fold(0_u64, |acc, &c| (acc << 1) | u64::from(c > median));
    PhotoHash(bits)
}

/// `cos(π (2n + 1) k / 2N)` for the kept frequencies `k` and every sample `n`.
fn cosine_table() -> [[f64; BLOCK]; KEEP] {
    let mut table = [[0.0; BLOCK]; KEEP];
    for (k, row) in table.iter_mut().enumerate() {
        for (n, value) in row.iter_mut().enumerate() {
            *value =
                (std::f64::consts::PI * (2 * n + 1) as f64 * k as f64 / (2 * BLOCK) as f64).cos();
        }
    }
    table
}

/// Area-averaged luma on a BLOCK×BLOCK grid.
fn luma_block(image: &RgbImage) -> [[f64; BLOCK]; BLOCK] {
    let grid = BLOCK as u32;
    let upscaled;
    let image = if image.width() < grid || image.height() < grid {
        // Tiny images: stretch first so that every cell receives pixels.
        upscaled = image::imageops::resize(
            image,
            image.width().max(grid),
            image.height().max(grid),
            image::imageops::FilterType::Triangle,
        );
        &upscaled
    } else {
        image
    };
    let (width, height) = (u64::from(image.width()), u64::from(image.height()));
    let mut sums = [[0.0_f64; BLOCK]; BLOCK];
    let mut counts = [[0_u32; BLOCK]; BLOCK];
    for (x, y, pixel) in image.enumerate_pixels() {
        let cell_x = (u64::from(x) * BLOCK as u64 / width) as usize;
        let cell_y = (u64::from(y) * BLOCK as u64 / height) as usize;
        let [r, g, b] = pixel.0;
        sums[cell_y][cell_x] += 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
        counts[cell_y][cell_x] += 1;
    }
    let mut block = [[0.0_f64; BLOCK]; BLOCK];
    for ((out_row, sum_row), count_row) in block.iter_mut().zip(&sums).zip(&counts) {
        for ((out, sum), count) in out_row.iter_mut().zip(sum_row).zip(count_row) {
            *out = sum / f64::from((*count).max(1));
        }
    }
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_is_sixteen_hex_digits_and_round_trips() {
        let hash = PhotoHash(0x00ab_cdef_0123_4567);
        assert_eq!(hash.to_string(), "00abcdef01234567");
        assert_eq!("00abcdef01234567".parse::<PhotoHash>().unwrap(), hash);
        assert_eq!("00ABCDEF01234567".parse::<PhotoHash>().unwrap(), hash);
        for bad in [
            "",
            "abc",
            "00abcdef0123456",
            "00abcdef012345678",
            "+0abcdef01234567",
            "00abcdef0123456g",
            " 0abcdef01234567",
        ] {
            assert!(bad.parse::<PhotoHash>().is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn serde_uses_the_text_form() {
        let hash = PhotoHash(u64::MAX - 1);
        let json = serde_json::to_string(&hash).unwrap();
        assert_eq!(json, "\"fffffffffffffffe\"");
        assert_eq!(serde_json::from_str::<PhotoHash>(&json).unwrap(), hash);
        assert!(serde_json::from_str::<PhotoHash>("\"xyz\"").is_err());
    }

    #[test]
    fn similarity_maps_hamming_distance_to_0_100() {
        let a = PhotoHash(0x0123_4567_89ab_cdef);
        assert_eq!(similarity(a, a), 100);
        assert_eq!(similarity(a, PhotoHash(!a.0)), 0);
        assert_eq!(similarity(a, PhotoHash(a.0 ^ 1)), 98);
        assert_eq!(similarity(a, PhotoHash(a.0 ^ 0b11_1111)), 91); // 6 bits: still "same photo"
        assert_eq!(similarity(a, PhotoHash(a.0 ^ 0b111_1111)), 89); // 7 bits: below 90
        assert_eq!(similarity(a, PhotoHash(a.0 ^ 0xFFFF_FFFF)), 50);
    }

    #[test]
    fn flat_and_tiny_images_hash_without_panicking() {
        let flat = RgbImage::from_pixel(200, 200, image::Rgb([120, 130, 140]));
        let tiny = RgbImage::from_pixel(3, 5, image::Rgb([10, 200, 30]));
        let _ = perceptual_hash(&flat);
        let _ = perceptual_hash(&tiny);
    }
}
