//! `replan generate`: a realistic synthetic tenant (the input files) of N users
//! over K organizations, the same bytes for the same seed. It is how anyone tries
//! the tool at scale, and how the benchmark makes its data. Most users have an
//! object id and most pools a SkuId, so that both kinds of Graph request url and
//! every source of SKU ids occur. Its users.csv comes in two shapes: replan's own
//! columns, or the admin center's 28-column export with realistic values in the
//! columns replan ignores.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::error::Error;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    pub users: u64,
    pub organizations: u32,
    pub seed: u64,
    pub shape: Shape,
}

/// The columns of users.csv. Both shapes hold the same users with the same
/// licenses, so that the rest of the tenant is the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Shape {
    /// Display name, principal name, usage location, sign-in, licenses, disabled
    /// plans and group licenses.
    #[default]
    Generate,
    /// The admin center's current **Export users** file: 28 columns, UTF-8 with a
    /// BOM, CRLF; no disabled plans or group licenses.
    AdminCenter,
}

/// A small deterministic generator (SplitMix64): the same stream for a seed on every
/// platform and every version of replan, which a general-purpose RNG crate does not
/// promise across its own versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability `percent`/100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The products in the mix: SKU part number, display name (as the admin center's
/// user export writes it), and the share of users whose main license it is.
const MAIN: [(&str, &str, u64); 6] = [
    (
        "O365_BUSINESS_PREMIUM",
        "Microsoft 365 Business Standard",
        45,
    ),
    (
        "O365_BUSINESS_ESSENTIALS",
        "Microsoft 365 Business Basic",
        20,
    ),
    ("SPB", "Microsoft 365 Business Premium", 12),
    ("ENTERPRISEPACK", "Office 365 E3", 12),
    ("SPE_E3", "Microsoft 365 E3", 6),
    ("O365_BUSINESS", "Microsoft 365 Apps for business", 5),
];
const VISIO: (&str, &str) = ("VISIOCLIENT", "Visio Plan 2");
const POWER_BI: (&str, &str) = ("POWER_BI_PRO", "Power BI Pro");
const EMS: (&str, &str) = ("EMSPREMIUM", "Enterprise Mobility + Security E5");
/// The SKU ids of the products above, in the same order (Microsoft's table), as
/// Get-MgSubscribedSku's `SkuId` gives them.
const SKU_IDS: [&str; 9] = [
    "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
    "3b555118-da6a-4418-894f-7df1e2096870",
    "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
    "6fd2c87f-b296-42f0-b197-1e91e994b900",
    "05e9a617-0261-4cee-bb44-138d3ef5d965",
    "cdd28e44-67e3-425e-be4c-737fab2899d3",
    "c5928f49-12ba-48f7-ada3-0d743a3601d5",
    "f8a1db68-be16-40ed-86d5-cb42ce701560",
    "b05e124f-c7cc-45a0-a6aa-8cf78c946968",
];

const COMPANIES: [&str; 12] = [
    "contoso",
    "fabrikam",
    "northwind",
    "tailspintoys",
    "wingtiptoys",
    "adventure-works",
    "litwareinc",
    "proseware",
    "woodgrove",
    "alpineskihouse",
    "blueyonder",
    "coho",
];
const FIRST: [&str; 16] = [
    "adele",
    "alex",
    "diego",
    "grady",
    "henrietta",
    "isaiah",
    "johanna",
    "joni",
    "lee",
    "lidia",
    "lynne",
    "megan",
    "miriam",
    "nestor",
    "patti",
    "pradeep",
];
const LAST: [&str; 12] = [
    "vance",
    "wilber",
    "siciliani",
    "archie",
    "mueller",
    "langer",
    "lauer",
    "sherman",
    "gu",
    "holloway",
    "robinson",
    "bowen",
];
const COUNTRIES: [&str; 8] = ["US", "GB", "FR", "DE", "NL", "ES", "CA", "AU"];
const DISABLED: [&str; 4] = [
    "YAMMER_ENTERPRISE",
    "SWAY",
    "FORMS_PLAN_E1",
    "YAMMER_ENTERPRISE;SWAY",
];

fn domain(org: u32) -> String {
    let company = COMPANIES[org as usize % COMPANIES.len()];
    match org as usize / COMPANIES.len() {
        0 => format!("{company}.com"),
        n => format!("{company}{n}.com"),
    }
}

