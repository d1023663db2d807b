//! SPEC.md revision 5's file formats, each on a small file written as the real
//! thing comes: Excel's "Unicode Text" (UTF-16LE, tabs), Excel's `sep=` line, the
//! delimiter detected from the header, non-breaking spaces inside cells,
//! PowerShell's `$True`/`$False`, and every missing required column in one message.

use crate::util::{Case, Outcome, PLAN, SUBS};

/// UTF-16LE with its byte order mark, as Excel and PowerShell write it.
fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// Lines joined with CRLF, the last one ended too.
fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

const CONTOSO_SUBS: [&str; 3] = [
    SUBS,
    "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
    "contoso.com,SPB,Active,5,0",
];

/// Asserts exit 2 with `place` and every one of `words` in the message, and that
/// nothing was written (the case's output folder must not exist before).
#[track_caller]
fn refused_with(out: &Outcome, place: &str, words: &[&str]) {
    out.assert_exit(2);
    let missing: Vec<&&str> = std::iter::once(&place)
        .chain(words)
        .filter(|w| !out.stderr.contains(**w))
        .collect();
    assert!(
        missing.is_empty(),
        "the message lacks {missing:?}\n{}",
        out.describe()
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
}

/// Excel's "Save as Unicode Text" of an admin center export: UTF-16LE with BOM,
/// tab-delimited, CRLF, a cell holding commas left unquoted.
#[test]
fn excel_unicode_text_users_export_utf16le_tab_delimited() {
    let users = crlf(&[
        "Display name\tUser principal name\tObject Id\tUsage location\tBlock credential\tLicenses",
        "Adele Vance\tAdeleV@contoso.com\t3b85a424-5cb5-41ea-b667-8b5c2d7311a2\tUS\tFalse\tMicrosoft 365 Business Standard",
        "Alex Wilber\tAlexW@contoso.com\t29e977df-aa7a-4c1f-802e-7da4e34eafdc\tUS\tTrue\tMicrosoft 365 Business Standard+Windows 365 Business 16 vCPU, 64 GB, 512 GB",
    ]);
    let case = Case::new()
        .bytes("users.csv", utf16le_bom(&users))
        .subscriptions(&CONTOSO_SUBS)
        .plan(&[
            "User,From,To",
            "*,Microsoft 365 Business Standard,Microsoft 365 Business Premium",
        ]);
    let out = case.run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &[
            "user",
            "status",
            "codes",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &[
                "AdeleV@contoso.com",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
            ],
            &[
                "AlexW@contoso.com",
                "reassigned",
                "sign-in-blocked",
                "O365_BUSINESS_PREMIUM+Windows_365_Business_16_vCPU,_64_GB,_512_GB",
                "Windows_365_Business_16_vCPU,_64_GB,_512_GB+SPB",
            ],
        ],
    );
    assert_eq!(out.summary()["inputs"]["users"], 2);
    // A bad cell in the tab file is located by line and column.
    let bad = users.replace("\tTrue\t", "\tmaybe\t");
    let case = case.bytes("users.csv", utf16le_bom(&bad));
    std::fs::remove_dir_all(case.out()).unwrap();
    let out = case.run(&[]);
    refused_with(&out, "users.csv:3:5:", &["`Block credential`", "`maybe`"]);
}

