//! One process per SQLite file. SQLite itself would let a second `hikbridge serve` open the same
//! file, and two processes would then each run the decider and delivery with their own pace.
//! `serve` therefore holds an exclusive lock on `<file>.lock` for its lifetime, and a second
//! process is refused with a clear error. (Several replicas need PostgreSQL.)

use super::url::{classify, Target};
use super::{Backend, StoreError};
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;

/// Held while the process runs; dropping it releases the lock (so does the process ending,
/// however it ends: the operating system releases the lock with the file).
#[derive(Debug)]
pub struct ProcessLock {
    _file: File,
    pub path: PathBuf,
}

/// Lock the SQLite file `url` names for this process. `None` for PostgreSQL and in-memory
/// databases, which need no lock.
pub fn lock_for_process(url: &str) -> Result<Option<ProcessLock>, StoreError> {
    let Target::SqliteFile { path, .. } = classify(url)? else {
        return Ok(None);
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    let mut lock_path = path.clone().into_os_string();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    if let Some(dir) = lock_path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| StoreError::Connect {
            backend: Backend::Sqlite,
            reason: format!(
                "cannot open the lock file {} ({e}); check that the directory is writable",
                lock_path.display()
            ),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(Some(ProcessLock {
            _file: file,
            path: lock_path,
        })),
        Err(TryLockError::WouldBlock) => Err(StoreError::Connect {
            backend: Backend::Sqlite,
            reason: format!(
                "another hikbridge process is already using {} (it holds {}). A SQLite store \
                 serves one process: stop the other one, or use PostgreSQL (store.url = \
                 postgres://…) to run several replicas",
                path.display(),
                lock_path.display()
            ),
        }),
        Err(TryLockError::Error(e)) => Err(StoreError::Connect {
            backend: Backend::Sqlite,
            reason: format!("cannot lock {} ({e})", lock_path.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hb.db").display());
        let first = lock_for_process(&url).unwrap();
        assert!(first.is_some());
        let err = lock_for_process(&url).unwrap_err().to_string();
        assert!(err.contains("another hikbridge process"), "{err}");
        assert!(err.contains("PostgreSQL"), "{err}");
        drop(first);
        assert!(
            lock_for_process(&url).unwrap().is_some(),
            "free again once released"
        );
        assert!(lock_for_process("sqlite::memory:").unwrap().is_none());
        assert!(lock_for_process("postgres://u@h/db").unwrap().is_none());
    }
}
