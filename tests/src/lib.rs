//! Shared helpers of the end-to-end suite (`tests/tests/*.rs`) and the `loadgen` benchmark tool.

use std::path::PathBuf;

/// `target/<profile>/harim`, found next to the running test executable
/// (`target/<profile>/deps/`). `cargo test --workspace` builds it: the `harim` crate's own CLI
/// tests need it, so it is always fresh when this suite runs.
///
/// # Panics
/// When the binary is missing, with a message saying how to build it.
pub fn harim_bin() -> PathBuf {
    let profile_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_default();
    let bin = profile_dir.join(format!("harim{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the binary)",
        bin.display()
    );
    bin
}
