//! What the deployment files promise, checked without a container runtime:
//! the Dockerfile's build stage copies everything `cargo` needs.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).expect("mkdir");
        for entry in std::fs::read_dir(from).expect("read_dir") {
            let entry = entry.expect("entry");
            if entry.file_name() == "target" || entry.file_name() == "node_modules" {
                continue;
            }
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// Assemble the build context the way the Dockerfile's first stage does
/// (its `COPY` lines, up to the first `FROM` after it), then ask cargo to
/// resolve the workspace from exactly those files, offline and locked.
#[test]
fn the_dockerfile_copies_everything_the_build_needs() {
    let root = repository();
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).expect("Dockerfile");
    let context = std::env::temp_dir().join(format!(
        "tessera-docker-context-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&context).expect("context");
    let mut stages = 0;
    let mut copied = 0;
    for line in dockerfile.lines().map(str::trim) {
        if line.starts_with("FROM ") {
            stages += 1;
            if stages > 1 {
                break;
            }
        }
        let Some(rest) = line.strip_prefix("COPY ") else {
            continue;
        };
        assert!(
            !rest.starts_with("--from"),
            "the build stage copies from the context"
        );
        let parts: Vec<&str> = rest.split_whitespace().collect();
        let (dest, sources) = parts.split_last().expect("COPY SRC… DEST");
        for source in sources {
            let target = if dest.ends_with('/') || *dest == "." || dest.ends_with("./") {
                context.join(Path::new(source).file_name().expect("a named source"))
            } else {
                context.join(dest)
            };
            copy_tree(&root.join(source), &target);
            copied += 1;
        }
    }
    assert!(copied >= 3, "the Dockerfile copies its sources ({copied})");
    // The host's packages only: the others were never downloaded here.
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("the host triple");
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--locked", "--offline", "--format-version", "1"])
        .args(["--filter-platform", &host])
        .current_dir(&context)
        .env("CARGO_TARGET_DIR", context.join("target"))
        .output()
        .expect("cargo metadata");
    let _ = std::fs::remove_dir_all(&context);
    assert!(
        output.status.success(),
        "cargo cannot resolve the workspace from what the Dockerfile copies: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
