//! The benchmark's floor: what reading replan's inputs and writing a result file of
//! the same number of rows costs with the csv crate alone, and nothing else.
//! Usage: floor DIR OUT_FILE ROWS [ROW_BYTES]
//!
//! Each output row is a copy of a users.csv row. With ROW_BYTES, a last cell pads
//! it to about that many bytes: the bytes result.csv holds, so that the floor
//! writes as much as replan has to (result.csv's rows are twice as wide as
//! users.csv's).

use std::error::Error;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (dir, out, rows, row_bytes) = match args.as_slice() {
        [_, dir, out, rows] => (dir, out, rows, None),
        [_, dir, out, rows, row_bytes] => (dir, out, rows, Some(row_bytes.parse::<usize>()?)),
        _ => return Err("usage: floor DIR OUT_FILE ROWS [ROW_BYTES]".into()),
    };
    let (dir, rows): (&Path, u64) = (Path::new(dir), rows.parse()?);
    let padding = vec![b'x'; row_bytes.unwrap_or(0)];
    let mut record = csv::ByteRecord::new();
    let mut writer = csv::Writer::from_path(out)?;
    let mut written = 0;
    for name in ["subscriptions.csv", "domains.csv", "plan.csv", "users.csv"] {
        let path = dir.join(name);
        if !path.exists() {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(path)?;
        while reader.read_byte_record(&mut record)? {
            // One output row per planned user: a copy of a users.csv row.
            if name == "users.csv" && written < rows {
                if row_bytes.is_some() {
                    // The row's cells, their commas and the line end, then the pad.
                    let used = record.as_slice().len() + record.len() + 1;
                    record.push_field(&padding[..padding.len().saturating_sub(used)]);
                }
                writer.write_byte_record(&record)?;
                written += 1;
            }
        }
    }
    writer.flush()?;
    Ok(())
}