/// A tab-delimited UTF-8 file: the header holds more tabs than commas.
#[test]
fn tab_delimited_utf8_files_are_detected_from_the_header() {
    let out = Case::new()
        .users(&[
            "User principal name\tUsage location\tLicenses",
            "ann@contoso.com\tUS\tMicrosoft 365 Business Standard",
        ])
        .subscriptions(&[
            "Organization\tProduct\tTotal\tAssigned",
            "contoso.com\tO365_BUSINESS_PREMIUM\t5\t1",
            "contoso.com\tSPB\t5\t0",
        ])
        .plan(&[
            "User\tFrom\tTo",
            "ann@contoso.com\tO365_BUSINESS_PREMIUM\tSPB",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com")
        .check(&[("status", "reassigned"), ("licenses_after", "SPB")]);
}

/// The delimiter is the most frequent of `,`, `;` and tab in the header line; on
/// a tie `,`, then `;`.
#[test]
fn the_most_frequent_delimiter_of_the_header_wins_commas_first_on_a_tie() {
    let case = || {
        Case::new()
            .subscriptions(&CONTOSO_SUBS)
            .plan(&["User,From,To", "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB"])
    };
    // Three `;` and one `,` (inside a quoted name): read as `;`.
    let out = case()
        .users(&[
            "User principal name;Usage location;Licenses;\"Department, team\"",
            "ann@contoso.com;US;O365_BUSINESS_PREMIUM;Sales, East",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com")
        .check(&[("status", "reassigned"), ("licenses_after", "SPB")]);
    // One of each: read as `,`, so `Licenses;Usage location` is one column.
    let out = case()
        .users(&[
            "User principal name,Licenses;Usage location",
            "ann@contoso.com,O365_BUSINESS_PREMIUM;US",
        ])
        .run(&[]);
    refused_with(&out, "users.csv:1:1:", &["`Licenses;Usage location`"]);
    // One `;` and one tab: read as `;`.
    let out = case()
        .users(&[
            "User principal name;Licenses\tUsage location",
            "ann@contoso.com;O365_BUSINESS_PREMIUM\tUS",
        ])
        .run(&[]);
    refused_with(&out, "users.csv:1:1:", &["`Licenses\tUsage location`"]);
}

/// Excel's delimiter hint: `sep=;` as the first line sets the delimiter and is
/// skipped; line numbers still count it.
#[test]
fn excel_sep_line_sets_the_delimiter_and_counts_as_a_line() {
    let users = [
        "sep=;",
        "User principal name;Usage location;Block credential;Licenses",
        "ann@contoso.com;US;False;Microsoft 365 Business Standard",
        "bob@contoso.com;US;False;O365_BUSINESS_PREMIUM",
    ];
    let case = Case::new()
        .bytes("users.csv", format!("\u{feff}{}", crlf(&users)))
        .subscriptions(&["sep=,", SUBS, CONTOSO_SUBS[1], CONTOSO_SUBS[2]])
        // The header alone would read as `,` (a tie): the hint wins.
        .plan(&["sep=;", "User;From;To,new,x", "*;O365_BUSINESS_PREMIUM;SPB"]);
    let out = case.run(&[]);
    refused_with(&out, "plan.csv:2:1:", &["`To`", "`To,new,x`"]);
    let case = case.plan(&["sep=;", "User;From;To", "*;O365_BUSINESS_PREMIUM;SPB"]);
    let out = case.run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "licenses_after"],
        &[
            &["ann@contoso.com", "reassigned", "SPB"],
            &["bob@contoso.com", "reassigned", "SPB"],
        ],
    );
    assert_eq!(out.summary()["inputs"]["users"], 2);
    // Line 4 of the file is bob's row: the `sep=` line is line 1.
    let bad = crlf(&users).replace("bob@contoso.com;US;False", "bob@contoso.com;US;maybe");
    let case = case.bytes("users.csv", bad);
    std::fs::remove_dir_all(case.out()).unwrap();
    refused_with(&case.run(&[]), "users.csv:4:3:", &["`Block credential`"]);
    // A delimiter SPEC does not accept is refused, saying which ones are.
    let case = case.bytes("users.csv", "sep=|\nUser principal name|Licenses\n");
    let out = case.run(&[]);
    refused_with(&out, "users.csv:1:1:", &["sep=|", "tab"]);
}

/// A non-breaking space counts as a space wherever it stands in a cell: in an
/// organization name, a product display name, a license the catalog does not know.
#[test]
fn non_breaking_spaces_inside_cells_are_spaces() {
    let out = Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "ann@contoso.com,US,Microsoft\u{a0}365 Business\u{a0}Standard+Contoso\u{a0}Pilot\u{a0}Bundle",
        ])
        .subscriptions(&[
            SUBS,
            "Contoso\u{a0}Ltd,O365_BUSINESS_PREMIUM,Active,5,1",
            "Contoso\u{a0}Ltd,SPB,Active,5,0",
        ])
        .domains(&["Organization,Domain", "Contoso Ltd,contoso.com"])
        .plan(&[
            "User,From,To,Organization",
            "*,Microsoft 365\u{a0}Business Standard,SPB,Contoso\u{a0}Ltd",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com").check(&[
        ("organization", "Contoso Ltd"),
        ("status", "reassigned"),
        (
            "licenses_before",
            "O365_BUSINESS_PREMIUM+Contoso Pilot Bundle",
        ),
        ("licenses_after", "Contoso Pilot Bundle+SPB"),
    ]);
    assert!(
        !out.result().text.contains('\u{a0}'),
        "{}",
        out.result().text
    );
    assert!(out.summary()["organizations"]["Contoso Ltd"].is_object());
}