/// Writes users.csv, subscriptions.csv, plan.csv, domains.csv and prices.csv into `out`.
pub fn generate(spec: &Spec, out: &Path) -> Result<(), Error> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    fs::create_dir_all(out).map_err(fail(out))?;
    let orgs = spec.organizations.max(1);
    let mut rng = Rng(spec.seed);
    // Object ids come from a stream of their own: the rest of the tenant is the
    // same as before they were added.
    let mut ids = Rng(spec.seed ^ 0x0b1e_c71d_0000_0000);
    // holders[org][product]: users holding each product, for subscriptions.csv.
    let products = MAIN.len() + 3;
    let mut holders = vec![vec![0u64; products]; orgs as usize];
    let mut named: Vec<(String, usize)> = Vec::new();

    let users_path = out.join("users.csv");
    let mut users = writer(&users_path).map_err(fail(&users_path))?;
    let mut line = String::with_capacity(256);
    // The admin center's columns come from a stream of their own: the rest of the
    // tenant is the same in both shapes.
    let mut admin = AdminCenter::new(spec.seed);
    let header: &[u8] = match spec.shape {
        Shape::Generate => b"Display name,User principal name,Object Id,Usage location,Block credential,Licenses,Disabled plans,Group licenses\n",
        Shape::AdminCenter => ADMIN_CENTER_HEADER,
    };
    users.write_all(header).map_err(fail(&users_path))?;
    for i in 0..spec.users {
        let org = (i % u64::from(orgs)) as u32;
        let (first, last) = (*rng.pick(&FIRST), *rng.pick(&LAST));
        let sub = if rng.percent(5) { "eu." } else { "" };
        let upn = format!("{first}.{last}{i}@{sub}{}", domain(org));
        let roll = rng.below(100);
        let mut acc = 0;
        // The main license decides which plan row fits the user.
        let main = MAIN
            .iter()
            .position(|(_, _, share)| {
                acc += share;
                roll < acc
            })
            .unwrap_or(0);
        let mut licenses = vec![main];
        if rng.percent(6) {
            licenses.push(MAIN.len());
        }
        let group_bi = rng.percent(4);
        if rng.percent(10) || group_bi {
            licenses.push(MAIN.len() + 1);
        }
        if main == 3 && rng.percent(30) {
            licenses.push(MAIN.len() + 2);
        }
        let unlicensed = rng.percent(2);
        for &l in &licenses {
            if !unlicensed {
                holders[org as usize][l] += 1;
            }
        }
        let names: Vec<&str> = licenses.iter().map(|&l| display(l)).collect();
        line.clear();
        line.push_str(&format!(
            "{} {},{upn},",
            capitalize(first),
            capitalize(last)
        ));
        // Nine in ten users have an object id (accounts made elsewhere, or an
        // export without the column, have none).
        let id_at = line.len();
        if ids.percent(90) {
            object_id(&mut ids, &mut line);
        }
        let id = id_at..line.len();
        line.push(',');
        let country = (!rng.percent(2)).then(|| *rng.pick::<&str>(&COUNTRIES));
        line.push_str(country.unwrap_or_default());
        line.push(',');
        let blocked = rng.percent(2);
        line.push_str(if blocked { "True" } else { "False" });
        line.push(',');
        let licensed = if unlicensed {
            "Unlicensed".to_string()
        } else {
            names.join("+")
        };
        line.push_str(&licensed);
        line.push(',');
        if rng.percent(5) {
            line.push_str(&format!("\"{}\"", rng.pick(&DISABLED)));
        }
        line.push(',');
        if group_bi && !unlicensed {
            line.push_str(POWER_BI.1);
        }
        line.push('\n');
        if spec.shape == Shape::AdminCenter {
            let id = line.get(id).unwrap_or_default().to_string();
            let user = User {
                first,
                last,
                upn: &upn,
                object_id: &id,
                org,
                country,
                blocked,
                licenses: &licensed,
            };
            admin.row(&user, &mut line);
        }
        users
            .write_all(line.as_bytes())
            .map_err(fail(&users_path))?;
        // Some users get a row of their own in the plan.
        if !unlicensed && rng.percent(3) {
            named.push((upn, main));
        }
    }
    users.flush().map_err(fail(&users_path))?;

    let subs_path = out.join("subscriptions.csv");
    let mut subs = writer(&subs_path).map_err(fail(&subs_path))?;
    subs.write_all(b"Organization,Product,SkuId,Status,Total licenses,Assigned licenses\n")
        .map_err(fail(&subs_path))?;
    for org in 0..orgs {
        let held = &holders[org as usize];
        for (l, &count) in held.iter().enumerate() {
            let spare = count / 10 + rng.below(5);
            // The target of the move: enough seats for the Business Standard users in
            // most organizations, a few short of it in some.
            let total = if l == 2 {
                let movers = held[0];
                if org % 7 == 3 {
                    count + movers * 9 / 10
                } else {
                    count + movers + spare
                }
            } else {
                count + spare
            };
            let status = if l == 4 && org % 11 == 5 {
                "Warning"
            } else {
                "Active"
            };
            // Every third organization's export has no SkuId: the catalog gives it.
            let sku_id = if org % 3 == 2 { "" } else { SKU_IDS[l] };
            writeln!(
                subs,
                "{},{},{sku_id},{status},{total},{count}",
                domain(org),
                part(l)
            )
            .map_err(fail(&subs_path))?;
        }
    }
    subs.flush().map_err(fail(&subs_path))?;

    let domains_path = out.join("domains.csv");
    let mut domains = writer(&domains_path).map_err(fail(&domains_path))?;
    domains
        .write_all(b"Organization,Domain\n")
        .map_err(fail(&domains_path))?;
    for org in 0..orgs {
        let d = domain(org);
        let tenant = d.trim_end_matches(".com").replace('-', "");
        writeln!(domains, "{d},{d}\n{d},{tenant}.onmicrosoft.com").map_err(fail(&domains_path))?;
    }
    domains.flush().map_err(fail(&domains_path))?;

    let plan_path = out.join("plan.csv");
    let mut plan = writer(&plan_path).map_err(fail(&plan_path))?;
    plan.write_all(b"User,From,To,Disable,Organization,Mode\n")
        .map_err(fail(&plan_path))?;
    // Named rows first: they win over the `*` rows below whatever their position.
    for (n, (upn, main)) in named.iter().enumerate() {
        let row = match (main, n % 4) {
            // Now and then a row whose From the user does not hold.
            _ if n % 50 == 49 => format!("{upn},Office 365 E3,SPE_E3,,,"),
            (0, 0 | 1) => format!("{upn},Microsoft 365 Business Standard,SPE_E3,,,"),
            (0, 2) => format!("{upn},O365_BUSINESS_PREMIUM,O365_BUSINESS,,,"),
            (0, _) => format!("{upn},O365_BUSINESS_PREMIUM,SPB,MCOSTANDARD,,"),
            (1, 0 | 1) => format!("{upn},,POWER_BI_PRO,,,"),
            (1, _) => format!("{upn},Microsoft 365 Business Basic,SPB,,,"),
            (2, 0) => format!("{upn},SPB,SPE_E5,,,"),
            (2, _) => format!("{upn},SPB,SPE_E3,,,"),
            (3, _) => format!("{upn},ENTERPRISEPACK,Microsoft 365 E3,,,replace-all"),
            (4, _) => format!("{upn},SPE_E3,ENTERPRISEPACK,,,"),
            _ => format!("{upn},O365_BUSINESS,O365_BUSINESS_PREMIUM,,,"),
        };
        writeln!(plan, "{row}").map_err(fail(&plan_path))?;
    }
    for missing in 0..(spec.users / 10_000).max(1) {
        writeln!(
            plan,
            "former.employee{missing}@{},O365_BUSINESS_PREMIUM,SPB,,,",
            domain(0)
        )
        .map_err(fail(&plan_path))?;
    }
    for org in 0..orgs {
        writeln!(
            plan,
            "*,Microsoft 365 Business Standard,SPB,{},{},",
            // Some organizations switch Viva Engage off: a downgrade for its users.
            if org % 5 == 4 {
                "YAMMER_ENTERPRISE"
            } else {
                ""
            },
            domain(org)
        )
        .map_err(fail(&plan_path))?;
    }
    writeln!(
        plan,
        "*,Microsoft 365 Business Basic,O365_BUSINESS_PREMIUM,,,"
    )
    .map_err(fail(&plan_path))?;
    writeln!(plan, "*,EXCHANGESTANDARD,O365_BUSINESS_ESSENTIALS,,,").map_err(fail(&plan_path))?;
    plan.flush().map_err(fail(&plan_path))?;

    let prices_path = out.join("prices.csv");
    write_prices(&prices_path, orgs).map_err(fail(&prices_path))?;
    Ok(())
}

