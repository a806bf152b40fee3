//! Photo work off the async runtime: a [`PhotoPool`] on tokio's blocking pool with one place
//! per core for the service, and the async forms of [`normalise`] and [`hash_image`].

use super::{hash_image, normalise, NormalisedPhoto, PhotoError, PhotoHash, PhotoLimits};

/// Photo work (decode, resize, encode, hash) on tokio's blocking pool, at most `size` at once.
/// Decoding a large photo holds tens of MB, so a bulk job or a burst of registrations queues
/// here instead of filling tokio's blocking pool (512 threads) and memory.
pub struct PhotoPool {
    /// Free places (`pub(super)` for the photo tests, which look at them).
    pub(super) permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl PhotoPool {
    pub fn new(size: usize) -> Self {
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(size.max(1))),
        }
    }

    /// Run `work` once a place is free. `None` when the task panicked or was cancelled. The
    /// place is held by the work itself: a caller that gives up (a client gone, a request
    /// timeout) does not free it while the photo is still being decoded.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        // The semaphore is never closed.
        let permit = self.permits.clone().acquire_owned().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let _place = permit;
            work()
        })
        .await
        .ok()
    }
}

/// The service's photo pool: one photo per core.
static PHOTO_POOL: std::sync::LazyLock<PhotoPool> = std::sync::LazyLock::new(|| {
    PhotoPool::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Run `work` in the service's [`PhotoPool`], at most one photo per core at a time. `None`
/// when the task panicked or was cancelled.
pub async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    PHOTO_POOL.run(work).await
}

/// [`normalise`] off the async runtime ([`off_runtime`]). A panic or cancellation of the
/// blocking task is reported as [`PhotoError::Undecodable`].
pub async fn normalise_off_runtime(
    bytes: Vec<u8>,
    limits: PhotoLimits,
) -> Result<NormalisedPhoto, PhotoError> {
    off_runtime(move || normalise(&bytes, &limits))
        .await
        .unwrap_or_else(|| {
            Err(PhotoError::Undecodable {
                reason: "photo processing task failed".into(),
            })
        })
}

/// [`hash_image`] off the async runtime; `None` when the photo cannot be hashed.
pub async fn hash_off_runtime(bytes: Vec<u8>, limits: PhotoLimits) -> Option<PhotoHash> {
    off_runtime(move || hash_image(&bytes, &limits))
        .await
        .and_then(Result::ok)
}
