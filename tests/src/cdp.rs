//! A small driver of headless Chromium over the DevTools protocol (a WebSocket): navigate, run
//! a script in the page (fill a field, submit a form), wait for the next page, take a
//! screenshot, let a download land in a directory. Enough for the suite's walks through harim's
//! server-rendered pages, without a Node toolchain.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test support: fail loudly

use std::{
    io::BufRead,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

/// Where Debian's package puts the browser.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Whether the browser is here; panics when it is not and `HARIM_REQUIRE_CHROMIUM=1`.
pub fn available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var("HARIM_REQUIRE_CHROMIUM").as_deref() != Ok("1"),
        "{CHROMIUM} is missing and HARIM_REQUIRE_CHROMIUM=1 (run infra/chromium.sh)"
    );
    eprintln!("SKIP: {CHROMIUM} not found; run infra/chromium.sh to enable this test");
    false
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One browser with one page.
pub struct Browser {
    child: Child,
    ws: Socket,
    session: String,
    next: u64,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("session", &self.session)
            .finish()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    /// Starts the browser (profile under `profile`, downloads into `downloads`, a window of
    /// `width`×`height`) and opens a blank page.
    pub async fn start(profile: &Path, downloads: &Path, width: u32, height: u32) -> Self {
        let mut child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        let stderr = child.stderr.take().unwrap();
        let url = std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| {
                l.split_once("DevTools listening on ")
                    .map(|(_, u)| u.trim().to_string())
            })
            .expect("chromium names its DevTools address");
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .expect("DevTools connects");
        let mut b = Self {
            child,
            ws,
            session: String::new(),
            next: 0,
        };
        let target = b
            .browser("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let attached = b
            .browser(
                "Target.attachToTarget",
                json!({"targetId": target["targetId"], "flatten": true}),
            )
            .await;
        b.session = attached["sessionId"].as_str().unwrap().to_string();
        b.browser(
            "Browser.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": downloads.display().to_string(), "eventsEnabled": true}),
        )
        .await;
        b.page("Page.enable", json!({})).await;
        b
    }

    async fn send(&mut self, session: Option<String>, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::Text(msg.to_string().into()))
            .await
            .unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("{method} got no answer"))
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["id"] == id {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
            }
        }
    }

    async fn browser(&mut self, method: &str, params: Value) -> Value {
        self.send(None, method, params).await
    }

    async fn page(&mut self, method: &str, params: Value) -> Value {
        let s = self.session.clone();
        self.send(Some(s), method, params).await
    }

    /// Waits for the next event named `name` (of the page or the browser); answers its params.
    pub async fn event(&mut self, name: &str) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(20), self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {name} event"))
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["method"] == name {
                    return v["params"].clone();
                }
            }
        }
    }

    /// Opens `url` and waits for its load event.
    pub async fn goto(&mut self, url: &str) {
        self.page("Page.navigate", json!({"url": url})).await;
        self.event("Page.loadEventFired").await;
    }

    /// Runs `expression` in the page; answers its value (JSON-able).
    pub async fn eval(&mut self, expression: &str) -> Value {
        let r = self
            .page(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true}),
            )
            .await;
        r["result"]["value"].clone()
    }

    /// Runs `expression` (which submits a form) and waits for the page it leads to.
    pub async fn submit(&mut self, expression: &str) {
        self.eval(expression).await;
        self.event("Page.loadEventFired").await;
    }

    /// The page as a PNG.
    pub async fn screenshot(&mut self) -> Vec<u8> {
        use base64::Engine;
        let r = self
            .page("Page.captureScreenshot", json!({"format": "png"}))
            .await;
        base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap())
            .unwrap()
    }

    /// Runs `expression` (which starts a download) and waits for it to complete; answers the
    /// downloaded file's name as the browser suggested it.
    pub async fn download(&mut self, expression: &str) -> String {
        self.eval(expression).await;
        let begun = self.event("Browser.downloadWillBegin").await;
        let name = begun["suggestedFilename"].as_str().unwrap().to_string();
        loop {
            let p = self.event("Browser.downloadProgress").await;
            match p["state"].as_str() {
                Some("completed") => return name,
                Some("canceled") => panic!("the download was canceled"),
                _ => {}
            }
        }
    }
}
