//! The command line: arguments → [`Settings`], dispatch, and the one place where an
//! outcome becomes an exit code ([`Exit`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use clap::{Args, Parser, Subcommand};

use crate::apply;
use crate::audit::{Invocation, Started};
use crate::error::Error;
use crate::exit::Exit;
use crate::generate;
use crate::input::InputPaths;
use crate::output;
use crate::progress::Progress;
use crate::run::{self, Processed, Settings};
use crate::summary::{self, Summary};

/// Checks and computes manual Microsoft 365 plan changes from CSV exports.
#[derive(Parser, Debug)]
#[command(name = "replan", version, about, long_about = None)]
#[command(after_help = "Examples:
  replan run samples/contoso --out contoso-out
  replan check samples/partner --strict
  replan run --users export.csv --subscriptions skus.csv --plan plan.csv --json
  replan apply contoso-out --dry-run
  replan generate --users 1000000 --organizations 50 --seed 7 --out big

Exit codes: 0 every planned user reassigned or already done; 1 some users have
errors (or --strict found warnings); 2 unusable invocation or input (nothing written).")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Validate, reassign, and write result.csv, subscription-actions.csv,
    /// backup.csv, graph-requests.jsonl, report.html and summary.json into --out.
    Run(RunArgs),
    /// Validate and print the findings grouped by code; write nothing.
    Check(InputArgs),
    /// Send OUT/graph-requests.jsonl to Microsoft Graph, reading each user first;
    /// journal every outcome in OUT/applied.csv (an apply that stopped resumes).
    Apply(ApplyArgs),
    /// Write a realistic synthetic tenant (the input files, prices.csv too) into --out.
    Generate(GenerateArgs),
}

#[derive(Args, Debug)]
#[command(after_help = "Examples:
  replan apply contoso-out --dry-run
  replan apply contoso-out --token-command \
      'az account get-access-token --resource-type ms-graph --query accessToken -o tsv'
  REPLAN_GRAPH_TOKEN=... replan apply partner-out --organization contoso.com

The token needs LicenseAssignment.ReadWrite.All, User.Read.All and
Organization.Read.All; it is never printed, logged or written.

Exit codes: 0 every selected request applied or already applied; 1 some failed,
drifted, wrong-tenant, or not sent (stopped early: run apply again to resume);
2 unusable invocation or input, nothing sent.")]
struct ApplyArgs {
    /// The output folder of `replan run`.
    #[arg(default_value = "replan-out")]
    out: PathBuf,
    /// The organization to apply (as named in result.csv, ignoring case); required
    /// when the requests are for several. Repeat for more.
    #[arg(long = "organization", value_name = "NAME")]
    organizations: Vec<String>,
    /// A command printing an access token for Graph, run by the system shell
    /// with REPLAN_ORGANIZATION set (default: the token in REPLAN_GRAPH_TOKEN).
    #[arg(long, value_name = "CMD")]
    token_command: Option<String>,
    /// Microsoft Graph's base URL (a national cloud: https://graph.microsoft.us,
    /// https://dod-graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn).
    #[arg(long, value_name = "URL", default_value = apply::graph::DEFAULT_URL)]
    graph_url: String,
    /// Print how many requests would be sent; send nothing, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Print the outcome counts as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct GenerateArgs {
    /// How many users.
    #[arg(long, value_name = "N")]
    users: u64,
    /// How many organizations the users are spread over.
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    organizations: u32,
    /// The same seed gives the same files.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// users.csv's columns: replan's own (`generate`), or the admin center's
    /// 28-column export (`admin-center`) holding the same users.
    #[arg(long, value_enum, default_value_t = Shape::Generate)]
    shape: Shape,
    /// Folder to write users.csv, subscriptions.csv, plan.csv, domains.csv and
    /// prices.csv into.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// [`generate::Shape`] as the command line names it.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum Shape {
    Generate,
    AdminCenter,
}

