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

/// An address that refuses connections: a port bound by a socket that never listens, held
/// until the test process ends. (A port bound and released could be taken by another test's
/// listener meanwhile, which would then answer.)
pub async fn refusing_addr() -> SocketAddr {
    static HELD: std::sync::Mutex<Vec<tokio::net::TcpSocket>> = std::sync::Mutex::new(Vec::new());
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).expect("bind");
    let addr = socket.local_addr().expect("addr");
    HELD.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(socket);
    addr
}