/// What each product costs per license per month, in US dollars and in euros
/// (roughly Microsoft's list prices), in the order of [`part`].
const PRICES: [(&str, &str); 9] = [
    ("12.50", "11.70"),
    ("6.00", "5.60"),
    ("22.00", "20.60"),
    ("23.00", "21.60"),
    ("36.00", "33.70"),
    ("8.25", "7.70"),
    ("15.00", "14.00"),
    ("14.00", "13.10"),
    ("16.40", "15.40"),
];

/// prices.csv: the dollar prices for every organization, and euro prices of its
/// own for every fourth organization (a customer billed in euros).
fn write_prices(path: &Path, orgs: u32) -> io::Result<()> {
    let mut prices = writer(path)?;
    prices.write_all(b"Product,Price,Currency,Organization\n")?;
    for (l, (usd, _)) in PRICES.iter().enumerate() {
        writeln!(prices, "{},{usd},USD,", part(l))?;
    }
    for org in (1..orgs).step_by(4) {
        for (l, (_, eur)) in PRICES.iter().enumerate() {
            writeln!(prices, "{},{eur},EUR,{}", part(l), domain(org))?;
        }
    }
    prices.flush()
}

fn writer(path: &Path) -> io::Result<io::BufWriter<fs::File>> {
    Ok(io::BufWriter::with_capacity(
        1 << 16,
        fs::File::create(path)?,
    ))
}

