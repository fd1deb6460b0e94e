//! The HTTP server: the actix-web application served by actix-server, over connections
//! that turn the HTTP layer's own refusals into problem documents like every other one.
//!
//! actix-http answers a request it cannot parse (400), a request head larger than its
//! buffer (431) and a head that does not arrive in time (408) itself, before any
//! application code runs, with an empty body. Those answers leave as the first bytes of
//! a write; `ProblemStream` recognises exactly that shape (such a status with
//! `content-length: 0`, which the application never sends: its refusals all carry a
//! problem body) and writes the same status with an RFC 9457 body instead.

use std::io;
use std::net::TcpListener;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_http::{HttpService, KeepAlive, Protocol};
use actix_rt::net::TcpStream;
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::ErrorHandlers;
use actix_web::App;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use utoipa_actix_web::AppExt;

use super::{AppState, BodyTimeout};

/// Serve the application on `listener` until stopped (SIGTERM or Ctrl-C: stop accepting,
/// finish what is in flight).
pub fn start(
    listener: TcpListener,
    workers: Option<usize>,
    state: AppState,
    body_timeout: BodyTimeout,
    pages: fn(&mut actix_web::web::ServiceConfig),
) -> io::Result<Server> {
    let addr = listener.local_addr()?;
    let mut builder = Server::build();
    let workers =
        workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    // Use cases run on blocking threads, each holding a database connection: more threads
    // than connections only queue on the pool (and cost futex wake-ups), so each worker
    // gets its share of the pool plus the SQLite writer's queue.
    let connections = state.services.db.pool.max_size() as usize;
    builder = builder
        .workers(workers)
        .worker_max_blocking_threads((connections / workers).max(1) + 2);
    Ok(builder
        .listen("greenroom", listener, move || {
            let app = App::new()
                .into_utoipa_app()
                .configure(super::routes)
                .into_app()
                .configure(super::app_config)
                .configure(pages)
                .app_data(actix_web::web::Data::new(state.clone()))
                .app_data(body_timeout)
                .wrap(ErrorHandlers::new().default_handler(super::normalise_errors))
                .wrap(super::middleware::cors(&state.cors_origins))
                .wrap(tracing_actix_web::TracingLogger::<
                    super::middleware::AccessLog,
                >::new())
                .wrap(actix_web::middleware::from_fn(super::middleware::around));
            let http = HttpService::build()
                .keep_alive(KeepAlive::default())
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(addr)
                .finish(map_config(
                    app.into_factory()
                        .map_err(|e: actix_web::Error| e.error_response()),
                    // Its host and address only serve URL generation when a request has
                    // no Host header, which Greenroom does not use.
                    |_| AppConfig::default(),
                ));
            fn_service(|io: TcpStream| async move {
                let _ = io.set_nodelay(true);
                let peer = io.peer_addr().ok();
                Ok((ProblemStream::new(io), Protocol::Http1, peer))
            })
            .and_then(http)
        })?
        .run())
}

/// A connection whose bodiless error answers from the HTTP layer are rewritten.
pub struct ProblemStream<T> {
    io: T,
    /// A rewritten answer and how much of it has been written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<T> ProblemStream<T> {
    pub fn new(io: T) -> ProblemStream<T> {
        ProblemStream { io, pending: None }
    }
}

impl<T: AsyncWrite + Unpin> ProblemStream<T> {
    /// Write what is left of a rewritten answer.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.io).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ProblemStream<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ProblemStream<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        if let Some(answer) = rewrite(buf) {
            this.pending = Some((answer, 0));
            // The caller's bytes are taken; what replaces them goes out now or on flush.
            let _ = this.drain(cx)?;
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.drain(cx)?.is_pending() {
            return Poll::Pending;
        }
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

/// The problem answer for a bodiless 400, 408 or 431 head, if `buf` is exactly one.
fn rewrite(buf: &[u8]) -> Option<Vec<u8>> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != buf.len() {
        return None;
    }
    let head = std::str::from_utf8(&buf[..head_end - 4]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let (version, rest) = status_line.split_once(' ')?;
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") {
        return None;
    }
    let status: u16 = rest.split(' ').next()?.parse().ok()?;
    let (code, title, detail) = match status {
        400 => (
            "bad_request",
            "Bad request",
            "the request could not be read as HTTP: check its request line and headers",
        ),
        408 => (
            "request_timeout",
            "Request timeout",
            "the request's headers did not arrive in time; send the request again",
        ),
        431 => (
            "request_header_fields_too_large",
            "Request header fields too large",
            "the request's headers are too large; send fewer or shorter headers",
        ),
        _ => return None,
    };
    let headers: Vec<&str> = lines.collect();
    let bodiless = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-length: 0"));
    if !bodiless {
        return None;
    }
    let body = serde_json::json!({
        "type": format!("urn:greenroom:problem:{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [],
    })
    .to_string();
    let mut out = format!("{status_line}\r\n");
    for h in headers.iter().filter(|h| {
        let name = h.split(':').next().unwrap_or("").trim();
        !name.eq_ignore_ascii_case("content-length") && !name.eq_ignore_ascii_case("content-type")
    }) {
        out.push_str(h);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-type: application/problem+json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodiless_layer_errors_become_problems() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\ndate: Sun, 22 Nov 2026 01:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(rewrite(head).unwrap()).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 "));
        assert!(head.contains("content-type: application/problem+json"));
        assert!(head.contains("connection: close"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let problem: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(problem["code"], "request_header_fields_too_large");
        assert_eq!(problem["status"], 431);
    }

    #[test]
    fn answers_with_bodies_pass_untouched() {
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n";
        assert!(rewrite(with_body).is_none());
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert!(rewrite(ok).is_none());
        let head_and_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nextra";
        assert!(rewrite(head_and_body).is_none());
    }
}
