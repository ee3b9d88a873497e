//! A plan read whole before it is applied: its trailer must match its header and entries, byte
//! for byte, so that a plan cut short or edited by hand is refused, naming what is wrong.
//! Apart from `file.rs` (the format and its writer): only `apply --plan` needs this check.

use std::io::{BufRead, BufReader};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{MIN_VERSION, PlanHeader, PlanTrailer, VERSION, is_trailer, read_header};

/// Reads the whole plan at `path` and checks that it ends with a trailer matching its
/// entries: a plan cut short or altered is refused, naming what is wrong. Returns its header.
pub fn verify(path: &Path) -> anyhow::Result<PlanHeader> {
    let header = read_header(path)?;
    let name = path.display();
    if header.version < MIN_VERSION {
        anyhow::bail!(
            "{name} was made by an older cognito-bulk (plan format {}, this build reads {MIN_VERSION} to {VERSION}): run plan again",
            header.version
        );
    }
    let file = crate::files::open_regular(path)?;
    let mut lines = BufReader::new(file).split(b'\n');
    let (mut entries, mut digest) = (0u64, Sha256::new());
    // The header is covered too: a plan aimed at another pool or input by hand is refused.
    if let Some(first) = lines.next() {
        digest.update(first.map_err(|e| anyhow::anyhow!("{name}: {e}"))?);
        digest.update(b"\n");
    }
    let incomplete = || {
        anyhow::anyhow!(
            "{name} is incomplete: it has no end marker (a plan cut short by a full disk or an \
             interrupt, or made by an older cognito-bulk); run plan again"
        )
    };
    let trailer = loop {
        let Some(line) = lines.next() else {
            return Err(incomplete());
        };
        let line = line.map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
        if is_trailer(&line) {
            let trailer: PlanTrailer = serde_json::from_slice(&line).map_err(|_| incomplete())?;
            // Byte for byte as written: a marker re-spaced by hand is an edit too.
            if serde_json::to_vec(&trailer)? != line {
                anyhow::bail!("{name}: its end marker was altered: run plan again");
            }
            break trailer;
        }
        digest.update(&line);
        digest.update(b"\n");
        entries += 1;
    };
    if lines.next().is_some() {
        anyhow::bail!("{name}: lines after the end marker; the plan was altered: run plan again");
    }
    if !ends_with_newline(path)? {
        anyhow::bail!("{name}: its last line was cut: run plan again");
    }
    if trailer.entries != entries || trailer.sha256 != hex::encode(digest.finalize()) {
        anyhow::bail!(
            "{name}: its header or entries do not match its end marker ({entries} entries, {} \
             expected): the plan was altered or damaged; run plan again",
            trailer.entries
        );
    }
    Ok(header)
}

/// Whether the file at `path` ends with a newline, as every plan written whole does.
fn ends_with_newline(path: &Path) -> anyhow::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = crate::files::open_regular(path)?;
    if file.seek(SeekFrom::End(-1)).is_err() {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}
