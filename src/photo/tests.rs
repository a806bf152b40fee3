//! Behaviour of the photo pipeline. Every image is generated here.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

/// Deterministic xorshift noise source for test images.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn byte(&mut self) -> u8 {
        (self.next() >> 56) as u8
    }
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    encode_jpeg(image, quality).unwrap()
}

/// A photo-like scene: smooth gradients, an off-centre disc and a bar (asymmetric on purpose),
/// plus pixel noise of ±`noise`.
fn scene(width: u32, height: u32, noise: u8, seed: u64) -> RgbImage {
    let mut rng = Noise(seed | 1);
    let (w, h) = (width as f32, height as f32);
    RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / w, y as f32 / h);
        let mut c = [
            60.0 + 150.0 * fx,
            80.0 + 120.0 * fy,
            200.0 - 120.0 * fx * fy,
        ];
        let (dx, dy) = (fx - 0.32, fy - 0.38);
        if dx * dx + dy * dy < 0.04 {
            c = [230.0, 190.0, 150.0];
        }
        if fx > 0.7 && fy > 0.55 {
            c = [30.0, 40.0, 90.0];
        }
        let n = |v: f32, rng: &mut Noise| {
            let jitter = if noise == 0 {
                0.0
            } else {
                (rng.byte() % (2 * noise)) as f32 - noise as f32
            };
            (v + jitter).clamp(0.0, 255.0) as u8
        };
        Rgb([n(c[0], &mut rng), n(c[1], &mut rng), n(c[2], &mut rng)])
    })
}

fn pure_noise(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut rng = Noise(seed | 1);
    RgbImage::from_fn(width, height, |_, _| {
        Rgb([rng.byte(), rng.byte(), rng.byte()])
    })
}

fn defaults() -> PhotoLimits {
    PhotoLimits::default()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFF_u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A syntactically valid PNG whose IHDR claims `width`×`height` (the pixel data is 1×1's).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = encode(
        &DynamicImage::ImageRgb8(RgbImage::new(1, 1)),
        ImageFormat::Png,
    );
    // Signature (8) + IHDR length (4) + "IHDR" (4) + width, height at 16..24; CRC at 29..33.
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    png
}

/// Index of the first `FF marker` in a JPEG built by our encoder (no entropy data before it).
fn find_marker(jpeg: &[u8], marker: u8) -> usize {
    jpeg.windows(2).position(|w| w == [0xFF, marker]).unwrap()
}

/// `jpeg` with an APP1 Exif segment (big-endian TIFF, one IFD0 entry: Orientation) after SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"MM\0\x2A"); // big-endian TIFF header
    tiff.extend_from_slice(&8_u32.to_be_bytes()); // IFD0 right after the header
    tiff.extend_from_slice(&1_u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112_u16.to_be_bytes()); // tag: Orientation
    tiff.extend_from_slice(&3_u16.to_be_bytes()); // type: SHORT
    tiff.extend_from_slice(&1_u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padding
    tiff.extend_from_slice(&0_u32.to_be_bytes()); // no next IFD
    let mut segment = vec![0xFF, 0xE1];
    let length = u16::try_from(2 + 6 + tiff.len()).unwrap();
    segment.extend_from_slice(&length.to_be_bytes());
    segment.extend_from_slice(b"Exif\0\0");
    segment.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn assert_is_jpeg_of(bytes: &[u8], width: u32, height: u32) {
    assert_eq!(&bytes[..3], &[0xFF, 0xD8, 0xFF]);
    let decoded = image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (width, height));
}

#[test]
fn jpeg_png_and_bmp_are_accepted_and_small_photos_are_not_upscaled() {
    let image = DynamicImage::ImageRgb8(scene(400, 300, 4, 1));
    for (format, name) in [
        (ImageFormat::Jpeg, "jpeg"),
        (ImageFormat::Png, "png"),
        (ImageFormat::Bmp, "bmp"),
    ] {
        let photo = normalise(&encode(&image, format), &defaults()).unwrap();
        assert_eq!(photo.source_format, name);
        assert_eq!((photo.source_width, photo.source_height), (400, 300));
        assert_eq!((photo.width, photo.height), (400, 300), "{name}");
        assert_eq!(photo.quality, 90);
        assert!(photo.jpeg.len() <= defaults().max_output_bytes);
        assert_is_jpeg_of(&photo.jpeg, 400, 300);
    }
}

