//! users.csv: one row per user, with the licenses they hold.

use crate::error::InputError;
use crate::guid::Guid;
use std::sync::mpsc;

use csv::{ByteRecord, StringRecord};
use indicatif::ProgressBar;

use crate::input::table::{Header, Row, Scratch, Source, Table, clean, columns};
use crate::input::unknown::{self, Unknowns};
use crate::input::{split_products, yes_no};
use crate::model::{
    Duplicate, Held, Names, OrgId, Orgs, Pools, ProductId, Products, ServicePlanRef,
    UnknownLicense, User, Users,
};
use crate::resolve::Lookups;

columns! {
    /// users.csv's columns.
    enum Column {
        Upn: required ["User principal name", "UserPrincipalName", "UPN"],
        // Required: without it every user would look unlicensed.
        Licenses: required [
            "Licenses",
            "AssignedLicenses",
            "License",
            "Assigned licenses",
            "LicenseAssignment",
        ],
        UsageLocation: optional ["Usage location", "UsageLocation"],
        Blocked: optional ["Block credential", "BlockCredential"],
        Enabled: optional ["AccountEnabled"],
        DisabledPlans: optional ["Disabled plans", "DisabledPlans"],
        GroupLicenses: optional ["Group licenses", "LicensesFromGroups"],
        ObjectId: optional ["Object Id", "ObjectId", "Id"],
    }
}

/// What users.csv holds.
pub struct Read {
    pub users: Users,
    pub names: Names,
    /// Data rows read.
    pub rows: u64,
    /// Input that is usable but suspicious, for stderr.
    pub warnings: Vec<String>,
    /// Licenses that resolve to no product, held by the most users first.
    pub unknown: Vec<UnknownLicense>,
}

/// Reads every user.
pub fn read(
    source: Source,
    lookups: &mut Lookups,
    orgs: &Orgs,
    pools: &Pools,
    products: &mut Products,
    progress: &ProgressBar,
) -> Result<Read, InputError> {
    // Rarely under 64 bytes a row in an export: room for the users without regrowing.
    let size = source.len();
    let mut table = Table::open::<Column>(source)?;
    let mut builder = Builder {
        lookups,
        orgs,
        pools,
        products,
        users: Users::with_capacity((size / 64).min(1 << 26) as usize),
        licenses: Vec::new(),
        disabled: Vec::new(),
        type_names: None,
        joined: None,
        unknown: Unknowns::default(),
        lines: Lines::default(),
    };
    if rayon::current_num_threads() < 2 {
        while table.next_row()? {
            builder.add(table.row())?;
            if table.rows() % BATCH as u64 == 0 {
                progress.set_position(table.row().byte());
            }
        }
        let rows = table.rows();
        return builder.finish(table.header(), rows);
    }
    // Reading the CSV and building the users take about as long as each other: a
    // thread reads batches of rows, and admits them as text (UTF-8, limits, widths),
    // while this one builds users from the last batch.
    let header = table.header().clone();
    std::thread::scope(|scope| {
        let (full_tx, full_rx) =
            mpsc::sync_channel::<Result<(Vec<StringRecord>, usize), InputError>>(2);
        let (empty_tx, empty_rx) = mpsc::channel::<Vec<StringRecord>>();
        scope.spawn(move || {
            let (mut raw, mut scratch) = (ByteRecord::new(), Scratch::default());
            loop {
                let mut batch = empty_rx
                    .try_recv()
                    .unwrap_or_else(|_| vec![StringRecord::new(); BATCH]);
                let mut n = 0;
                // Where the batch stops short: the end of the file, or an error.
                let mut end = None;
                while let Some(row) = batch.get_mut(n) {
                    let admitted = match table.next_raw(&mut raw) {
                        Ok(true) => table.header().admit(&mut raw, row, &mut scratch),
                        Ok(false) => {
                            end = Some(Ok(()));
                            break;
                        }
                        Err(err) => Err(err),
                    };
                    match admitted {
                        Ok(true) => n += 1,
                        // A blank row: skipped, its slot takes the next one.
                        Ok(false) => {}
                        Err(err) => {
                            end = Some(Err(err));
                            break;
                        }
                    }
                }
                // The rows before an error are built first: theirs come first.
                // A closed channel means the builder stopped at an error: stop too.
                if full_tx.send(Ok((batch, n))).is_err() {
                    return;
                }
                if let Some(end) = end {
                    if let Err(err) = end {
                        let _ = full_tx.send(Err(err));
                    }
                    return;
                }
            }
        });
        let mut rows = 0;
        for message in full_rx {
            let (batch, n) = message?;
            for record in batch.iter().take(n) {
                rows += 1;
                builder.add(header.row(record))?;
            }
            if let Some(last) = batch.get(..n).and_then(<[_]>::last) {
                progress.set_position(header.row(last).byte());
            }
            let _ = empty_tx.send(batch);
        }
        builder.finish(&header, rows)
    })
}

