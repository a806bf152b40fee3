//! The demo photos: placeholder portraits, the problem cases' bytes, rendered on every core.

use super::{DemoPerson, DemoPhoto, ProblemCase, PORTRAIT_SIZE};

/// The bytes stored for a photo (`None`: no `fotografias` row).
pub fn photo_bytes(photo: DemoPhoto) -> Option<Vec<u8>> {
    let (w, h) = PORTRAIT_SIZE;
    match photo {
        DemoPhoto::Portrait { seed } => Some(crate::photo::placeholder_portrait(seed, w, h)),
        DemoPhoto::Problem { case, seed } => match case {
            ProblemCase::NoPhoto => None,
            ProblemCase::TinyPhoto => Some(crate::photo::placeholder_portrait(seed, 80, 60)),
            ProblemCase::PngPhoto => Some(png_portrait(seed, w, h)),
            ProblemCase::NotAnImage => {
                Some(b"%PDF-1.4\n% SIAD demo: a document stored where a photo belongs\n".to_vec())
            }
        },
    }
}

fn png_portrait(seed: u64, w: u32, h: u32) -> Vec<u8> {
    let jpeg = crate::photo::placeholder_portrait(seed, w, h);
    let mut out = std::io::Cursor::new(Vec::new());
    // Both steps work on in-memory images the process just made; on the impossible failure the
    // person simply gets the JPEG (still a valid photo).
    match image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .and_then(|img| img.write_to(&mut out, image::ImageFormat::Png))
    {
        Ok(()) => out.into_inner(),
        Err(_) => jpeg,
    }
}

/// All photos, rendered on every core (placeholder portraits are CPU work).
pub(super) fn render_photos(people: &[DemoPerson]) -> Vec<Option<Vec<u8>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = people.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = people
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|p| photo_bytes(p.photo))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}
