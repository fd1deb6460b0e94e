//! A small real SMTP server for the tests: it speaks SMTP over TCP on 127.0.0.1, keeps
//! what it receives, and can be stopped (refusing connections, dropping open ones) and
//! started again on the same port.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
    /// "user:password" when the client authenticated (AUTH PLAIN).
    pub auth: Option<String>,
}

impl Received {
    pub fn parsed(&self) -> mailparse::ParsedMail<'_> {
        mailparse::parse_mail(self.data.as_bytes()).expect("a well-formed message")
    }

    pub fn header(&self, name: &str) -> String {
        use mailparse::MailHeaderMap;
        self.parsed()
            .headers
            .get_first_value(name)
            .unwrap_or_default()
    }

    /// The decoded body of the first part with this content type.
    pub fn part(&self, content_type: &str) -> Option<String> {
        fn find(p: &mailparse::ParsedMail<'_>, ct: &str) -> Option<String> {
            if p.ctype.mimetype == ct {
                return p.get_body().ok();
            }
            p.subparts.iter().find_map(|s| find(s, ct))
        }
        find(&self.parsed(), content_type)
    }
}

pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    running: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = SmtpServer {
            port,
            received: Arc::default(),
            running: Arc::new(AtomicBool::new(false)),
            connections: Arc::default(),
        };
        server.serve(listener);
        server
    }

    /// A port where nothing listens yet: start it later with `resume`.
    pub fn stopped() -> SmtpServer {
        let server = SmtpServer::start();
        server.stop();
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn serve(&self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        self.running.store(true, Ordering::SeqCst);
        let running = self.running.clone();
        let received = self.received.clone();
        let connections = self.connections.clone();
        thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        connections
                            .lock()
                            .unwrap()
                            .push(stream.try_clone().unwrap());
                        let received = received.clone();
                        thread::spawn(move || {
                            let _ = session(stream, received);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
            // The listener is dropped here: connections are refused.
        });
    }

    /// Go down: refuse new connections and cut the open ones.
    pub fn stop(&self) {
        self.running.store(false, Ordering::SeqCst);
        for c in self.connections.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
        // Wait until the port is really closed.
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Come back up on the same port.
    pub fn resume(&self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    thread::sleep(Duration::from_millis(20));
                }
                Err(e) => panic!("cannot listen again on {}: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Wait until at least `n` messages arrived (or the time runs out).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.running.store(false, Ordering::SeqCst);
    }
}

fn session(stream: TcpStream, received: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    out.write_all(b"220 test.local ESMTP ready\r\n")?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut auth: Option<String> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            out.write_all(b"250-test.local\r\n250-8BITMIME\r\n250-AUTH PLAIN\r\n250 SMTPUTF8\r\n")?;
        } else if upper.starts_with("AUTH PLAIN") {
            let token = match command.split_whitespace().nth(2) {
                Some(t) => t.to_string(),
                None => {
                    out.write_all(b"334 \r\n")?;
                    line.clear();
                    reader.read_line(&mut line)?;
                    line.trim().to_string()
                }
            };
            // authzid \0 authcid \0 password
            let decoded = base64_decode(&token);
            let parts: Vec<&[u8]> = decoded.split(|b| *b == 0).collect();
            if parts.len() == 3 {
                auth = Some(format!(
                    "{}:{}",
                    String::from_utf8_lossy(parts[1]),
                    String::from_utf8_lossy(parts[2])
                ));
                out.write_all(b"235 Authentication succeeded\r\n")?;
            } else {
                out.write_all(b"535 Authentication failed\r\n")?;
            }
        } else if upper.starts_with("HELO") {
            out.write_all(b"250 test.local\r\n")?;
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().trim_matches(['<', '>']).to_string();
            to.clear();
            out.write_all(b"250 OK\r\n")?;
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_string());
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "DATA" {
            out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
            let mut data = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line)? == 0 {
                    return Ok(()); // cut in the middle: nothing was accepted
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                // Undo dot-stuffing.
                data.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            received.lock().unwrap().push(Received {
                from: from.clone(),
                to: to.clone(),
                data,
                auth: auth.clone(),
            });
            out.write_all(b"250 OK queued\r\n")?;
        } else if upper == "RSET" || upper == "NOOP" {
            out.write_all(b"250 OK\r\n")?;
        } else if upper == "QUIT" {
            out.write_all(b"221 Bye\r\n")?;
            return Ok(());
        } else {
            out.write_all(b"502 Command not implemented\r\n")?;
        }
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == c) else {
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
