//! Which faces changed in SIAD. Each photo has a version (`siad.query_photo_versions`, or the
//! SHA-256 of its bytes); the ledger keeps the version of the photo last sent or compared. A
//! different version means the photo changed: it is decoded and compared with the face sent
//! (perceptual hash); less alike than `lifecycle.face_similarity_below` is a new face, else the
//! new version is remembered and nothing is done. A person registered before versions were kept
//! gets the current version as a baseline (no comparison). At most `lifecycle.max_face_checks`
//! photos are decoded per plan; the rest wait for the next.

use crate::config::LifecycleSettings;
use crate::photo::{self, PhotoHash, PhotoLimits};
use crate::siad::{photo_version, Directory, SiadError};
use crate::store::LedgerEntry;
use futures::StreamExt;
use std::collections::{HashMap, HashSet};

/// Photos read from SIAD at once when it offers no versions.
const CONCURRENT_READS: usize = 4;

/// What the faces stage found.
#[derive(Debug, Default)]
pub struct Faces {
    /// On the roster, in HikCentral: a new face to send.
    pub new_faces: HashSet<String>,
    /// On the roster, not in HikCentral, with a photo in SIAD.
    pub with_photo: HashSet<String>,
    /// Versions to remember (baselines, and photos found alike): `(ci, version)`.
    pub seen: Vec<(String, String)>,
    /// Photos decoded and compared.
    pub compared: u64,
    /// Changed photos left for the next plan (over `max_face_checks`).
    pub deferred: u64,
}

/// Lowercase, without a `0x`: SQL Server's `HASHBYTES` in hex and this service's SHA-256 then
/// compare equal.
fn normal(version: &str) -> String {
    let v = version.trim();
    let v = v
        .strip_prefix("0x")
        .or_else(|| v.strip_prefix("0X"))
        .unwrap_or(v);
    v.to_ascii_lowercase()
}

/// `registered`: on the roster and in HikCentral (faces to check); `candidates`: on the roster,
/// not in HikCentral (photos to find).
pub async fn check(
    dir: &dyn Directory,
    ledger: &HashMap<String, LedgerEntry>,
    registered: &[String],
    candidates: &[String],
    settings: &LifecycleSettings,
    limits: &PhotoLimits,
) -> Result<Faces, SiadError> {
    let mut faces = Faces::default();
    let versions: Option<HashMap<String, String>> = dir.photo_versions().await?.map(|v| {
        v.into_iter()
            .map(|(ci, ver)| (ci.trim().to_owned(), normal(&ver)))
            .collect()
    });
    // Photos to find for registration.
    match &versions {
        Some(v) => faces.with_photo.extend(
            candidates
                .iter()
                .filter(|ci| v.contains_key(ci.as_str()))
                .cloned(),
        ),
        None => {
            let found: Vec<(String, bool)> = futures::stream::iter(candidates.iter().cloned())
                .map(|ci| async move {
                    let has = matches!(dir.photo(&ci).await, Ok(Some(_)));
                    (ci, has)
                })
                .buffer_unordered(CONCURRENT_READS)
                .collect()
                .await;
            faces
                .with_photo
                .extend(found.into_iter().filter(|(_, has)| *has).map(|(ci, _)| ci));
        }
    }
    // Faces to check: those with a face sent.
    let sent: Vec<(&String, &str, Option<String>)> = registered
        .iter()
        .filter_map(|ci| {
            let e = ledger.get(ci)?;
            Some((
                ci,
                e.photo_hash.as_deref()?,
                e.siad_photo_version.as_deref().map(normal),
            ))
        })
        .collect();
    let mut changed: Vec<(&String, &str)> = Vec::new();
    match &versions {
        Some(v) => {
            for (ci, hash, stored) in &sent {
                let Some(now) = v.get(ci.as_str()) else {
                    continue;
                };
                match stored {
                    None => faces.seen.push(((*ci).clone(), now.clone())),
                    Some(s) if s == now => {}
                    Some(_) => changed.push((ci, hash)),
                }
            }
        }
        // Without versions from SIAD every photo is read to compute its own.
        None => changed.extend(sent.iter().map(|(ci, hash, _)| (*ci, *hash))),
    }
    let budget = usize::try_from(settings.max_face_checks).unwrap_or(usize::MAX);
    let threshold = settings.face_similarity_below;
    let from_siad = versions.is_some();
    // Owned items: the futures below borrow nothing from the stream's items.
    let work: Vec<(usize, String, String, Option<String>)> = changed
        .iter()
        .enumerate()
        .map(|(i, (ci, hash))| {
            let stored = ledger
                .get(ci.as_str())
                .and_then(|e| e.siad_photo_version.as_deref().map(normal));
            (i, (*ci).clone(), (*hash).to_owned(), stored)
        })
        .collect();
    let results: Vec<(String, Found)> = futures::stream::iter(work)
        .map(|(i, ci, hash, stored)| {
            let limits = limits.clone();
            async move {
                let Some(bytes) = dir.photo(&ci).await.ok().flatten() else {
                    return (ci, Found::Unchanged);
                };
                let version = photo_version(&bytes);
                if !from_siad {
                    match stored {
                        None => return (ci, Found::Baseline(version)),
                        Some(s) if s == version => return (ci, Found::Unchanged),
                        Some(_) => {}
                    }
                }
                if i >= budget {
                    return (ci, Found::Deferred);
                }
                let held = photo::hash_off_runtime(bytes, limits).await;
                let alike = match (held, hash.parse::<PhotoHash>().ok()) {
                    (Some(a), Some(b)) => photo::similarity(a, b) >= threshold,
                    _ => false,
                };
                let found = if alike {
                    Found::Alike(version)
                } else {
                    Found::NewFace
                };
                (ci, found)
            }
        })
        .buffer_unordered(CONCURRENT_READS)
        .collect()
        .await;
    for (ci, found) in results {
        match found {
            Found::Unchanged => {}
            Found::Baseline(version) => faces.seen.push((ci, version)),
            Found::Alike(version) => {
                faces.compared += 1;
                faces.seen.push((ci, version));
            }
            Found::NewFace => {
                faces.compared += 1;
                faces.new_faces.insert(ci);
            }
            Found::Deferred => faces.deferred += 1,
        }
    }
    Ok(faces)
}

/// What reading one changed photo found.
enum Found {
    /// The same photo after all (or none any more).
    Unchanged,
    /// No version was kept: this one is the baseline.
    Baseline(String),
    /// A new version, but the same face: remember the version.
    Alike(String),
    NewFace,
    /// Over this plan's budget of comparisons.
    Deferred,
}

#[cfg(test)]
mod tests {
    use super::normal;

    #[test]
    fn hex_versions_compare_whatever_their_case_or_prefix() {
        assert_eq!(normal("0xAB12"), normal("ab12"));
        assert_eq!(normal(" AB12 "), "ab12");
    }
}
