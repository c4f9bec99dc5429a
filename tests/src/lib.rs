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

/// The `harim` binary as a command with a clean environment: only `PATH` and `RUST_LOG=log`,
/// so nothing of the developer's shell (a `HARIM_*` variable, AWS credentials) leaks into a test.
pub fn harim_command(log: &str) -> std::process::Command {
    let mut c = std::process::Command::new(harim_bin());
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", log);
    c
}

/// Every file under `dir`, recursively (for the "no plaintext left on disk" searches).
///
/// # Errors
/// When a directory cannot be read.
pub fn files_under(dir: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let e = e?;
            if e.file_type()?.is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    Ok(out)
}