/// The MSOnline course file's shape (New-MsolUser bulk file): CRLF, `UPN`,
/// PowerShell's `$False`/`$True` in BlockCredential, `LicenseAssignment` with a
/// `tenant:` prefix.
#[test]
fn powershell_booleans_in_an_msonline_bulk_user_file() {
    let users = [
        "UPN,FirstName,LastName,DisplayName,BlockCredential,ForceChangePassword,LicenseAssignment,Password,PasswordNeverExpires,Title,UsageLocation",
        "nona@contoso.com,Nona,Snider,Nona Snider,$False,$False,contosoxxxx:ENTERPRISEPACK,Pa55w.rd,$True,Accountant,GB",
        "misty@contoso.com,Misty,Phillips,Misty Phillips,$true,$false,contosoxxxx:ENTERPRISEPACK,Pa55w.rd,$TRUE,Sales,GB",
    ];
    let case = Case::new()
        .bytes("users.csv", crlf(&users))
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,2",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&["User,From,To", "*,ENTERPRISEPACK,SPE_E3"]);
    let out = case.run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &[
            "user",
            "status",
            "codes",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &[
                "nona@contoso.com",
                "reassigned",
                "",
                "ENTERPRISEPACK",
                "SPE_E3",
            ],
            &[
                "misty@contoso.com",
                "reassigned",
                "sign-in-blocked",
                "ENTERPRISEPACK",
                "SPE_E3",
            ],
        ],
    );
    // Anything else is unusable input, and the message names the column.
    let bad = crlf(&users).replace("Misty Phillips,$true", "Misty Phillips,$maybe");
    let case = case.bytes("users.csv", bad);
    std::fs::remove_dir_all(case.out()).unwrap();
    refused_with(
        &case.run(&[]),
        "users.csv:3:5:",
        &["`BlockCredential`", "`$maybe`"],
    );
    let graph = Case::new()
        .users(&[
            "UserPrincipalName,AccountEnabled,UsageLocation,AssignedLicenses",
            "ann@contoso.com,$True,US,ENTERPRISEPACK",
            "bob@contoso.com,enabled,US,ENTERPRISEPACK",
        ])
        .subscriptions(&[SUBS, "contoso.com,ENTERPRISEPACK,Active,5,2"])
        .plan(&["User,From,To", "*,ENTERPRISEPACK,ENTERPRISEPACK"]);
    refused_with(
        &graph.run(&[]),
        "users.csv:3:2:",
        &["`AccountEnabled`", "`enabled`"],
    );
}

