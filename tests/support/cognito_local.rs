//! A `cognito-local` server per test (the pinned npm emulator installed by
//! scripts/setup-cognito-local.sh), in a temporary folder of its own, on a free loopback port.
//!
//! It models what moto does not: pools whose usernames are emails (the username becomes a
//! UUID, the email an alias), and the verification codes Cognito would deliver, which it prints
//! to its log as "Code Delivery" boxes. [`CognitoLocal::deliveries`] reads them back, so a test
//! counts the messages a run caused. Its known differences from Cognito are listed in
//! docs/EMULATORS.md: a test asserts what Cognito does, never an emulator's quirk.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::create_user_pool::builders::CreateUserPoolFluentBuilder;

/// A cognito-local server, killed when dropped (its folder goes with it).
pub struct CognitoLocal {
    pub addr: SocketAddr,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for CognitoLocal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One verification message cognito-local delivered (one "Code Delivery" box of its log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub username: String,
    pub destination: String,
    pub code: String,
}

/// The start script installed by scripts/setup-cognito-local.sh (or $COGNITO_LOCAL).
fn start_script() -> PathBuf {
    if let Some(p) = std::env::var_os("COGNITO_LOCAL") {
        return p.into();
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/cognito-local/node_modules/cognito-local/lib/bin/start.js");
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup-cognito-local.sh (scripts/test.sh does it for you)",
        p.display()
    );
    p
}

impl CognitoLocal {
    /// Starts one on a free port. A port found free can be taken by a server another test
    /// starts at the same moment: the one that lost the race exits, and this one tries
    /// another port, trusting only its own "running on" line, never a connect alone.
    pub fn start() -> CognitoLocal {
        for _ in 0..5 {
            if let Some(server) = Self::try_start() {
                return server;
            }
        }
        panic!("cognito-local did not start on any of 5 ports");
    }

    fn try_start() -> Option<CognitoLocal> {
        let dir = tempfile::tempdir().unwrap();
        // Its default makes every pool an email-username pool; a test says what it wants.
        let config = dir.path().join(".cognito");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(
            config.join("config.json"),
            r#"{"UserPoolDefaults": {"UsernameAttributes": []}}"#,
        )
        .unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("cognito-local.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("node")
            .arg(start_script())
            .current_dir(dir.path())
            .env("PORT", port.to_string())
            .env("HOST", "127.0.0.1")
            // No colours: the log is parsed.
            .env("NO_COLOR", "1")
            .env("FORCE_COLOR", "0")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start cognito-local (is node installed?)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let running = format!("running on http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if child.try_wait().ok().flatten().is_some() {
                return None; // lost the port to another server
            }
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            if said.contains(&running) && TcpStream::connect(addr).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "cognito-local did not start on {addr}: {said}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(CognitoLocal {
            addr,
            child,
            log,
            _dir: dir,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> Client {
        super::client(&self.url())
    }

    /// Every verification message delivered so far, in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        parse_deliveries(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

/// Reads the "Code Delivery" boxes out of a cognito-local log (colour codes and box borders
/// are stripped; each box holds `Username:`, `Destination:` and `Code:` lines).
pub fn parse_deliveries(log: &str) -> Vec<Delivery> {
    let mut out = Vec::new();
    let mut current: Option<Delivery> = None;
    for line in log.lines() {
        let line = strip_ansi(line);
        if line.contains("Code Delivery") {
            current = Some(Delivery {
                username: String::new(),
                destination: String::new(),
                code: String::new(),
            });
            continue;
        }
        let Some(d) = current.as_mut() else { continue };
        let text = line.trim_matches(|c: char| c == '│' || c.is_whitespace());
        if let Some(v) = text.strip_prefix("Username:") {
            d.username = v.trim().to_string();
        } else if let Some(v) = text.strip_prefix("Destination:") {
            d.destination = v.trim().to_string();
        } else if let Some(v) = text.strip_prefix("Code:") {
            d.code = v.trim().to_string();
        } else if text.starts_with('╰') {
            out.extend(current.take());
        }
    }
    out
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ ... final byte in @..~
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) && c != '[' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Creates a pool configured by `configure` (on top of a name) and returns its id. For
/// example `|p| p.username_attributes(UsernameAttributeType::Email)
/// .auto_verified_attributes(VerifiedAttributeType::Email)` is a pool made the way Amplify and
/// the console make one.
pub async fn create_pool_with(
    client: &Client,
    configure: impl FnOnce(CreateUserPoolFluentBuilder) -> CreateUserPoolFluentBuilder,
) -> String {
    configure(client.create_user_pool().pool_name("test"))
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap()
}
