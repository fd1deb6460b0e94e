//! The manage page in a real headless Chromium, driven over W3C WebDriver (chromedriver)
//! with the same HTTP client as the rest of the suite.
//!
//! Runs when chromedriver is installed (Debian: chromium, chromium-driver); CI installs
//! them and sets GREENROOM_REQUIRE_BROWSER=1 so that a missing browser fails the run
//! instead of skipping it.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{order_body, producer, spawn_app, weekdays};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
    client: awc::Client,
    profile: std::path::PathBuf,
}

fn chromedriver() -> Option<String> {
    let candidates = [
        std::env::var("CHROMEDRIVER").ok(),
        Some("/usr/bin/chromedriver".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| std::path::Path::new(p).exists())
}

impl Driver {
    async fn start() -> Option<Driver> {
        let Some(binary) = chromedriver() else {
            assert!(
                std::env::var("GREENROOM_REQUIRE_BROWSER").is_err(),
                "GREENROOM_REQUIRE_BROWSER is set but chromedriver is not installed (apt-get install chromium chromium-driver)"
            );
            eprintln!("browser test skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let client = awc::Client::builder()
            .timeout(Duration::from_secs(60))
            .finish();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(mut r) = client.get(format!("{base}/status")).send().await {
                if r.json::<Value>()
                    .await
                    .map(|v| v["value"]["ready"] == true)
                    .unwrap_or(false)
                {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = crate::helpers::temp_dir("chromium");
        let mut driver = Driver {
            child,
            base,
            session: String::new(),
            client,
            profile,
        };
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1100,1500", format!("--user-data-dir={}", driver.profile.display())]
            }
        }}});
        let session = driver.call("POST", "/session", Some(caps)).await;
        driver.session = session["sessionId"]
            .as_str()
            .expect("a session")
            .to_string();
        Some(driver)
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}/session", self.base)
        } else {
            format!("{}/session/{}{}", self.base, self.session, path)
        };
        let req = self.client.request(method.parse().unwrap(), url);
        let mut res = match body {
            Some(b) => req.send_json(&b).await,
            None => req.send().await,
        }
        .expect("chromedriver answers");
        let v: Value = res
            .json()
            .limit(20 * 1024 * 1024)
            .await
            .expect("json from chromedriver");
        assert!(
            v["value"]["error"].is_null(),
            "{method} {path}: {}",
            v["value"]
        );
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url}))).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/clear"), Some(json!({})))
            .await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), Some(json!({})))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Wait until the element's text contains `needle`.
    async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let t = self.text(css).await;
            if t.contains(needle) {
                return t;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never showed {needle:?}; it shows {t:?}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", None).await;
        let bytes = decode_base64(png.as_str().unwrap());
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut buf, mut bits) = (Vec::new(), 0u32, 0);
    for c in s.bytes() {
        let Some(v) = A.iter().position(|a| *a == c) else {
            continue;
        };
        buf = (buf << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

#[actix_web::test]
async fn a_customer_finds_moves_and_cancels_a_booking_in_the_browser() {
    let Some(browser) = Driver::start().await else {
        return;
    };
    let app = spawn_app().await;
    app.add_producer(producer(
        "Lea Martin",
        "Europe/Paris",
        &["en", "fr"],
        weekdays("09:00", "17:00"),
    ))
    .await;
    let first = app
        .order(&order_body("2027-02-10T10:00", "Europe/Paris", 60))
        .await;
    let number = first.body["reservation_number"]
        .as_str()
        .unwrap()
        .to_string();
    // Another booking takes Thursday 10:00, so moving there offers alternatives.
    app.order(&order_body("2027-02-11T10:00", "Europe/Paris", 60))
        .await;

    // The link from the e-mail carries the number.
    browser
        .goto(&format!("{}/manage?number={number}", app.address))
        .await;
    assert_eq!(
        browser
            .script("return document.getElementById('number').value")
            .await,
        json!(number)
    );
    browser.type_into("#email", "ANA.SOUZA@example.com").await;
    browser.click("#find-button").await;
    let when = browser
        .wait_text("#b-when", "Wednesday 10 February 2027")
        .await;
    assert!(when.contains("10:00–11:00 (Europe/Paris)"), "{when}");
    assert_eq!(
        browser.text("#b-producer").await,
        "Lea Martin <lea.martin@producers.example>"
    );
    assert!(browser.text("#b-total").await.contains("900.00 USD"));
    browser.screenshot("manage-found.png").await;

    // Move to a busy time: alternatives; pick the first.
    browser.script("document.getElementById('new-date').value='2027-02-11'; document.getElementById('new-time').value='10:00';").await;
    browser.click("#move-button").await;
    browser
        .wait_text(
            "#alternative-list",
            "Thursday 11 February 2027, 11:30–12:30",
        )
        .await;
    browser.screenshot("manage-alternatives.png").await;
    browser.click("#alternative-list button").await;
    browser.wait_text("#message", "Moved.").await;
    assert!(browser
        .text("#b-when")
        .await
        .contains("Thursday 11 February 2027, 11:30–12:30"));
    let look = app
        .post(
            "/api/v1/bookings/lookup",
            &json!({"reservation_number": number, "email": "ana.souza@example.com"}),
        )
        .await;
    assert_eq!(
        look.body["start"], "2027-02-11T11:30:00+01:00",
        "the move reached the service"
    );

    // Cancel, with the two-step confirmation.
    browser.click("#cancel").await;
    browser.click("#cancel-yes").await;
    let msg = browser.wait_text("#message", "Cancelled.").await;
    assert!(msg.contains("0.00 USD (0%"), "{msg}");
    assert_eq!(browser.text("#b-status").await, "cancelled");
    browser.screenshot("manage-cancelled.png").await;

    // A wrong e-mail shows the service's explanation, not the booking.
    browser.goto(&format!("{}/manage", app.address)).await;
    browser.type_into("#number", &number).await;
    browser.type_into("#email", "eve@example.com").await;
    browser.click("#find-button").await;
    browser.wait_text("#message", "no booking matches").await;
    assert_eq!(
        browser
            .script("return document.getElementById('booking').hidden")
            .await,
        json!(true)
    );
}

#[actix_web::test]
async fn the_manage_page_escapes_the_number_it_is_given_and_forbids_inline_scripts() {
    let app = spawn_app().await;
    let r = app
        .request(
            "GET",
            "/manage?number=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    let html = r.body.as_str().unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("script-src 'self'"));
    assert_eq!(app.get("/assets/manage.js").await.status, 200);
}

/// The API reference is a page a person can read: Redoc, shipped in the binary, renders
/// the served description under the page's Content-Security-Policy.
#[actix_web::test]
async fn the_api_reference_page_renders_in_the_browser() {
    let app = spawn_app().await;
    let Some(driver) = Driver::start().await else {
        return;
    };
    driver.goto(&format!("{}/api/docs", app.address)).await;
    let page = driver.wait_text("body", "Greenroom").await;
    for section in ["ordering", "managing", "staff"] {
        assert!(page.contains(section), "no {section} section in: {page}");
    }
    driver.wait_text("body", "/api/v1/bookings").await;
    driver.screenshot("api-docs.png").await;
}
