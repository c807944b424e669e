//! A tiny DNS server on 127.0.0.1:0 for ExternalName tests: per name, A answers with a TTL, or
//! SERVFAIL; unknown names get NXDOMAIN. The resolver's unit tests name it in their settings;
//! the e2e tests point Portico at it with `--dns-resolver`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use std::sync::Mutex;
use tokio::net::UdpSocket;

/// What the server answers for a name.
#[derive(Debug, Clone)]
pub enum Reply {
    A(Vec<Ipv4Addr>, u32),
    ServFail,
}

/// The running server; stops with the test's runtime.
#[derive(Clone)]
pub struct StubDns {
    pub addr: SocketAddr,
    replies: Arc<Mutex<HashMap<String, Reply>>>,
    queries: Arc<AtomicUsize>,
}

impl StubDns {
    pub async fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind dns");
        let addr = socket.local_addr().expect("dns addr");
        let stub = Self { addr, replies: Arc::default(), queries: Arc::new(AtomicUsize::new(0)) };
        let server = stub.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            while let Ok((n, from)) = socket.recv_from(&mut buf).await {
                if let Some(answer) = server.answer(&buf[..n]) {
                    let _ = socket.send_to(&answer, from).await;
                }
            }
        });
        stub
    }

    pub fn set(&self, name: &str, reply: Reply) {
        self.replies.lock().expect("replies").insert(name.to_string(), reply);
    }

    /// A queries received so far.
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }

    fn answer(&self, query: &[u8]) -> Option<Vec<u8>> {
        let (name, end) = question(query)?;
        let qtype = u16::from_be_bytes([*query.get(end)?, *query.get(end + 1)?]);
        let reply = self.replies.lock().expect("replies").get(&name).cloned();
        let (rcode, ips, ttl) = match (reply, qtype) {
            (Some(Reply::A(ips, ttl)), 1) => (0, ips, ttl),
            (Some(Reply::A(..)), _) => (0, vec![], 0),
            (Some(Reply::ServFail), _) => (2, vec![], 0),
            (None, _) => (3, vec![], 0),
        };
        if qtype == 1 {
            self.queries.fetch_add(1, Ordering::SeqCst);
        }
        let mut out = vec![query[0], query[1], 0x81, 0x80 | rcode, 0, 1];
        out.extend_from_slice(&u16::try_from(ips.len()).ok()?.to_be_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(query.get(12..end + 4)?);
        for ip in ips {
            out.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
            out.extend_from_slice(&ttl.to_be_bytes());
            out.extend_from_slice(&[0, 4]);
            out.extend_from_slice(&ip.octets());
        }
        Some(out)
    }
}

/// The question's name (lowercase, no final dot) and where its type starts.
fn question(query: &[u8]) -> Option<(String, usize)> {
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*query.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_ascii_lowercase());
        at += len;
    }
    Some((labels.join("."), at))
}
