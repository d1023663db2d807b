//! plan.csv: what moves where.

use crate::error::InputError;
use crate::input::table::{Column, Source, Table, clean};
use crate::model::{Mode, PlanRow, ServicePlanRef, Target};
use crate::resolve::Lookups;

const USER: usize = 0;
const FROM: usize = 1;
const TO: usize = 2;
const DISABLE: usize = 3;
const ORGANIZATION: usize = 4;
const MODE: usize = 5;

const COLUMNS: &[Column] = &[
    Column {
        names: &["User"],
        required: true,
    },
    Column {
        names: &["From"],
        required: false,
    },
    Column {
        names: &["To"],
        required: true,
    },
    Column {
        names: &["Disable"],
        required: false,
    },
    Column {
        names: &["Organization"],
        required: false,
    },
    Column {
        names: &["Mode"],
        required: false,
    },
];

/// Reads and validates every plan row; returns them and the rows read.
pub fn read(source: Source, lookups: &mut Lookups) -> Result<(Vec<PlanRow>, u64), InputError> {
    let mut table = Table::open(source, COLUMNS)?;
    let mut rows = Vec::new();
    while table.next_row()? {
        let user = table.get(USER);
        if user.is_empty() {
            return Err(table.error(USER, "the `User` cell is empty: give a user principal name, or `*` for every holder of `From`"));
        }
        let to = table.get(TO);
        if to.is_empty() {
            return Err(table.error(
                TO,
                "the `To` cell is empty: every plan row needs the product to move to",
            ));
        }
        let from = Some(table.get(FROM)).filter(|f| !f.is_empty());
        let target = if user == "*" {
            if from.is_none() {
                return Err(table.error(
                    FROM,
                    "a `*` row needs `From`: it applies to every user who holds that product",
                ));
            }
            Target::Holders {
                organization: Some(table.get(ORGANIZATION))
                    .filter(|o| !o.is_empty())
                    .map(str::to_string),
            }
        } else {
            Target::Named(user.to_string())
        };
        let mode = match table.get(MODE).to_ascii_lowercase().as_str() {
            "" | "swap" => Mode::Swap,
            "replace-all" => Mode::ReplaceAll,
            other => {
                return Err(table.error(
                    MODE,
                    format!("unknown mode `{other}`: use `swap` (the default) or `replace-all`"),
                ));
            }
        };
        let mut disable: Vec<ServicePlanRef> = Vec::new();
        for text in table
            .get(DISABLE)
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
