//! `--output json`: the report as one JSON document (strings kept as AWS returned them, JSON-escaped).

use std::io::{self, Write};

use super::Report;

/// Writes `report` as pretty JSON followed by a newline.
pub fn write(report: &Report, mut out: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, report).map_err(|e| match e.io_error_kind() {
        Some(kind) => io::Error::from(kind),
        None => io::Error::other(e),
    })?;
    out.write_all(b"\n")?;
    out.flush()
}
