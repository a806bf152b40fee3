//! Every non-test source file stays at most 400 lines, so a module that outgrows one
//! responsibility is split before it is merged.
//!
//! The rule: each `.rs` file under `src/`, and `build.rs`, counts, except test files — a file
//! named `tests.rs`, one whose name ends in `_tests.rs`, or any file under a directory named
//! `tests` (the integration tests in `tests/` are test files too, so they are not walked).

use std::path::{Path, PathBuf};

const MAX_LINES: usize = 400;

/// Whether `path` (relative to the crate) is test code, which the limit does not cover.
fn is_test_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || path
            .parent()
            .into_iter()
            .flat_map(Path::components)
            .any(|c| c.as_os_str() == "tests")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_non_test_source_file_is_over_400_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("build.rs")];
    rust_files(&root.join("src"), &mut files);
    let mut counted = 0;
    let mut too_long = Vec::new();
    for file in files {
        let relative = file.strip_prefix(root).unwrap().to_path_buf();
        if is_test_file(&relative) {
            continue;
        }
        counted += 1;
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        if lines > MAX_LINES {
            too_long.push(format!("{} has {lines} lines", relative.display()));
        }
    }
    assert!(counted > 100, "only {counted} source files found");
    assert!(
        too_long.is_empty(),
        "non-test .rs files over {MAX_LINES} lines (split them by responsibility): {too_long:#?}"
    );
}

#[test]
fn only_test_files_are_exempt() {
    for test in [
        "src/photo/tests.rs",
        "src/attendance/rules_tests.rs",
        "src/workers/poller/tests/fixtures.rs",
        "tests/common/app.rs",
    ] {
        assert!(is_test_file(Path::new(test)), "{test}");
    }
    for code in [
        "src/photo/mod.rs",
        "src/http/contract.rs",
        "src/attendance/tests_support.rs",
        "src/latest.rs",
        "build.rs",
    ] {
        assert!(!is_test_file(Path::new(code)), "{code}");
    }
}