fn display(l: usize) -> &'static str {
    match l.checked_sub(MAIN.len()) {
        None => MAIN[l].1,
        Some(0) => VISIO.1,
        Some(1) => POWER_BI.1,
        Some(_) => EMS.1,
    }
}

fn part(l: usize) -> &'static str {
    match l.checked_sub(MAIN.len()) {
        None => MAIN[l].0,
        Some(0) => VISIO.0,
        Some(1) => POWER_BI.0,
        Some(_) => EMS.0,
    }
}

/// A random object id, lowercase as Entra writes it, appended to `line`.
fn object_id(rng: &mut Rng, line: &mut String) {
    use std::fmt::Write as _;
    let (a, b) = (rng.next(), rng.next());
    let _ = write!(
        line,
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    );
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The admin center's current **Users > Active users > Export users** header, BOM
/// and line end included.
const ADMIN_CENTER_HEADER: &[u8] = "\u{feff}Display name,DirSyncEnabled,User principal name,Object Id,First name,Last name,When created,Soft deletion time stamp,Title,Department,Preferred data location,City,CountryOrRegion,Office,StateOrProvince,Usage location,Last dirsync time,Block credential,Licenses,Password never expires,Last password change time stamp,Mobile Phone,Phone number,Postal code,Preferred language,Street address,Fax,Proxy addresses\r\n".as_bytes();

/// What both shapes say of a user.
struct User<'a> {
    first: &'a str,
    last: &'a str,
    upn: &'a str,
    /// Empty for a user without one in the generate shape.
    object_id: &'a str,
    org: u32,
    country: Option<&'a str>,
    blocked: bool,
    licenses: &'a str,
}

/// Where a user works: usage location, country as the export names it, city,
/// state, postal code, phone prefix, language, street address.
struct Place {
    code: &'static str,
    country: &'static str,
    city: &'static str,
    state: &'static str,
    postal: &'static str,
    phone: &'static str,
    language: &'static str,
    street: &'static str,
}

