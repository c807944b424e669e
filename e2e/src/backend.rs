//! Real echo backends on loopback ports chosen at run time.

use std::net::SocketAddr;

use portico_echo::EchoHandle;

/// A set of running echo servers; they stop when dropped.
#[derive(Debug, Default)]
pub struct Backends {
    servers: Vec<EchoHandle>,
}

impl Backends {
    /// Starts `n` echo servers named `<name>-0`, `<name>-1`, ...
    pub async fn start(name: &str, n: usize) -> Self {
        Self::start_on(name, n, std::net::Ipv4Addr::LOCALHOST.into()).await
    }

    /// Like [`Backends::start`], listening on `ip` (external mode: where the controller can
    /// reach them).
    pub async fn start_on(name: &str, n: usize, ip: std::net::IpAddr) -> Self {
        let mut servers = Vec::with_capacity(n);
        for i in 0..n {
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::new(ip, 0)).await.expect("bind backend");
            servers.push(portico_echo::spawn(listener, &format!("{name}-{i}")).expect("spawn"));
        }
        Self { servers }
    }

    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.servers.iter().map(EchoHandle::addr).collect()
    }

    pub fn addr(&self, i: usize) -> SocketAddr {
        self.servers[i].addr()
    }
}

/// An address that refuses connections: a port that was bound and released.
pub async fn refusing_addr() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("addr")
}
