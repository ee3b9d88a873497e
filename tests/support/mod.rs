//! Test support: a real moto server per test, a cognito-local server per test
//! ([`cognito_local`]), a fault proxy, SDK helpers to build and read
//! pools, and a way to run the built binary against them. Everything talks to loopback only.

#![allow(dead_code)]

pub mod cognito_local;
pub mod groups;
pub mod proxy;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, AttributeType, MessageActionType, SchemaAttributeType, VerifiedAttributeType,
};

/// A moto server on a free loopback port, killed when dropped.
pub struct Moto {
    pub addr: SocketAddr,
    child: Child,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto_server installed by scripts/setup-moto.sh (or $MOTO_SERVER).
fn moto_server() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return p.into();
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/moto_server");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup-moto.sh (scripts/test.sh does it for you)",
        p.display()
    );
    p
}

impl Moto {
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(moto_server())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "moto did not start on {addr}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto { addr, child }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> Client {
        client(&self.url())
    }
}

/// An SDK client for setting up and reading back pools.
pub fn client(url: &str) -> Client {
    let config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .endpoint_url(url)
        .build();
    Client::from_conf(config)
}

/// Creates a pool with plain usernames and these custom String attributes, which verifies
/// changed emails by a code (`AutoVerifiedAttributes=["email"]`, the console's default).
pub async fn create_pool(client: &Client, custom: &[&str]) -> String {
    let mut req = client
        .create_user_pool()
        .pool_name("test")
        .auto_verified_attributes(VerifiedAttributeType::Email);
    for name in custom {
        req = req.schema(
            SchemaAttributeType::builder()
                .name(*name)
                .attribute_data_type(AttributeDataType::String)
                .mutable(true)
                .build(),
        );
    }
    req.send().await.unwrap().user_pool.unwrap().id.unwrap()
}

pub async fn create_user(client: &Client, pool: &str, username: &str, attrs: &[(&str, &str)]) {
    create_user_named(client, pool, username, attrs).await;
}

/// Creates a user without any message and returns the username the pool gave it (a UUID in
/// an email-username pool, where `key` must be the email).
pub async fn create_user_named(
    client: &Client,
    pool: &str,
    key: &str,
    attrs: &[(&str, &str)],
) -> String {
    let attributes: Vec<AttributeType> = attrs
        .iter()
        .map(|(n, v)| AttributeType::builder().name(*n).value(*v).build().unwrap())
        .collect();
    client
        .admin_create_user()
        .user_pool_id(pool)
        .username(key)
        .set_user_attributes(Some(attributes))
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .unwrap()
        .user
        .unwrap()
        .username
        .unwrap()
}

/// Every attribute of a user but `sub`, which moto makes up.
pub async fn attributes(client: &Client, pool: &str, username: &str) -> BTreeMap<String, String> {
    let user = client
        .admin_get_user()
        .user_pool_id(pool)
        .username(username)
        .send()
        .await
        .unwrap();
    user.user_attributes()
        .iter()
        .filter(|a| a.name() != "sub")
        .map(|a| (a.name().to_string(), a.value().unwrap_or("").to_string()))
        .collect()
}

/// Builds an attribute map from pairs.
pub fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The result of running the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `args` with `--yes` added to `apply`: a test is not a terminal, so apply would refuse.
pub fn confirmed<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut out = args.to_vec();
    if matches!(args.first(), Some(&"apply")) && !args.contains(&"--yes") {
        out.push("--yes");
    }
    out
}

/// The binary with `args`, test credentials and no AWS settings from the machine it runs on;
/// `endpoint` becomes `--endpoint-url`.
pub fn command(endpoint: Option<&str>, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cognito-bulk"));
    cmd.args(args);
    // `report` reads only a journal: it takes no AWS flags.
    if let Some(url) = endpoint.filter(|_| args.first() != Some(&"report")) {
        cmd.arg("--endpoint-url").arg(url);
    }
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs the binary to the end (2 minutes at most) and collects what it said.
pub async fn finish(child: tokio::process::Child) -> Run {
    let out = tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("cognito-bulk finished within 2 minutes")
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `cognito-bulk` with `args` against `endpoint`, feeding `stdin` if given.
pub async fn cognito_bulk(endpoint: &str, args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut cmd = command(Some(endpoint), &confirmed(args));
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let mut child = cmd.spawn().expect("run cognito-bulk");
    if let Some(bytes) = stdin {
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(bytes).await.unwrap();
        drop(pipe);
    }
    finish(child).await
}

/// Runs a command the tool printed, as printed (`args` without the program name): it carries
/// the `--endpoint-url` it was given, so none is added (`--yes` is added to `apply`).
pub async fn cognito_bulk_as_printed(args: &[&str]) -> Run {
    finish(
        command(None, &confirmed(args))
            .spawn()
            .expect("run cognito-bulk"),
    )
    .await
}

/// Waits (10 s at most) until `path` has more than `lines` lines: progress made by a run in
/// the background, so that a test interrupts it mid-way however slow the machine is.
pub async fn wait_for_lines(path: &Path, lines: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = std::fs::read_to_string(path).map_or(0, |t| t.lines().count());
        if n > lines || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends SIGINT (Ctrl-C) to a running child.
pub fn interrupt(child: &tokio::process::Child) {
    let pid = child.id().expect("running") as i32;
    // SAFETY: kill(2) with a pid we own and a valid signal number.
    unsafe { libc::kill(pid, libc::SIGINT) };
}

/// Reads a JSON report.
pub fn read_report(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The permission bits of a file.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The command a stopped run printed after "resume with: ", split into words (the program
/// first), so that a test runs it as printed.
pub fn resume_advice(stderr: &str) -> Vec<String> {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("resume with: "))
        .expect("resume command printed");
    shlex::split(line).expect("a command line")
}
