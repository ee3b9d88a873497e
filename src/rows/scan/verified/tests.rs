//! Unit tests of the verified second read, apart from the reader: an unchanged file reads the
//! same, and a file changed between or during the reads is refused.

use super::*;

fn first_read(path: &Path) -> Seal {
    let (first, mut reader) = FirstRead::open(path).unwrap();
    io::copy(&mut reader, &mut io::sink()).unwrap();
    drop(reader);
    first.finish(path).unwrap().1
}

fn read_all(seal: &Seal, path: &Path) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    seal.reopen(path)
        .map_err(io::Error::other)?
        .read_to_end(&mut out)?;
    Ok(out)
}

#[test]
fn an_unchanged_file_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    for len in [0, 5, BLOCK, BLOCK + 7, 2 * BLOCK] {
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let seal = first_read(&path);
        assert_eq!(read_all(&seal, &path).unwrap(), bytes, "{len} bytes");
    }
}

#[test]
fn a_changed_file_is_refused_before_or_while_it_is_read_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.csv");
    let mut bytes = b"username,nickname\n".to_vec();
    while bytes.len() < 2 * BLOCK + 100 {
        bytes.extend_from_slice(b"alice,al\n");
    }
    std::fs::write(&path, &bytes).unwrap();
    let seal = first_read(&path);

    // A row added: the size differs, refused before the first byte.
    let mut grown = bytes.clone();
    grown.extend_from_slice(b"mallory,evil\n");
    std::fs::write(&path, &grown).unwrap();
    let e = seal.reopen(&path).err().unwrap().to_string();
    assert!(e.contains("changed since it was read"), "{e}");

    // Same size, and the modification time put back: the second block no longer hashes
    // as it did, so only the first block's bytes are handed out.
    let mut edited = bytes.clone();
    edited[BLOCK + 10] = b'X';
    std::fs::write(&path, &edited).unwrap();
    let (secs, nanos) = seal.stamp.mtime;
    let scanned = std::time::UNIX_EPOCH + std::time::Duration::new(secs as u64, nanos as u32);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(scanned)
        .unwrap();
    let mut reader = seal.reopen(&path).unwrap();
    let mut out = Vec::new();
    let e = reader.read_to_end(&mut out).unwrap_err().to_string();
    assert!(
        e.contains(&format!("bytes {BLOCK}..{} differ", 2 * BLOCK)),
        "{e}"
    );
    assert_eq!(out, &bytes[..BLOCK], "only verified bytes were handed out");

    // Bytes added after the second read began are not handed out.
    std::fs::write(&path, &bytes).unwrap();
    let seal = first_read(&path);
    let mut reader = seal.reopen(&path).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    io::Write::write_all(&mut file, b"mallory,evil\n").unwrap();
    let mut out = Vec::new();
    let e = reader.read_to_end(&mut out).unwrap_err().to_string();
    assert!(e.contains("it grew"), "{e}");
    assert_eq!(out, bytes);

    // Another file renamed over it.
    std::fs::write(dir.path().join("new"), &bytes).unwrap();
    std::fs::rename(dir.path().join("new"), &path).unwrap();
    let e = seal.reopen(&path).err().unwrap().to_string();
    assert!(e.contains("another file"), "{e}");
}