#[test]
fn gif_is_refused_as_unsupported_format_gif() {
    // A complete 1×1 GIF89a.
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00\
        !\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let error = normalise(gif, &defaults()).unwrap_err();
    assert!(
        matches!(&error, PhotoError::UnsupportedFormat { detected } if detected == "gif"),
        "{error:?}"
    );
    assert_eq!(error.code(), "unsupported_format");
    assert_eq!(
        error.to_string(),
        "photo format is gif; only JPEG, PNG and BMP are accepted"
    );
}

#[test]
fn random_bytes_are_refused() {
    let mut rng = Noise(0xDEAD_BEEF);
    let random: Vec<u8> = (0..4096).map(|_| rng.byte()).collect();
    let error = normalise(&random, &defaults()).unwrap_err();
    assert!(
        matches!(
            error,
            PhotoError::UnsupportedFormat { .. } | PhotoError::Undecodable { .. }
        ),
        "{error:?}"
    );
    // Random bytes behind each accepted magic number must fail to decode, not panic.
    for magic in [
        &b"\xFF\xD8\xFF"[..],
        b"\x89PNG\r\n\x1a\n",
        b"BM\0\0\0\0\0\0\0\0\0\0\0\0\x28",
    ] {
        let mut bytes = magic.to_vec();
        bytes.extend_from_slice(&random);
        let error = normalise(&bytes, &defaults()).unwrap_err();
        assert!(
            matches!(
                error,
                PhotoError::Undecodable { .. } | PhotoError::TooManyPixels { .. }
            ),
            "{error:?}"
        );
    }
}

#[test]
fn truncated_files_are_undecodable() {
    let image = scene(400, 300, 8, 2);
    let full = jpeg(&image, 90);
    let error = normalise(&full[..full.len() / 2], &defaults()).unwrap_err();
    assert!(matches!(error, PhotoError::Undecodable { .. }), "{error:?}");
    assert_eq!(error.code(), "undecodable");
    // Cut right before the end-of-image marker: the scan is whole but the file is not.
    let error = normalise(&full[..full.len() - 2], &defaults()).unwrap_err();
    assert!(matches!(error, PhotoError::Undecodable { .. }), "{error:?}");

    let png = encode(&DynamicImage::ImageRgb8(image), ImageFormat::Png);
    let error = normalise(&png[..png.len() / 2], &defaults()).unwrap_err();
    assert!(matches!(error, PhotoError::Undecodable { .. }), "{error:?}");
}

#[test]
fn too_small_photo_names_its_size_and_the_minimum() {
    let png = encode(
        &DynamicImage::ImageRgb8(scene(80, 60, 0, 3)),
        ImageFormat::Png,
    );
    let error = normalise(&png, &defaults()).unwrap_err();
    assert!(matches!(
        error,
        PhotoError::TooSmall {
            width: 80,
            height: 60,
            ..
        }
    ));
    assert_eq!(error.code(), "too_small");
    assert_eq!(
        error.to_string(),
        "photo is 80×60 px; at least 200×200 is needed"
    );
    // The size is judged per side: 300×150 is too short.
    let png = encode(
        &DynamicImage::ImageRgb8(scene(300, 150, 0, 3)),
        ImageFormat::Png,
    );
    let error = normalise(&png, &defaults()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "photo is 300×150 px; at least 200×200 is needed"
    );
}

#[test]
fn oversized_photo_is_downscaled_under_the_budget_with_its_aspect() {
    let source = scene(3000, 4000, 24, 4);
    let bytes = jpeg(&source, 85);
    assert!(
        bytes.len() <= defaults().max_input_bytes,
        "input {} bytes",
        bytes.len()
    );
    let started = Instant::now();
    let photo = normalise(&bytes, &defaults()).unwrap();
    eprintln!(
        "oversized 3000×4000 noisy JPEG ({} bytes in) → {}×{} q{} {} bytes in {:?}",
        bytes.len(),
        photo.width,
        photo.height,
        photo.quality,
        photo.jpeg.len(),
        started.elapsed()
    );
    assert_eq!((photo.source_width, photo.source_height), (3000, 4000));
    assert!(photo.jpeg.len() <= 200 * 1024);
    assert_eq!(photo.width.max(photo.height), 600);
    assert_eq!((photo.width, photo.height), (450, 600));
    assert_is_jpeg_of(&photo.jpeg, 450, 600);
}

