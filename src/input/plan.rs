//! plan.csv: what moves where.

use crate::error::InputError;
use crate::input::table::{Source, Table, clean, columns};
use crate::model::{Mode, PlanRow, ServicePlanRef, Target};
use crate::resolve::Lookups;

columns! {
    /// plan.csv's columns.
    enum Column {
        User: required ["User"],
        From: optional ["From"],
        To: required ["To"],
        Disable: optional ["Disable"],
        Organization: optional ["Organization"],
        Mode: optional ["Mode"],
    }
}

/// Reads and validates every plan row; returns them and the rows read.
pub fn read(source: Source, lookups: &mut Lookups) -> Result<(Vec<PlanRow>, u64), InputError> {
    let mut table = Table::open::<Column>(source)?;
    let mut rows = Vec::new();
    while table.next_row()? {
        let user = table.get(Column::User);
        if user.is_empty() {
            return Err(table.error(Column::User, "the `User` cell is empty: give a user principal name, or `*` for every holder of `From`"));
        }
        let to = table.get(Column::To);
        if to.is_empty() {
            return Err(table.error(
                Column::To,
                "the `To` cell is empty: every plan row needs the product to move to",
            ));
        }
        let from = Some(table.get(Column::From)).filter(|f| !f.is_empty());
        let target = if user == "*" {
            if from.is_none() {
                return Err(table.error(
                    Column::From,
                    "a `*` row needs `From`: it applies to every user who holds that product",
                ));
            }
            Target::Holders {
                organization: Some(table.get(Column::Organization))
                    .filter(|o| !o.is_empty())
                    .map(str::to_string),
            }
        } else {
            Target::Named(user.to_string())
        };
        let mode = match table.get(Column::Mode).to_ascii_lowercase().as_str() {
            "" | "swap" => Mode::Swap,
            "replace-all" => Mode::ReplaceAll,
            other => {
                return Err(table.error(
                    Column::Mode,
                    format!("unknown mode `{other}`: use `swap` (the default) or `replace-all`"),
                ));
            }
        };
        let mut disable: Vec<ServicePlanRef> = Vec::new();
        for text in table
            .get(Column::Disable)
            .split(';')
            .map(clean)
            .filter(|t| !t.is_empty())
        {
            let plan = lookups.service_plan(text);
            if !disable.contains(&plan) {
                disable.push(plan);
            }
        }
        rows.push(PlanRow {
            line: table.line(),
            target,
            from_lookup: from.map(|f| lookups.get(f).clone()),
            to_lookup: lookups.get(to).clone(),
            from: from.map(str::to_string),
            to: to.to_string(),
            disable,
            mode,
        });
    }
    let count = table.rows();
    Ok((rows, count))
}
