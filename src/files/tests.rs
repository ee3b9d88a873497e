use std::io::BufReader;
use std::os::unix::fs::PermissionsExt;

use super::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn names_and_modes() {
    assert_eq!(
        beside_input(Path::new("dir/users.csv"), "report.json"),
        PathBuf::from("dir/users.csv.report.json")
    );
    assert_eq!(
        beside_input(Path::new("-"), "failed.csv"),
        PathBuf::from("stdin.failed.csv")
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x");
    std::fs::write(&p, "old").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    create_private(&p).unwrap();
    assert_eq!(mode(&p), 0o600);
    assert_eq!(std::fs::read(&p).unwrap(), b"");
    let q = dir.path().join("y");
    write_private_atomic(&q, b"hi").unwrap();
    assert_eq!(mode(&q), 0o600);
    let r = dir.path().join("z");
    create_private(&r).unwrap();
    assert_eq!(mode(&r), 0o600);
}

#[test]
fn links_are_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, "precious").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dangling = dir.path().join("dangling");
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();

    for path in [&link, &dangling] {
        let e = create_private(path).unwrap_err().to_string();
        assert!(
            e.contains("symbolic link") && e.contains(&*path.to_string_lossy()),
            "{e}"
        );
        let e = append_private(path).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        let e = write_private_atomic(path, b"x").unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
    assert_eq!(mode(&target), 0o644);
    assert!(!dir.path().join("nowhere").exists());

    // A device is refused by name, and neither written nor renamed over.
    let e = create_private(Path::new("/dev/null"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/dev/null is a device"), "{e}");
    let e = write_private_atomic(Path::new("/dev/null"), b"x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("/dev/null is a device"), "{e}");
}

#[test]
fn replacing_a_file_leaves_its_hard_links_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    std::fs::write(&input, "username\nalice\n").unwrap();
    let out = dir.path().join("out.csv");
    std::fs::hard_link(&input, &out).unwrap();
    create_private(&out).unwrap();
    assert_eq!(std::fs::read(&input).unwrap(), b"username\nalice\n");
}

#[test]
fn outputs_may_not_be_inputs_or_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("users.csv");
    std::fs::write(&input, "username\n").unwrap();
    let report = dir.path().join("r.json");
    let journal = dir.path().join("j");
    let ok = check_outputs(
        &[("input", &input)],
        &[("--report", &report), ("--journal", &journal)],
    );
    assert!(ok.is_ok(), "{ok:?}");

    let e = check_outputs(&[("input", &input)], &[("--failed", &input)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--failed") && e.contains("the same file"), "{e}");
    // The same file by another name (a hard link, or a path through another folder).
    let alias = dir.path().join("alias.csv");
    std::fs::hard_link(&input, &alias).unwrap();
    assert!(check_outputs(&[("input", &input)], &[("--report", &alias)]).is_err());
    let dotted = dir.path().join(".").join("users.csv");
    assert!(check_outputs(&[("input", &input)], &[("--report", &dotted)]).is_err());
    // Two outputs that do not exist yet, at the same path.
    let again = dir.path().join(".").join("j");
    let e = check_outputs(&[], &[("--journal", &journal), ("--report", &again)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("--journal") && e.contains("--report"), "{e}");
    // A folder that cannot take a new file.
    let missing = dir.path().join("no/such/folder/r.json");
    let e = check_outputs(&[], &[("--report", &missing)])
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot write in the folder"), "{e}");
    // A device.
    let e = check_outputs(&[], &[("--report", Path::new("/dev/null"))])
        .unwrap_err()
        .to_string();
    assert!(e.contains("/dev/null is a device"), "{e}");
}

#[test]
fn reading_refuses_devices_and_endless_lines() {
    let e = open_regular(Path::new("/dev/zero"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/dev/zero is a device"), "{e}");
    let mut r = BufReader::with_capacity(4, &b"abc\ndefghij\nk"[..]);
    let mut buf = Vec::new();
    assert_eq!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), 4);
    assert_eq!(buf, b"abc\n");
    buf.clear();
    assert!(read_line_bounded(&mut r, &mut buf, 5).is_err());
    let mut r = BufReader::new(&b"k"[..]);
    buf.clear();
    assert_eq!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), 1);
    assert_eq!(read_line_bounded(&mut r, &mut buf, 5).unwrap(), 0);
}

#[test]
fn one_holder_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("users.journal");
    let held = lock(&journal).unwrap();
    let lock_file = dir.path().join("users.journal.lock");
    assert_eq!(
        std::fs::read_to_string(&lock_file).unwrap().trim(),
        std::process::id().to_string()
    );
    assert_eq!(mode(&lock_file), 0o600);
    let e = lock(&journal).unwrap_err().to_string();
    assert!(
        e.contains(&format!("pid {}", std::process::id())) && e.contains("users.journal"),
        "{e}"
    );
    drop(held);
    assert!(!lock_file.exists());
    let again = lock(&journal).unwrap();
    drop(again);
    // A lock file that is a link is refused, not followed.
    std::os::unix::fs::symlink("/dev/null", &lock_file).unwrap();
    let e = lock(&journal).unwrap_err().to_string();
    assert!(e.contains("symbolic link"), "{e}");
}