#[test]
fn tight_budget_lowers_quality_then_size_but_not_below_the_minimum() {
    let bytes = encode(
        &DynamicImage::ImageRgb8(pure_noise(600, 450, 5)),
        ImageFormat::Png,
    );
    let at_default = normalise(&bytes, &defaults()).unwrap();
    eprintln!(
        "600×450 pure noise, 200 KiB budget → {}×{} q{} {} bytes",
        at_default.width,
        at_default.height,
        at_default.quality,
        at_default.jpeg.len()
    );
    assert!(at_default.jpeg.len() <= 200 * 1024);
    assert!(
        at_default.quality < 90,
        "pure noise cannot fit at quality 90"
    );

    let limits = PhotoLimits {
        max_output_bytes: 40 * 1024,
        ..defaults()
    };
    let photo = normalise(&bytes, &limits).unwrap();
    eprintln!(
        "600×450 pure noise, 40 KiB budget → {}×{} q{} {} bytes",
        photo.width,
        photo.height,
        photo.quality,
        photo.jpeg.len()
    );
    assert!(photo.jpeg.len() <= 40 * 1024);
    assert!(photo.width < 600, "had to shrink: {photo:?}");
    assert!(photo.width >= 200 && photo.height >= 200, "{photo:?}");
    let aspect = f64::from(photo.width) / f64::from(photo.height);
    assert!((aspect - 600.0 / 450.0).abs() < 0.02, "{photo:?}");
    assert_is_jpeg_of(&photo.jpeg, photo.width, photo.height);
}

#[test]
fn impossible_budget_is_cannot_fit_budget() {
    let bytes = encode(
        &DynamicImage::ImageRgb8(pure_noise(400, 400, 6)),
        ImageFormat::Png,
    );
    let limits = PhotoLimits {
        max_output_bytes: 2_000,
        ..defaults()
    };
    let error = normalise(&bytes, &limits).unwrap_err();
    assert!(
        matches!(error, PhotoError::CannotFitBudget { max: 2_000 }),
        "{error:?}"
    );
    assert_eq!(error.code(), "cannot_fit_budget");
}

#[test]
fn long_narrow_photo_is_not_downscaled_below_the_minimum() {
    let bytes = jpeg(&scene(2000, 300, 2, 7), 90);
    let photo = normalise(&bytes, &defaults()).unwrap();
    assert_eq!(photo.height, 200, "{photo:?}");
    assert!((1330..=1336).contains(&photo.width), "{photo:?}");
}