/// The line of every user, kept as the few places where the next user is not on
/// the next line (after a blank line or a cell over several lines): 8 bytes a user
/// would be 80 MB at 10M, for an error message.
#[derive(Default)]
struct Lines {
    /// (user, line), for the first user and each user not on the line after the last.
    breaks: Vec<(u32, u64)>,
    last: u64,
    users: u32,
}

impl Lines {
    fn push(&mut self, line: u64) {
        if self.users == 0 || line != self.last + 1 {
            self.breaks.push((self.users, line));
        }
        self.last = line;
        self.users += 1;
    }

    fn of(&self, user: u32) -> u64 {
        let at = self.breaks.partition_point(|&(u, _)| u <= user);
        at.checked_sub(1)
            .and_then(|i| self.breaks.get(i))
            .map_or(0, |&(u, line)| line + u64::from(user - u))
    }
}

/// What Export-Csv writes for a property that is an object, not text
/// (`System.Object[]`, `Microsoft.Graph.PowerShell.Models…[]`).
fn is_type_name(cell: &str) -> bool {
    cell.starts_with("System.") || cell.starts_with("Microsoft.Graph.")
}

/// Rows handed from the parsing thread to the building one at a time.
const BATCH: usize = 1024;

/// Builds [`Users`] row by row.
struct Builder<'a, 'c> {
    lookups: &'a mut Lookups<'c>,
    orgs: &'a Orgs,
    pools: &'a Pools,
    products: &'a mut Products,
    users: Users,
    /// Buffers reused from row to row.
    licenses: Vec<Held>,
    disabled: Vec<ServicePlanRef>,
    /// Licenses cells that hold a PowerShell type name: the first, and how many.
    type_names: Option<(String, u64)>,
    /// Licenses cells joined with `;` or `,` and read as several: the first, and
    /// how many.
    joined: Option<(String, u64)>,
    unknown: Unknowns,
    /// The line of each user, to name the second of two users of one name.
    lines: Lines,
}

impl Builder<'_, '_> {
    fn add(&mut self, row: Row<'_>) -> Result<(), InputError> {
        let upn = row.get(Column::Upn);
        if upn.is_empty() {
            return Err(row.empty_error(Column::Upn));
        }
        let object_id = match row.get(Column::ObjectId) {
            "" => None,
            cell => Some(
                Guid::parse(cell)
                    .filter(|id| !id.is_nil())
                    .ok_or_else(|| row.error(Column::ObjectId, format!("`{cell}` is not an object id: Entra gives each user a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) as `Object Id` (admin center) or `Id` (Get-MgUser); leave the cell empty if it is not known")))?,
            ),
        };
        let org = self.orgs.of_user(upn);
        self.licenses.clear();
        let cell = row.get(Column::Licenses);
        if is_type_name(cell) {
            let first = || {
                let at = row.column_number(Column::Licenses);
                format!("{}:{at}: `{cell}`", row.line())
            };
            self.type_names.get_or_insert_with(|| (first(), 0)).1 += 1;
        }
        if !cell.eq_ignore_ascii_case("unlicensed") {
            self.hold_cell(&row, Column::Licenses, org, false)?;
        }
        // Licenses lists those from groups too; one missing there is added, not lost.
        self.hold_cell(&row, Column::GroupLicenses, org, true)?;
        self.unknown
            .add(&self.licenses, upn, self.products, self.pools);
        // Empty means not blocked; AccountEnabled says the opposite of Block credential.
        let blocked = match (row.get(Column::Blocked), row.get(Column::Enabled)) {
            ("", "") => false,
            ("", enabled) => !yes_no(enabled).ok_or_else(|| bool_error(&row, Column::Enabled))?,
            (blocked, _) => yes_no(blocked).ok_or_else(|| bool_error(&row, Column::Blocked))?,
        };
        self.disabled.clear();
        for text in row
            .get(Column::DisabledPlans)
            .split(';')
            .map(clean)
            .filter(|t| !t.is_empty())
        {
            let plan = self.lookups.service_plan(text);
            if !self.disabled.contains(&plan) {
                self.disabled.push(plan);
            }
        }
        let user = User {
            org,
            licenses: &self.licenses,
            disabled: &self.disabled,
            usage_location: !row.get(Column::UsageLocation).is_empty(),
            blocked,
        };
        self.users.add(upn, object_id, user);
        self.lines.push(row.line());
        Ok(())
    }

