//! The benchmark's floor: what reading replan's inputs and writing a result file of
//! the same number of rows costs with the csv crate alone, and nothing else.
//! Usage: floor DIR OUT_FILE ROWS

use std::error::Error;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, out, rows] = args.as_slice() else {
        return Err("usage: floor DIR OUT_FILE ROWS".into());
    };
    let (dir, rows): (&Path, u64) = (Path::new(dir), rows.parse()?);
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
                writer.write_byte_record(&record)?;
                written += 1;
            }
        }
    }
    writer.flush()?;
    Ok(())
}