impl From<Shape> for generate::Shape {
    fn from(shape: Shape) -> Self {
        match shape {
            Shape::Generate => generate::Shape::Generate,
            Shape::AdminCenter => generate::Shape::AdminCenter,
        }
    }
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    inputs: InputArgs,
    /// Folder for the outputs (created if missing; other files in it are left alone).
    #[arg(long, default_value = "replan-out")]
    out: PathBuf,
}

#[derive(Args, Debug)]
struct InputArgs {
    /// Folder holding users.csv, subscriptions.csv, plan.csv and optionally
    /// domains.csv and prices.csv.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// users.csv (admin center "Export users", or Get-MgUser).
    #[arg(long, value_name = "F")]
    users: Option<PathBuf>,
    /// subscriptions.csv (admin center products, or Get-MgSubscribedSku).
    #[arg(long, value_name = "F")]
    subscriptions: Option<PathBuf>,
    /// plan.csv: User,From,To[,Disable,Organization,Mode].
    #[arg(long, value_name = "F")]
    plan: Option<PathBuf>,
    /// domains.csv: Organization,Domain (default: DIR/domains.csv if present).
    #[arg(long, value_name = "F")]
    domains: Option<PathBuf>,
    /// prices.csv: Product,Price[,Currency,Organization], per license per month
    /// (default: DIR/prices.csv if present); feeds the report and summary.json costs.
    #[arg(long, value_name = "F")]
    prices: Option<PathBuf>,
    /// Microsoft's product table, replacing the built-in one.
    #[arg(long, value_name = "F")]
    catalog: Option<PathBuf>,
    /// When a pool is short, move the first users in plan order and report the rest.
    #[arg(long)]
    allow_partial: bool,
    /// Warnings count as errors for the exit code, and a downgrade blocks the move.
    #[arg(long)]
    strict: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    json: bool,
}

impl InputArgs {
    fn settings(&self) -> Settings {
        let pick =
            |flag: &Option<PathBuf>, name| flag.clone().unwrap_or_else(|| self.dir.join(name));
        let optional = |flag: &Option<PathBuf>, name| {
            let default = self.dir.join(name);
            flag.clone()
                .or_else(|| default.is_file().then_some(default))
        };
        Settings {
            inputs: InputPaths {
                users: pick(&self.users, "users.csv"),
                subscriptions: pick(&self.subscriptions, "subscriptions.csv"),
                plan: pick(&self.plan, "plan.csv"),
                domains: optional(&self.domains, "domains.csv"),
                prices: optional(&self.prices, "prices.csv"),
            },
            catalog: self.catalog.clone(),
            allow_partial: self.allow_partial,
            strict: self.strict,
            threads: self.threads.map(usize::from),
        }
    }
}

/// Runs the command line and returns the exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let exit = dispatch(cli).unwrap_or_else(|err| {
        eprintln!("replan: {err}");
        Exit::Unusable
    });
    exit.into()
}

fn dispatch(cli: Cli) -> Result<Exit, Error> {
    match cli.command {
        Command::Run(args) => {
            let settings = args.inputs.settings();
            refuse_input_overwrite(&args.out, &settings)?;
            let progress = Progress::new(args.inputs.quiet);
            // Writing runs on the same threads as checking: `--threads` holds for both.
            let pool = run::pool(&settings)?;
            let invocation = invocation()?;
            pool.install(|| run_and_write(&args, &settings, &invocation, &progress))
        }
        Command::Apply(args) => apply_requests(&args),
        Command::Generate(args) => {
            let spec = generate::Spec {
                users: args.users,
                organizations: args.organizations,
                seed: args.seed,
                shape: args.shape.into(),
            };
            generate::generate(&spec, &args.out)?;
            Ok(Exit::Success)
        }
        Command::Check(args) => {
            let settings = args.settings();
            let processed = run::pool(&settings)?
                .install(|| run::process(&settings, &Progress::new(args.quiet)))?;
            warn(&processed, &settings);
            let mut summary = Summary::of(&processed, &settings, &invocation()?);
            for note in output::requests_only(&processed, &mut summary) {
                eprintln!("replan: warning: {note}");
            }
            print(&summary, args.json, || {
                summary::findings(&processed, &summary)
            });
            Ok(processed.exit_code())
        }
    }
}