/// A file that lacks several required columns is fixed in one go: the message
/// lists every missing column with its accepted names, and the columns found.
#[test]
fn every_missing_required_column_is_named_in_one_message() {
    let case = Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "ann@contoso.com,US,SPB",
        ])
        // A real tenant's SKU report (`Sku,EnabledUnits,ConsumedUnits`) with the
        // counts renamed: none of the three required columns is there.
        .subscriptions(&[
            "Organization,Sku,EnabledUnits,UsedUnits",
            "contoso.com,SPB,25,17",
        ])
        .plan(&["User,From,To", "ann@contoso.com,SPB,SPE_E3"]);
    let out = case.run(&[]);
    refused_with(
        &out,
        "subscriptions.csv:1:1:",
        &[
            "missing required columns",
            "`Product`",
            "`SkuPartNumber`",
            "`Product name`",
            "`SkuId`",
            "`Total licenses`",
            "`PrepaidUnits.Enabled`",
            "`Enabled`",
            "`Assigned licenses`",
            "`ConsumedUnits`",
            "columns found: `Organization`, `Sku`, `EnabledUnits`, `UsedUnits`",
        ],
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.describe());
    // An MSOnline per-user license report: neither the user nor the licenses column.
    let out = case
        .subscriptions(&[SUBS, "contoso.com,SPB,Active,5,1"])
        .bytes(
            "users.csv",
            "\u{feff}\"UserName\",\"LicenseName\",\"UserEmail\"\n\"Ann Lee\",\"reseller-account:SPB\",\"ann@contoso.com\"\n",
        )
        .run(&[]);
    refused_with(
        &out,
        "users.csv:1:1:",
        &[
            "`User principal name`",
            "`UserPrincipalName`",
            "`UPN`",
            "`Licenses`",
            "`AssignedLicenses`",
            "`License`",
            "`Assigned licenses`",
            "`LicenseAssignment`",
            "columns found: `UserName`, `LicenseName`, `UserEmail`",
        ],
    );
}

/// The plan and domains files are read by the same reader: tabs and `sep=` there too.
#[test]
fn plan_and_domains_files_take_every_format_too() {
    let out = Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "ann@contoso.com,US,O365_BUSINESS_PREMIUM",
        ])
        .subscriptions(&[
            "Product;Total;Assigned",
            "O365_BUSINESS_PREMIUM;5;1",
            "SPB;5;0",
        ])
        .bytes(
            "domains.csv",
            utf16le_bom(&crlf(&["Organization\tDomain", "Contoso Ltd\tcontoso.com"])),
        )
        .bytes(
            "plan.csv",
            crlf(&["sep=,", PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"]),
        )
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com")
        .check(&[("organization", "Contoso Ltd"), ("status", "reassigned")]);
}

/// A real tenant's SKU report (`"Sku","EnabledUnits","ConsumedUnits"`) given as
/// subscriptions.csv without a domains.csv: the one message names the
/// organization column too, with when it may be left out; after a `sep=` line
/// the header is line 2.
#[test]
fn a_sku_report_is_told_every_column_it_lacks_at_once() {
    let case = Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "ann@contoso.com,US,ENTERPRISEPACK",
        ])
        .bytes(
            "subscriptions.csv",
            "\"Sku\",\"EnabledUnits\",\"ConsumedUnits\"\n\"ENTERPRISEPACK\",\"25\",\"17\"\n\"ENTERPRISEPREMIUM\",\"25\",\"25\"\n",
        )
        .plan(&["User,From,To", "*,ENTERPRISEPACK,ENTERPRISEPREMIUM"]);
    let out = case.run(&[]);
    refused_with(
        &out,
        "subscriptions.csv:1:1:",
        &[
            "missing required columns",
            "`Organization` (accepted names: `Organization`, `Tenant`, `AccountName`; it may be left out only when domains.csv names exactly one organization, and there is no domains.csv)",
            "`Product` (accepted names:",
            "`Total licenses` (accepted names:",
            "columns found: `Sku`, `EnabledUnits`, `ConsumedUnits`",
        ],
    );
    assert!(
        !out.stderr.contains("`Assigned licenses`"),
        "{}",
        out.describe()
    );
    // Renamed as the message says; then domains.csv names the organization.
    let case = case.bytes(
            "subscriptions.csv",
            "sep=,\n\"SkuPartNumber\",\"Total\",\"ConsumedUnits\"\n\"ENTERPRISEPACK\",\"25\",\"17\"\n\"ENTERPRISEPREMIUM\",\"25\",\"24\"\n",
    );
    let out = case.run(&[]);
    refused_with(
        &out,
        "subscriptions.csv:2:1:",
        &[
            "missing required column `Organization`",
            "there is no domains.csv",
        ],
    );
    let out = case
        .domains(&["Organization,Domain", "Contoso,contoso.com"])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com").check(&[
        ("organization", "Contoso"),
        ("status", "reassigned"),
        ("licenses_after", "ENTERPRISEPREMIUM"),
    ]);
}