    /// The users, once no principal name is listed twice.
    fn finish(self, header: &Header, rows: u64) -> Result<Read, InputError> {
        let file = header.file();
        let unknown = self.unknown.finish(self.products, self.lookups.catalog());
        let type_names = self.type_names.iter().map(|(first, n)| {
            format!(
                "{file}:{first} is a PowerShell type name, not a license ({n} users): the export selected AssignedLicenses as it is; make a Licenses column of SKU part numbers (see README, Accepted exports)"
            )
        });
        let joined = self.joined.iter().map(|(first, n)| {
            format!(
                "{file}:{first} lists products joined with `;` or `,` instead of `+`: each part is read as a license ({} read that way)",
                if *n == 1 { "1 cell".to_string() } else { format!("{n} cells") }
            )
        });
        let warnings = type_names
            .chain(joined)
            .chain(unknown::warning(file, &unknown))
            .collect();
        match self.users.seal() {
            (users, Ok(names)) => Ok(Read {
                users,
                names,
                rows,
                warnings,
                unknown,
            }),
            (users, Err(Duplicate { earlier, later })) => {
                Err(header.error_at(
                    self.lines.of(later),
                    Column::Upn,
                    format!(
                        "the user `{}` is listed twice, first on line {} (user principal names compare ignoring case): users.csv has one row per user, their licenses joined with `+` in one cell",
                        users.upn(later),
                        self.lines.of(earlier)
                    ),
                ))
            }
        }
    }

    /// Adds the licenses of one cell (`column`) to the row's user, and counts
    /// it when it was a list joined with `;` or `,`.
    fn hold_cell(
        &mut self,
        row: &Row<'_>,
        column: Column,
        org: Option<OrgId>,
        via_group: bool,
    ) -> Result<(), InputError> {
        let cell = row.get(column);
        let mut joined = false;
        let mut fits = true;
        for text in split_products(cell) {
            let licenses = &mut self.licenses;
            joined |=
                self.lookups
                    .licenses(self.pools, self.products, text, org, |product, named| {
                        fits &= Held::fits(product);
                        hold(licenses, product, via_group, named);
                    });
        }
        if !fits {
            return Err(row.error(
                column,
                format!(
                    "more than {} different license names in users.csv",
                    Held::MAX_PRODUCTS
                ),
            ));
        }
        if joined {
            let first = || format!("{}:{}: `{cell}`", row.line(), row.column_number(column));
            self.joined.get_or_insert_with(|| (first(), 0)).1 += 1;
        }
        Ok(())
    }
}

/// Adds a license to a user's; one listed twice counts once (named by the first
/// of the catalog's SKU ids for it that it is named by, if any).
fn hold(licenses: &mut Vec<Held>, product: ProductId, via_group: bool, named: Option<u8>) {
    match licenses.iter_mut().find(|h| h.product() == product) {
        Some(held) => {
            let named = held.named().or(named);
            *held = Held::new(product, held.via_group() || via_group).named_by(named);
        }
        None => licenses.push(Held::new(product, via_group).named_by(named)),
    }
}

/// A cell of a yes/no column that is neither, named with its column.
fn bool_error(row: &Row<'_>, column: Column) -> InputError {
    row.error(
        column,
        format!(
            "`{}` in column `{}` is not a yes/no value (true, false, yes, no, 1, 0, $true, $false or empty)",
            row.get(column),
            row.column_name(column)
        ),
    )
}