/// `replan run`, on the pool of its threads.
fn run_and_write(
    args: &RunArgs,
    settings: &Settings,
    invocation: &Invocation,
    progress: &Progress,
) -> Result<Exit, Error> {
    let processed = run::process(settings, progress)?;
    warn(&processed, settings);
    let mut summary = Summary::of(&processed, settings, invocation);
    let notes = output::write_all(&args.out, &processed, &mut summary, progress)?;
    for note in notes {
        eprintln!("replan: warning: {note}");
    }
    print(&summary, args.inputs.json, || {
        format!("{}outputs in {}\n", summary.text(), args.out.display())
    });
    Ok(processed.exit_code())
}

/// The command line as given, and the start time: now, or `SOURCE_DATE_EPOCH`.
fn invocation() -> Result<Invocation, Error> {
    let command = std::iter::once("replan".to_string())
        .chain(
            std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .collect();
    let epoch = std::env::var_os("SOURCE_DATE_EPOCH").map(|v| v.to_string_lossy().into_owned());
    let started = Started::new(epoch.as_deref(), SystemTime::now()).map_err(Error::Usage)?;
    Ok(Invocation { command, started })
}

/// `replan apply`.
fn apply_requests(args: &ApplyArgs) -> Result<Exit, Error> {
    let graph = apply::graph::GraphUrl::parse(&args.graph_url).map_err(Error::Usage)?;
    let env = std::env::var(apply::token::ENV).ok();
    let tokens = if args.dry_run {
        None
    } else {
        apply::token::Source::pick(args.token_command.as_deref(), env.as_deref())
            .map_err(Error::Usage)?
    };
    let settings = apply::Settings {
        out: args.out.clone(),
        organizations: args.organizations.clone(),
        tokens,
        graph,
        dry_run: args.dry_run,
    };
    let scale = std::env::var(apply::send::WAIT_SCALE).ok();
    let clock = apply::send::SystemClock {
        scale: apply::send::wait_scale(scale.as_deref(), &settings.graph),
    };
    let report = apply::apply(&settings, &Progress::new(args.quiet), &clock)?;
    for problem in &report.problems {
        eprintln!("replan: {problem}");
    }
    if let Some(why) = &report.stopped {
        eprintln!("replan: apply stopped: {why}; run it again to resume");
    }
    let text = if args.json {
        serde_json::to_string_pretty(&report)
            .map(|s| s + "\n")
            .unwrap_or_default()
    } else if report.dry_run {
        report.text() + "dry run: nothing sent, nothing written\n"
    } else {
        format!(
            "{}journal: {}\n",
            report.text(),
            apply::journal_path(&args.out).display()
        )
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(report.exit)
}

fn print(summary: &Summary, json: bool, text: impl FnOnce() -> String) {
    let out = if json {
        serde_json::to_string_pretty(summary)
            .map(|s| s + "\n")
            .unwrap_or_default()
    } else {
        text()
    };
    // A closed stdout (`| head`) is no reason to fail a run whose files are written.
    let _ = std::io::stdout().write_all(out.as_bytes());
}

/// Warnings that do not stop the run: suspicious input, `*` rows that matched nobody.
fn warn(p: &Processed, settings: &Settings) {
    for warning in &p.tenant.warnings {
        eprintln!("replan: warning: {warning}");
    }
    let plan = settings.inputs.plan.display().to_string();
    for line in summary::unmatched_warnings(p, &plan) {
        eprintln!("replan: {line}");
    }
}

/// An output folder that holds an input file could overwrite or mix with it.
fn refuse_input_overwrite(out: &Path, settings: &Settings) -> Result<(), Error> {
    let Ok(out_dir) = out.canonicalize() else {
        return Ok(()); // Not there yet: it holds nothing.
    };
    for input in settings.inputs.all().chain(&settings.catalog) {
        let parent = input
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf));
        if parent.as_deref() == Some(out_dir.as_path()) {
            return Err(Error::Usage(format!(
                "--out {} holds the input {}: choose another output folder",
                out.display(),
                input.display()
            )));
        }
    }
    Ok(())
}
