//! A real SMTP server for the suite: aiosmtpd (PyPI, installed by `infra/smtp.sh`) on a free
//! port, delivering every message into a Maildir the test reads.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// The interpreter of `infra/smtp.sh` (`HARIM_SMTP_PYTHON`), or `None` to skip; panics when
/// `HARIM_REQUIRE_SMTP=1` and it is unset.
pub fn python() -> Option<String> {
    match std::env::var("HARIM_SMTP_PYTHON") {
        Ok(p) => Some(p),
        Err(_) => {
            assert!(
                std::env::var("HARIM_REQUIRE_SMTP").as_deref() != Ok("1"),
                "HARIM_SMTP_PYTHON is unset and HARIM_REQUIRE_SMTP=1 (run infra/smtp.sh)"
            );
            eprintln!("SKIP: HARIM_SMTP_PYTHON unset; run infra/smtp.sh to enable this test");
            None
        }
    }
}

/// aiosmtpd on a free port, delivering into `maildir`; killed when dropped.
#[derive(Debug)]
pub struct Smtp {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Smtp {
    /// Starts the server with `python`, its Maildir under `dir`.
    pub fn start(python: &str, dir: &Path) -> Self {
        let port = crate::free_port();
        let maildir = dir.join("maildir");
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        // Owned from here: dropping the server kills and waits for the process.
        let server = Self {
            child,
            port,
            maildir,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("aiosmtpd did not listen on {port}");
    }

    /// The messages delivered so far (raw RFC 5322 text), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
            .map(|e| {
                let p = e.unwrap().path();
                (std::fs::metadata(&p).unwrap().modified().unwrap(), p)
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, p)| std::fs::read_to_string(p).unwrap())
            .collect()
    }

    /// The decoded body of message `m` (lettre sends UTF-8 text as base64 or quoted-printable).
    pub fn body(m: &str) -> String {
        let (head, body) = m
            .split_once("\n\n")
            .or_else(|| m.split_once("\r\n\r\n"))
            .unwrap_or((m, ""));
        let head = head.to_lowercase();
        if head.contains("content-transfer-encoding: base64") {
            use base64::Engine;
            let joined: String = body.split_whitespace().collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap_or_default(),
            )
            .into_owned()
        } else if head.contains("quoted-printable") {
            let mut out = Vec::new();
            let bytes = body.replace("=\r\n", "").replace("=\n", "");
            let b = bytes.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'='
                    && i + 2 < b.len()
                    && let Ok(v) = u8::from_str_radix(&bytes[i + 1..i + 3], 16)
                {
                    out.push(v);
                    i += 3;
                    continue;
                }
                out.push(b[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).into_owned()
        } else {
            body.to_string()
        }
    }

    /// Waits (up to ten seconds) for message number `n` (counting from 1) and answers the six
    /// digits of the code in its body.
    pub async fn code(&self, n: usize) -> String {
        for _ in 0..100 {
            let all = self.messages();
            if all.len() >= n {
                let body = Self::body(&all[n - 1]);
                if let Some(code) = body
                    .split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                {
                    return code.to_string();
                }
                panic!("message {n} holds no code: {body}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("message {n} never arrived");
    }
}