#[test]
fn huge_declared_dimensions_are_refused_before_decoding() {
    let started = Instant::now();
    let error = normalise(&png_claiming(100_000, 100_000), &defaults()).unwrap_err();
    assert!(
        matches!(
            error,
            PhotoError::TooManyPixels {
                width: 100_000,
                height: 100_000,
                max: 8000
            }
        ),
        "{error:?}"
    );
    assert_eq!(error.code(), "too_many_pixels");
    assert_eq!(
        error.to_string(),
        "photo is 100000×100000 px; at most 8000 px per side is accepted"
    );

    // A JPEG whose frame header claims 60000×60000.
    let mut bytes = jpeg(&scene(64, 64, 0, 8), 90);
    let sof = find_marker(&bytes, 0xC0);
    bytes[sof + 5..sof + 7].copy_from_slice(&60_000_u16.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&60_000_u16.to_be_bytes());
    let error = normalise(&bytes, &defaults()).unwrap_err();
    assert!(
        matches!(
            error,
            PhotoError::TooManyPixels {
                width: 60_000,
                height: 60_000,
                ..
            }
        ),
        "{error:?}"
    );

    // A BMP whose header claims 9000×9000 (one past the limit on each side).
    let mut bytes = encode(
        &DynamicImage::ImageRgb8(RgbImage::new(4, 4)),
        ImageFormat::Bmp,
    );
    bytes[18..22].copy_from_slice(&9000_i32.to_le_bytes());
    bytes[22..26].copy_from_slice(&9000_i32.to_le_bytes());
    let error = normalise(&bytes, &defaults()).unwrap_err();
    assert!(
        matches!(
            error,
            PhotoError::TooManyPixels { .. } | PhotoError::Undecodable { .. }
        ),
        "{error:?}"
    );

    // The hash path uses the same limits.
    assert!(matches!(
        hash_image(&png_claiming(100_000, 100_000), &defaults()),
        Err(PhotoError::TooManyPixels { .. })
    ));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn empty_input_is_refused() {
    let error = normalise(&[], &defaults()).unwrap_err();
    assert!(matches!(error, PhotoError::Empty));
    assert_eq!(error.code(), "empty");
    assert!(matches!(
        hash_image(&[], &defaults()),
        Err(PhotoError::Empty)
    ));
}

#[test]
fn max_input_bytes_is_enforced_before_decoding() {
    let bytes = jpeg(&scene(400, 300, 8, 9), 90);
    let limits = PhotoLimits {
        max_input_bytes: bytes.len() - 1,
        ..defaults()
    };
    let error = normalise(&bytes, &limits).unwrap_err();
    assert!(
        matches!(error, PhotoError::TooLarge { bytes: b, max } if b == bytes.len() && max == bytes.len() - 1),
        "{error:?}"
    );
    assert_eq!(error.code(), "too_large");
    let limits = PhotoLimits {
        max_input_bytes: bytes.len(),
        ..defaults()
    };
    assert!(normalise(&bytes, &limits).is_ok());
}

#[test]
fn exif_orientation_6_comes_out_upright() {
    // Stored sideways: 300×200, red on the left, blue on the right. Orientation 6 means
    // "rotate 90° clockwise to display", so upright it is 200×300 with red on top.
    let stored = RgbImage::from_fn(300, 200, |x, _| {
        if x < 150 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let plain = jpeg(&stored, 90);
    let unrotated = normalise(&plain, &defaults()).unwrap();
    assert_eq!((unrotated.width, unrotated.height), (300, 200));

    let rotated = with_exif_orientation(&plain, 6);
    let photo = normalise(&rotated, &defaults()).unwrap();
    assert_eq!((photo.source_width, photo.source_height), (200, 300));
    assert_eq!((photo.width, photo.height), (200, 300));
    let upright = image::load_from_memory(&photo.jpeg).unwrap().into_rgb8();
    let top = upright.get_pixel(100, 40).0;
    let bottom = upright.get_pixel(100, 260).0;
    assert!(top[0] > 150 && top[2] < 100, "top should be red: {top:?}");
    assert!(
        bottom[2] > 150 && bottom[0] < 100,
        "bottom should be blue: {bottom:?}"
    );

    // The minimum size is judged upright: 250×190 stored, 190×250 upright, still too narrow.
    let narrow = with_exif_orientation(&jpeg(&scene(250, 190, 0, 10), 90), 6);
    let error = normalise(&narrow, &defaults()).unwrap_err();
    assert_eq!(
        error.to_string(),
        "photo is 190×250 px; at least 200×200 is needed"
    );
}

#[test]
fn transparency_is_composited_onto_white() {
    let image = RgbaImage::from_fn(300, 300, |x, _| {
        if x < 150 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 0, 255])
        }
    });
    let png = encode(&DynamicImage::ImageRgba8(image), ImageFormat::Png);
    let photo = normalise(&png, &defaults()).unwrap();
    let out = image::load_from_memory(&photo.jpeg).unwrap().into_rgb8();
    let left = out.get_pixel(40, 150).0;
    let right = out.get_pixel(260, 150).0;
    assert!(
        left.iter().all(|&c| c > 240),
        "transparent → white: {left:?}"
    );
    assert!(
        right.iter().all(|&c| c < 20),
        "opaque black stays black: {right:?}"
    );
}

