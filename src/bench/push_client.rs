//! The ingest benchmark's load generator: one HTTP/1.1 keep-alive connection per simulated
//! HikCentral, driven through hyper's connection API. It costs a fraction of a pooled
//! `reqwest` client per request, so on a 2-core machine, where the generator shares the cores
//! with the service, the figure is closer to what the service sustains on its own (the role
//! `wrk` plays elsewhere). A broken connection is opened again on the next push.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;

pub struct PushClient {
    addr: SocketAddr,
    host: String,
    path: String,
    conn: Option<SendRequest<Full<Bytes>>>,
}

impl PushClient {
    /// A client for `url` (`http://127.0.0.1:port/path`); connects on the first push.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| anyhow::anyhow!("only http:// URLs are supported"))?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        Ok(Self {
            addr: host.parse()?,
            host: host.to_owned(),
            path: format!("/{path}"),
            conn: None,
        })
    }

    /// POST `body` as JSON; `true` when the answer is a 2xx (its body read to the end).
    pub async fn post(&mut self, body: String) -> bool {
        match self.try_post(body).await {
            Ok(ok) => ok,
            Err(_) => {
                self.conn = None;
                false
            }
        }
    }

    async fn try_post(&mut self, body: String) -> anyhow::Result<bool> {
        let sender = match self.conn.as_mut() {
            Some(s) if !s.is_closed() => s,
            _ => {
                let stream = tokio::net::TcpStream::connect(self.addr).await?;
                stream.set_nodelay(true)?;
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(conn);
                self.conn.insert(sender)
            }
        };
        sender.ready().await?;
        let req = Request::post(self.path.as_str())
            .header(HOST, self.host.as_str())
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))?;
        let res = sender.send_request(req).await?;
        let ok = res.status().is_success();
        res.into_body().collect().await?;
        Ok(ok)
    }
}
