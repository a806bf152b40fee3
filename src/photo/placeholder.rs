//! Synthetic "portraits" for demo data and tests: no real face, only geometry.

use crate::splitmix::SplitMix64;
use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

/// Largest side [`placeholder_portrait`] draws; larger requests are clamped.
const MAX_SIDE: u32 = 4096;

/// A deterministic synthetic JPEG (quality 90) "portrait" for demo data: a two-colour gradient
/// background and a head-and-shoulders silhouette (hair, head, neck, shoulders, two eyes) drawn
/// with ellipses and rectangles. The seed chooses the colours, the gradient direction, and the
/// head's size, height and sideways offset, so different seeds give visibly different pictures
/// with different perceptual hashes; the same seed always gives the same bytes.
///
/// `width` and `height` are clamped to `1..=4096`. Use at least 200×200 (the default minimum
/// of [`super::PhotoLimits`]) for pictures meant to pass [`super::normalise`].
pub fn placeholder_portrait(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
    let image = draw(seed, width, height);
    let mut out = Vec::new();
    // Cannot fail: the size is within JPEG's 65535 px and the buffer is in memory.
    match JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// A colour with each channel in `[low, high)`.
fn colour(rng: &mut SplitMix64, low: f64, high: f64) -> [f64; 3] {
    [
        rng.range(low, high),
        rng.range(low, high),
        rng.range(low, high),
    ]
}

const SKIN: [[f64; 3]; 6] = [
    [255.0, 224.0, 189.0],
    [241.0, 194.0, 125.0],
    [224.0, 172.0, 105.0],
    [198.0, 134.0, 66.0],
    [141.0, 85.0, 36.0],
    [92.0, 56.0, 30.0],
];

const HAIR: [[f64; 3]; 5] = [
    [20.0, 20.0, 20.0],
    [70.0, 45.0, 25.0],
    [120.0, 80.0, 40.0],
    [190.0, 160.0, 90.0],
    [150.0, 150.0, 150.0],
];

/// Inside the axis-aligned ellipse centred at (cx, cy) with radii (rx, ry)?
fn in_ellipse(x: f64, y: f64, cx: f64, cy: f64, rx: f64, ry: f64) -> bool {
    let (dx, dy) = ((x - cx) / rx, (y - cy) / ry);
    dx * dx + dy * dy <= 1.0
}

fn draw(seed: u64, width: u32, height: u32) -> RgbImage {
    let mut rng = SplitMix64(seed);
    let (w, h) = (f64::from(width), f64::from(height));

    let background_a = colour(&mut rng, 120.0, 250.0);
    let background_b = colour(&mut rng, 40.0, 200.0);
    let angle = rng.range(0.0, std::f64::consts::TAU);
    let (gx, gy) = (angle.cos(), angle.sin());

    let skin = rng.pick(&SKIN);
    let hair = rng.pick(&HAIR);
    let clothes = colour(&mut rng, 0.0, 220.0);

    let head_cx = w * (0.5 + rng.range(-0.14, 0.14));
    let head_cy = h * rng.range(0.34, 0.44);
    let head_rx = w * rng.range(0.14, 0.22);
    let head_ry = head_rx * rng.range(1.15, 1.4) * (w / h).max(0.5);
    let hair_grow = rng.range(1.05, 1.25);
    let hair_drop = rng.range(0.15, 0.45);
    let shoulders_cx = w * 0.5 + (head_cx - w * 0.5) * rng.range(0.3, 0.8);
    let shoulders_top = head_cy + head_ry * rng.range(1.2, 1.5);
    let shoulders_rx = w * rng.range(0.34, 0.5);
    let shoulders_ry = (h - shoulders_top).max(1.0) * rng.range(1.0, 1.3);
    let neck_half = head_rx * rng.range(0.3, 0.45);
    let eye_dx = head_rx * rng.range(0.3, 0.45);
    let eye_y = head_cy - head_ry * rng.range(0.0, 0.2);
    let eye_r = head_rx * 0.1;

    RgbImage::from_fn(width, height, |px, py| {
        let (x, y) = (f64::from(px) + 0.5, f64::from(py) + 0.5);
        let colour = if in_ellipse(x, y, head_cx - eye_dx, eye_y, eye_r, eye_r)
            || in_ellipse(x, y, head_cx + eye_dx, eye_y, eye_r, eye_r)
        {
            [30.0, 30.0, 40.0]
        } else if in_ellipse(x, y, head_cx, head_cy, head_rx, head_ry) {
            skin
        } else if in_ellipse(
            x,
            y,
            head_cx,
            head_cy - head_ry * 0.1,
            head_rx * hair_grow,
            head_ry * hair_grow,
        ) && y < head_cy + head_ry * hair_drop
        {
            hair
        } else if in_ellipse(
            x,
            y,
            shoulders_cx,
            shoulders_top + shoulders_ry,
            shoulders_rx,
            shoulders_ry,
        ) {
            clothes
        } else if (x - head_cx).abs() <= neck_half && y >= head_cy && y <= shoulders_top + 1.0 {
            skin.map(|c| c * 0.85)
        } else {
            // Gradient position in 0..=1 along the seed's direction.
            let t = (((x / w - 0.5) * gx + (y / h - 0.5) * gy) + 0.71) / 1.42;
            let t = t.clamp(0.0, 1.0);
            [0, 1, 2].map(|i| background_a[i] * (1.0 - t) + background_b[i] * t)
        };
        Rgb(colour.map(|c| c.round().clamp(0.0, 255.0) as u8))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_requested_size() {
        let a = placeholder_portrait(42, 240, 320);
        assert_eq!(a, placeholder_portrait(42, 240, 320));
        assert_ne!(a, placeholder_portrait(43, 240, 320));
        let decoded = image::load_from_memory_with_format(&a, image::ImageFormat::Jpeg).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (240, 320));
    }

    #[test]
    fn sizes_are_clamped() {
        let tiny = image::load_from_memory(&placeholder_portrait(1, 0, 0)).unwrap();
        assert_eq!((tiny.width(), tiny.height()), (1, 1));
    }
}