#[test]
fn error_codes_are_stable_snake_case() {
    let all = [
        (PhotoError::Empty, "empty"),
        (PhotoError::TooLarge { bytes: 2, max: 1 }, "too_large"),
        (
            PhotoError::UnsupportedFormat {
                detected: "gif".into(),
            },
            "unsupported_format",
        ),
        (
            PhotoError::Undecodable { reason: "x".into() },
            "undecodable",
        ),
        (
            PhotoError::TooSmall {
                width: 1,
                height: 1,
                min_width: 2,
                min_height: 2,
            },
            "too_small",
        ),
        (
            PhotoError::TooManyPixels {
                width: 9,
                height: 9,
                max: 8,
            },
            "too_many_pixels",
        ),
        (PhotoError::CannotFitBudget { max: 1 }, "cannot_fit_budget"),
    ];
    for (error, code) in all {
        assert_eq!(error.code(), code);
    }
}

#[test]
fn limits_default_and_deserialise_partially() {
    let limits: PhotoLimits = serde_json::from_str(r#"{"target_long_side": 480}"#).unwrap();
    assert_eq!(
        limits,
        PhotoLimits {
            target_long_side: 480,
            ..PhotoLimits::default()
        }
    );
    let defaults = PhotoLimits::default();
    assert_eq!(defaults.max_input_bytes, 10 * 1024 * 1024);
    assert_eq!(defaults.max_dimension, 8000);
    assert_eq!((defaults.min_width, defaults.min_height), (200, 200));
    assert_eq!(defaults.target_long_side, 600);
    assert_eq!(defaults.max_output_bytes, 200 * 1024);
}

#[test]
fn debug_does_not_print_the_photo_bytes() {
    let photo = normalise(&placeholder_portrait(1, 300, 400), &defaults()).unwrap();
    let text = format!("{photo:?}");
    assert!(text.contains("jpeg_bytes"));
    assert!(text.len() < 300, "{text}");
}

// --- perceptual hash -------------------------------------------------------------------------

#[test]
fn same_photo_reencoded_and_resized_scores_at_least_90() {
    for (name, source) in [
        ("scene", scene(900, 1200, 6, 11)),
        (
            "placeholder",
            image::load_from_memory(&placeholder_portrait(11, 900, 1200))
                .unwrap()
                .into_rgb8(),
        ),
    ] {
        let stored = normalise(&jpeg(&source, 95), &defaults()).unwrap();
        // What HikCentral might hand back: smaller and harder compressed.
        let smaller =
            image::imageops::resize(&source, 300, 400, image::imageops::FilterType::Triangle);
        let returned = jpeg(&smaller, 40);
        let score = similarity(stored.hash, hash_image(&returned, &defaults()).unwrap());
        eprintln!("{name}: same photo q40 300×400 vs normalised → similarity {score}");
        assert!(score >= 90, "{name}: {score}");
        // Hashing our own output gives (nearly) the stored hash.
        let again = similarity(stored.hash, hash_image(&stored.jpeg, &defaults()).unwrap());
        assert!(again >= 95, "{name}: {again}");
    }
}

#[test]
fn different_placeholder_portraits_score_clearly_lower() {
    let hashes: Vec<PhotoHash> = (1..=12)
        .map(|seed| hash_image(&placeholder_portrait(seed, 480, 600), &defaults()).unwrap())
        .collect();
    let mut scores = Vec::new();
    for (i, a) in hashes.iter().enumerate() {
        for b in &hashes[i + 1..] {
            scores.push(u32::from(similarity(*a, *b)));
        }
    }
    let worst = scores.iter().copied().max().unwrap();
    let mean = scores.iter().sum::<u32>() / u32::try_from(scores.len()).unwrap();
    eprintln!("different placeholders: highest similarity {worst}, mean {mean}");
    // Never mistaken for the same photo (≥ 90), and usually far from it.
    assert!(worst < 90, "{worst}");
    assert!(mean <= 70, "{mean}");
}

#[test]
fn mirrored_or_rotated_photo_is_not_the_same() {
    let source = scene(600, 600, 0, 12);
    let hash = hash_image(&jpeg(&source, 90), &defaults()).unwrap();
    let variants = [
        ("mirrored", image::imageops::flip_horizontal(&source)),
        ("rotated 90°", image::imageops::rotate90(&source)),
        ("rotated 180°", image::imageops::rotate180(&source)),
    ];
    for (name, variant) in variants {
        let other = hash_image(&jpeg(&variant, 90), &defaults()).unwrap();
        let score = similarity(hash, other);
        eprintln!("{name}: similarity {score}");
        assert_ne!(hash, other, "{name}");
        assert!(score < 90, "{name}: {score}");
    }
}

// --- placeholder portraits -------------------------------------------------------------------

#[test]
fn placeholder_portraits_are_deterministic_and_pass_normalisation() {
    for seed in [0, 1, 2, u64::MAX] {
        let bytes = placeholder_portrait(seed, 480, 600);
        assert_eq!(bytes, placeholder_portrait(seed, 480, 600));
        let photo = normalise(&bytes, &defaults()).unwrap();
        assert_eq!(photo.source_format, "jpeg");
        assert_eq!((photo.width, photo.height), (480, 600));
        assert!(photo.width >= 200 && photo.height >= 200);
    }
}

#[tokio::test]
async fn normalise_off_runtime_runs_on_the_blocking_pool() {
    let bytes = placeholder_portrait(5, 800, 1000);
    let photo = normalise_off_runtime(bytes.clone(), PhotoLimits::default())
        .await
        .unwrap();
    assert_eq!((photo.width, photo.height), (480, 600));
    assert_eq!(photo, normalise(&bytes, &PhotoLimits::default()).unwrap());
    let error = normalise_off_runtime(Vec::new(), PhotoLimits::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "empty");
}

/// What the works of [`a_photo_pool_never_runs_more_works_than_its_size`] saw.
#[derive(Default)]
struct Seen {
    started: usize,
    running: usize,
    most_running: usize,
    open: bool,
}

#[tokio::test]
async fn a_photo_pool_never_runs_more_works_than_its_size() {
    const WORKS: usize = 3;
    let pool = std::sync::Arc::new(PhotoPool::new(2));
    let seen = std::sync::Arc::new((
        std::sync::Mutex::new(Seen::default()),
        std::sync::Condvar::new(),
    ));
    // Each work waits until the gate opens or every work has started. Without a limit all
    // three start and release each other, so three run at once; with a pool of two, two start
    // and wait for the gate. The gate opens once two are running and a third has had 200 ms
    // to start: an absence cannot be signalled, so this one wait is bounded in time instead.
    let tasks: Vec<_> = (0..WORKS)
        .map(|_| {
            let (pool, seen) = (pool.clone(), seen.clone());
            tokio::spawn(async move {
                pool.run(move || {
                    let (lock, changed) = &*seen;
                    let mut s = lock.lock().unwrap_or_else(|p| p.into_inner());
                    s.started += 1;
                    s.running += 1;
                    s.most_running = s.most_running.max(s.running);
                    changed.notify_all();
                    while !(s.open || s.started == WORKS) {
                        s = changed.wait(s).unwrap_or_else(|p| p.into_inner());
                    }
                    s.running -= 1;
                })
                .await
            })
        })
        .collect();
    let waiting = seen.clone();
    tokio::task::spawn_blocking(move || {
        let (lock, changed) = &*waiting;
        let mut s = lock.lock().unwrap_or_else(|p| p.into_inner());
        while s.started < 2 {
            s = changed.wait(s).unwrap_or_else(|p| p.into_inner());
        }
        let (mut s, _) = changed
            .wait_timeout_while(s, Duration::from_millis(200), |s| s.started < WORKS)
            .unwrap_or_else(|p| p.into_inner());
        s.open = true;
        changed.notify_all();
    })
    .await
    .unwrap();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Some(()));
    }
    let s = seen.0.lock().unwrap_or_else(|p| p.into_inner());
    assert_eq!((s.started, s.most_running), (WORKS, 2));
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_free_its_place_while_the_photo_is_worked_on() {
    let pool = std::sync::Arc::new(PhotoPool::new(1));
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let caller = {
        let pool = pool.clone();
        tokio::spawn(async move {
            pool.run(move || {
                let _ = started_tx.send(());
                let _ = release_rx.recv();
            })
            .await
        })
    };
    tokio::task::spawn_blocking(move || started_rx.recv())
        .await
        .unwrap()
        .unwrap();
    // The request is gone (client disconnected, request timeout); the decoding is not.
    caller.abort();
    assert!(caller.await.unwrap_err().is_cancelled());
    assert_eq!(
        pool.permits.available_permits(),
        0,
        "the work holds its place"
    );
    release_tx.send(()).unwrap();
    // The place comes back when the work ends.
    let _place = pool.permits.acquire().await.unwrap();
}
