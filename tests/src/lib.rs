//! Shared helpers of the end-to-end suite (`tests/tests/*.rs`) and the `loadgen` benchmark tool.

use std::path::PathBuf;

pub mod cdp;
pub mod receiver;
pub mod smtp;

/// A free TCP port on the loopback interface (taken and released: a race with another process
/// is possible but rare, and the test then fails loudly).
///
/// # Panics
/// When no port can be bound.
#[allow(clippy::unwrap_used)] // test support: fail loudly
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

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

/// Reads the first line `harim serve` prints on stdout, `harim listening on <base>`: the base URL.
///
/// # Errors
/// When no line can be read or the line is another one.
pub fn listening_base(stdout: &mut impl std::io::BufRead) -> Result<String, String> {
    let mut line = String::new();
    stdout
        .read_line(&mut line)
        .map_err(|e| format!("no first line: {e}"))?;
    line.trim()
        .strip_prefix("harim listening on ")
        .map(str::to_string)
        .ok_or_else(|| format!("unexpected first line {line:?}"))
}

/// A running `harim serve` with its own temporary data directory (the benchmark tools'):
/// killed when dropped, then the directory removed.
#[derive(Debug)]
pub struct ServerInDir {
    pub child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub dir: tempfile::TempDir,
}

impl Drop for ServerInDir {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `harim serve`, killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Runs `cmd` (a [`harim_command`] with its directory and environment set) as `serve` on a
    /// free port and waits for the line that names the port.
    ///
    /// # Panics
    /// When the process cannot start or its first line is not the listening line.
    #[allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly
    pub fn start(mut cmd: std::process::Command) -> Self {
        let mut child = cmd
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("harim serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let base =
            listening_base(&mut std::io::BufReader::new(stdout)).unwrap_or_else(|e| panic!("{e}"));
        Self { child, base }
    }

    /// [`call`] against this server.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        call(&self.base, method, path, token, body).await
    }
}

/// One JSON request: `(status, body)`, the body as JSON or, if it is not JSON, as a string. A
/// [`call_with`] on a new client; it panics as that does.
pub async fn call(
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    call_with(&reqwest::Client::new(), base, method, path, token, body).await
}

/// [`call`] with a given client (its pool and timeout).
///
/// # Panics
/// When the request cannot be sent or its body not read.
#[allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly
pub async fn call_with(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut req = client.request(method, format!("{base}{path}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("the request is sent");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("the body is read");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// The password [`sign_up`] gives every account (an erasure re-enters it).
pub const PASSWORD: &str = "correct horse battery staple";

/// Signs up `email` (password "correct horse battery staple") and signs in: the session token.
/// A [`sign_up_with`] on a new client; it panics as that does.
pub async fn sign_up(base: &str, email: &str) -> String {
    sign_up_with(&reqwest::Client::new(), base, email).await
}

/// [`sign_up`] with a given client.
///
/// # Panics
/// When either step does not succeed.
#[allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly
pub async fn sign_up_with(client: &reqwest::Client, base: &str, email: &str) -> String {
    let creds = serde_json::json!({"email": email, "password": PASSWORD});
    let post = |path| {
        call_with(
            client,
            base,
            reqwest::Method::POST,
            path,
            None,
            Some(creds.clone()),
        )
    };
    let (st, b) = post("/v1/accounts").await;
    assert_eq!(st, 201, "sign-up: {b}");
    let (st, b) = post("/v1/sessions").await;
    assert_eq!(st, 201, "sign-in: {b}");
    b["token"].as_str().expect("a token").to_string()
}

/// `PUT /v1/shops/{shop}/identity` with `identity`: `(status, body)`. A [`call`].
pub async fn put_identity(
    base: &str,
    token: &str,
    shop: &str,
    identity: serde_json::Value,
) -> (u16, serde_json::Value) {
    call(
        base,
        reqwest::Method::PUT,
        &format!("/v1/shops/{shop}/identity"),
        Some(token),
        Some(identity),
    )
    .await
}

/// Uploads `body` (of MIME type `content_type`) as a KYC document of `kind` of `shop`: the
/// response.
///
/// # Panics
/// When the request cannot be sent.
#[allow(clippy::expect_used)] // test support: fail loudly
pub async fn upload_document(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    shop: &str,
    kind: &str,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    client
        .post(format!("{base}/v1/shops/{shop}/kyc/documents?kind={kind}"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("the upload is sent")
}

/// Asserts that a finished `harim` (or `psql`) process succeeded, showing its stderr if not.
///
/// # Panics
/// When it did not.
#[track_caller]
pub fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that a finished process failed and said `reason` on stderr.
///
/// # Panics
/// When it succeeded or did not say it.
#[track_caller]
pub fn assert_failure_saying(out: &std::process::Output, reason: &str) {
    assert!(!out.status.success(), "it succeeded; {reason:?} expected");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(reason), "{stderr}");
}