const fn place(fields: [&'static str; 8]) -> Place {
    let [code, country, city, state, postal, phone, language, street] = fields;
    Place {
        code,
        country,
        city,
        state,
        postal,
        phone,
        language,
        street,
    }
}

/// One place per usage location of [`COUNTRIES`], in the same order.
const PLACES: [Place; 8] = [
    place([
        "US",
        "United States",
        "Bellevue",
        "WA",
        "98004",
        "+1 425 555",
        "en-US",
        "\"205 108th Ave. NE, Suite 400\"",
    ]),
    place([
        "GB",
        "United Kingdom",
        "Reading",
        "",
        "RG6 1WG",
        "+44 118 496",
        "en-GB",
        "Thames Valley Park",
    ]),
    place([
        "FR",
        "France",
        "Issy-les-Moulineaux",
        "",
        "92130",
        "+33 1 55",
        "fr-FR",
        "39 Quai du Président Roosevelt",
    ]),
    place([
        "DE",
        "Germany",
        "München",
        "BY",
        "80807",
        "+49 89 3176",
        "de-DE",
        "Walter-Gropius-Straße 5",
    ]),
    place([
        "NL",
        "Netherlands",
        "Schiphol",
        "",
        "1118 CZ",
        "+31 20 500",
        "nl-NL",
        "Evert van de Beekstraat 354",
    ]),
    place([
        "ES",
        "Spain",
        "Madrid",
        "",
        "28050",
        "+34 91 391",
        "es-ES",
        "\"Paseo del Club Deportivo, 1\"",
    ]),
    place([
        "CA",
        "Canada",
        "Mississauga",
        "ON",
        "L5B 2C9",
        "+1 905 555",
        "en-CA",
        "\"1950 Meadowvale Blvd, Suite 200\"",
    ]),
    place([
        "AU",
        "Australia",
        "Sydney",
        "NSW",
        "2113",
        "+61 2 8281",
        "en-AU",
        "1 Epping Road",
    ]),
];
const TITLES: [&str; 10] = [
    "Retail Manager",
    "Marketing Assistant",
    "HR Manager",
    "Accountant",
    "Director",
    "Developer",
    "\"Senior Engineer, Platform\"",
    "Sales Representative",
    "Paralegal",
    "",
];
const DEPARTMENTS: [&str; 9] = [
    "Retail",
    "Marketing",
    "HR",
    "Finance",
    "Executive Management",
    "Engineering",
    "Sales",
    "Legal",
    "",
];

/// The admin center's columns beyond the users' own, from their own stream.
struct AdminCenter {
    rng: Rng,
}

impl AdminCenter {
    fn new(seed: u64) -> AdminCenter {
        AdminCenter {
            rng: Rng(seed ^ 0xad31_4ce7_0000_0000),
        }
    }

    /// Replaces `line` with the user's row of the export.
    fn row(&mut self, user: &User, line: &mut String) {
        use std::fmt::Write as _;
        let rng = &mut self.rng;
        let place = match user.country {
            Some(code) => PLACES.iter().find(|p| p.code == code),
            None => None,
        }
        .unwrap_or_else(|| rng.pick(&PLACES));
        let synced = rng.percent(40);
        let created = stamp(rng, 2015);
        let (first, last) = (capitalize(user.first), capitalize(user.last));
        line.clear();
        // Display name, DirSyncEnabled, User principal name, Object Id.
        let _ = write!(line, "{first} {last},{},{},", capital(synced), user.upn);
        // The export has every user's object id.
        match user.object_id {
            "" => object_id(rng, line),
            id => line.push_str(id),
        }
        line.push(',');
        // First name, Last name, When created, Soft deletion time stamp, Title,
        // Department, Preferred data location.
        let _ = write!(
            line,
            "{first},{last},{created},,{},{},,",
            rng.pick(&TITLES),
            rng.pick(&DEPARTMENTS)
        );
        // City, CountryOrRegion, Office, StateOrProvince, Usage location.
        let _ = write!(
            line,
            "{},{},{}/{},{},{},",
            place.city,
            place.country,
            rng.below(40) + 1,
            rng.below(4000) + 1000,
            place.state,
            user.country.unwrap_or_default()
        );
        // Last dirsync time, Block credential, Licenses, Password never expires,
        // Last password change time stamp.
        if synced {
            let _ = write!(line, "{}", stamp(rng, 2026));
        }
        let licenses = if user.licenses.contains(',') {
            format!("\"{}\"", user.licenses)
        } else {
            user.licenses.to_string()
        };
        let _ = write!(
            line,
            ",{},{licenses},{},{},",
            capital(user.blocked),
            capital(rng.percent(5)),
            stamp(rng, 2024)
        );
        // Mobile Phone, Phone number, Postal code, Preferred language, Street
        // address, Fax.
        if rng.percent(30) {
            let _ = write!(line, "{} {:04}", place.phone, rng.below(10_000));
        }
        let _ = write!(
            line,
            ",{} {:04},{},{},{},,",
            place.phone,
            rng.below(10_000),
            place.postal,
            place.language,
            place.street
        );
        // Proxy addresses: the principal name, and the tenant's initial domain.
        let local = user.upn.split('@').next().unwrap_or_default();
        let tenant = domain(user.org);
        let tenant = tenant.trim_end_matches(".com").replace('-', "");
        let _ = write!(
            line,
            "SMTP:{}+smtp:{local}@{tenant}.onmicrosoft.com\r\n",
            user.upn
        );
    }
}

/// `True` or `False`, as the export spells them.
fn capital(yes: bool) -> &'static str {
    if yes { "True" } else { "False" }
}

/// A time stamp as the export writes it (`2022-03-18 19:52:07Z`), in the year
/// `from` or up to three years later.
fn stamp(rng: &mut Rng, from: u64) -> String {
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        from + rng.below(4),
        rng.below(12) + 1,
        rng.below(28) + 1,
        rng.below(24),
        rng.below(60),
        rng.below(60)
    )
}
