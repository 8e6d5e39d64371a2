//! Stand-ins for a state database that stops answering: a black hole that
//! accepts TCP and never says a word, and a proxy in front of a real server
//! that can be told to go silent mid-run (connections stay open, nothing is
//! forwarded), both on 127.0.0.1.

#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A TCP proxy to `127.0.0.1:upstream`, or a black hole when `upstream` is
/// `None`. Its threads end with the test binary.
pub struct Proxy {
    port: u16,
    silent: Arc<AtomicBool>,
}

impl Proxy {
    /// Accepts connections and never answers them.
    pub fn black_hole() -> Proxy {
        Self::start(None, true)
    }

    /// Forwards to `upstream` until [`Proxy::silence`].
    pub fn forwarding(upstream: u16) -> Proxy {
        Self::start(Some(upstream), false)
    }

    fn start(upstream: Option<u16>, silent: bool) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let silent = Arc::new(AtomicBool::new(silent));
        let flag = Arc::clone(&silent);
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                match upstream.and_then(|p| TcpStream::connect(("127.0.0.1", p)).ok()) {
                    Some(server) => {
                        pump(&client, &server, &flag);
                        pump(&server, &client, &flag);
                        held.push((client, Some(server)));
                    }
                    None => held.push((client, None)),
                }
            }
        });
        Proxy { port, silent }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// From now on nothing is forwarded either way; connections stay open.
    pub fn silence(&self) {
        self.silent.store(true, Ordering::SeqCst);
    }

    /// `url` (a `postgres://` URL on 127.0.0.1) pointed at this proxy.
    pub fn url_for(&self, url: &str, real_port: u16) -> String {
        url.replace(
            &format!("127.0.0.1:{real_port}"),
            &format!("127.0.0.1:{}", self.port),
        )
    }
}

/// Copies `from` to `to` on a thread of its own while the proxy speaks.
fn pump(from: &TcpStream, to: &TcpStream, silent: &Arc<AtomicBool>) {
    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    let silent = Arc::clone(silent);
    from.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        loop {
            if silent.load(Ordering::SeqCst) {
                // Hold the sockets open, forward nothing, forever.
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            match from.read(&mut buffer) {
                Ok(0) => return,
                Ok(n) => {
                    if silent.load(Ordering::SeqCst) {
                        continue;
                    }
                    if to.write_all(&buffer[..n]).is_err() {
                        return;
                    }
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => return,
            }
        }
    });
}
