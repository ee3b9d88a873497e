//! The README's recipes, run exactly as written: every ```sh block of its "Recipes" section, in
//! order, with bash, in a folder holding copies of `samples/`, against a moto pool made from
//! `samples/pool.json` (by `scripts/moto_pool.py`, as the demo makes it). A recipe that stops
//! working fails here, so the README cannot drift from the tool.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The moto pool of `samples/pool.json`, served until dropped.
struct SamplePool {
    child: Child,
    url: String,
    id: String,
}

impl Drop for SamplePool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The python of the venv scripts/setup-moto.sh made (beside $MOTO_SERVER).
fn venv_python() -> PathBuf {
    let server = std::env::var_os("MOTO_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools/venv/bin/moto_server"));
    server.with_file_name("python")
}

fn start_sample_pool(work: &Path) -> SamplePool {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ready = work.join("moto.ready");
    let child = Command::new(venv_python())
        .arg(root().join("scripts/moto_pool.py"))
        .args(["--port", &port.to_string(), "--pool"])
        .arg(root().join("samples/pool.json"))
        .arg("--ready-file")
        .arg(&ready)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start scripts/moto_pool.py");
    let deadline = Instant::now() + Duration::from_secs(60);
    let line = loop {
        if let Ok(text) = std::fs::read_to_string(&ready)
            && text.ends_with('\n')
        {
            break text;
        }
        assert!(Instant::now() < deadline, "the sample pool did not start");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut words = line.split_whitespace();
    let url = words.next().unwrap().to_string();
    let id = words.next().unwrap().to_string();
    SamplePool { child, url, id }
}

/// The ```sh blocks of the README's "## Recipes" section, in order.
fn recipes() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("\n## Recipes\n")
        .expect("README has a Recipes section");
    let section = &readme[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in section[..end].lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "a recipe block is never closed");
    blocks
}

#[test]
fn every_readme_recipe_works_as_written() {
    let blocks = recipes();
    assert!(
        blocks.len() >= 5,
        "the README lists its recipes: {blocks:?}"
    );
    let work = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("samples")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), work.path().join(entry.file_name())).unwrap();
    }
    let pool = start_sample_pool(work.path());
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_cognito-bulk"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for block in &blocks {
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", block])
            .current_dir(work.path())
            .env_clear()
            .env("PATH", &path)
            .env("HOME", "/nonexistent")
            .env("POOL", &pool.id)
            .env("AWS_ENDPOINT_URL", &pool.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "recipe failed ({:?}):\n{block}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // What the recipes did, read back: the CRM join was rolled back, the rest stayed.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = support::client(&pool.url);
    let user = |name: &str| rt.block_on(support::attributes(&client, &pool.id, name));
    let alice = user("alice");
    assert_eq!(alice.get("custom:tier").map(String::as_str), Some("free"));
    // moto stores a deleted attribute as "" (Cognito removes it): either means undone.
    let crm_id = alice.get("custom:crm_id").map(String::as_str);
    assert!(
        matches!(crm_id, None | Some("")),
        "the join's addition undone"
    );
    assert_eq!(alice["custom:tenant"], "example.com");
    let carol = user("carol");
    assert_eq!(carol["email"], "carol@example.org");
    assert_eq!(carol["email_verified"], "true");
    assert_eq!(carol["custom:tenant"], "example.org");
    assert_eq!(user("dmitri")["custom:tier"], "team");
}
