//! The test suite's fault-injecting proxy as a process, for the benchmark:
//! `fault_proxy --upstream 127.0.0.1:5000 [--listen 127.0.0.1:0] [--config JSON]`.
//! Prints `ready ADDR` once listening; configure and read it over `/__proxy/*` (see the module).

#[path = "../tests/support/proxy/mod.rs"]
mod proxy;

use std::net::SocketAddr;

#[tokio::main]
async fn main() {
    let mut listen: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let mut upstream: Option<SocketAddr> = None;
    let mut config = proxy::Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--listen" => listen = value.parse().expect("--listen ADDR"),
            "--upstream" => upstream = Some(value.parse().expect("--upstream ADDR")),
            "--config" => config = serde_json::from_str(&value).expect("--config JSON"),
            other => panic!("unknown flag {other}"),
        }
    }
    let upstream = upstream.expect("--upstream ADDR is required");
    let proxy = proxy::FaultProxy::start_on(listen, upstream, config).await;
    println!("ready {}", proxy.addr);
    let _ = tokio::signal::ctrl_c().await;
}
