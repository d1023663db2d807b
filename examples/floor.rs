//! The benchmark's floor: what reading replan's inputs once and writing a result
//! file costs with the csv crate alone, and nothing else.
//!
//! Usage: `floor DIR OUT_FILE --total BYTES USERS`: one row per users.csv row
//! (its first 10 cells), each padded by a last cell so that OUT_FILE holds at
//! least BYTES bytes, given that users.csv has USERS rows. The benchmark passes
//! the size of all of replan's outputs of the same run, so that the floor writes
//! at least as much as replan does.
//!
//! `floor DIR OUT_FILE ROWS [ROW_BYTES]`: the first ROWS users.csv rows copied
//! whole, each padded to about ROW_BYTES bytes if given (the earlier floors).

use std::error::Error;
use std::path::Path;

/// How many cells of a users.csv row the `--total` floor keeps (as the pandas
/// floor does).
const CELLS: usize = 10;

/// What to write for users.csv's rows.
enum Rows {
    /// Every row, its first cells, padded until the file holds `bytes`.
    Total { bytes: u64, users: u64 },
    /// The first `rows` rows whole, each padded to `row_bytes` if given.
    First { rows: u64, row_bytes: Option<u64> },
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, out, rows) = match args.as_slice() {
        [_, dir, out, flag, bytes, users] if flag == "--total" => {
            let (bytes, users) = (bytes.parse()?, users.parse()?);
            (dir, out, Rows::Total { bytes, users })
        }
        [_, dir, out, rows] => (
            dir,
            out,
            Rows::First {
                rows: rows.parse()?,
                row_bytes: None,
            },
        ),
        [_, dir, out, rows, row_bytes] => {
            let (rows, row_bytes) = (rows.parse()?, Some(row_bytes.parse()?));
            (dir, out, Rows::First { rows, row_bytes })
        }
        _ => return Err(
            "usage: floor DIR OUT_FILE --total BYTES USERS | floor DIR OUT_FILE ROWS [ROW_BYTES]"
                .into(),
        ),
    };
    let dir = Path::new(dir);
    let limit = match rows {
        Rows::Total { .. } => u64::MAX,
        Rows::First { rows, .. } => rows,
    };
    let mut padding = Vec::new();
    let mut record = csv::ByteRecord::new();
    let mut writer = csv::WriterBuilder::new().flexible(true).from_path(out)?;
    let (mut written, mut bytes) = (0, 0);
    for name in [
        "subscriptions.csv",
        "domains.csv",
        "plan.csv",
        "prices.csv",
        "users.csv",
    ] {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
        while reader.read_byte_record(&mut record)? {
            if name != "users.csv" || written >= limit {
                continue;
            }
            if matches!(rows, Rows::Total { .. }) {
                record.truncate(CELLS);
            }
            // A row's width: the bytes still to write shared by the rows still to
            // come, so that a row wider than that leaves less to the next ones.
            let width = match rows {
                Rows::Total {
                    bytes: total,
                    users,
                } => total
                    .saturating_sub(bytes)
                    .div_ceil(users.saturating_sub(written).max(1)),
                Rows::First { row_bytes, .. } => row_bytes.unwrap_or(0),
            };
            // The row's cells, their commas and the line end, then the pad.
            let used = (record.as_slice().len() + record.len() + 1) as u64;
            if width > 0 {
                padding.resize(usize::try_from(width.saturating_sub(used))?, b'x');
                record.push_field(&padding);
            }
            writer.write_byte_record(&record)?;
            bytes += used.max(width);
            written += 1;
        }
    }
    // Fewer rows than said: the rest of the bytes in one last row.
    if let Rows::Total { bytes: total, .. } = rows
        && bytes < total
    {
        let rest = vec![b'x'; usize::try_from(total - bytes)?];
        writer.write_byte_record(&csv::ByteRecord::from(vec![rest]))?;
    }
    writer.flush()?;
    Ok(())
}
