//! The `replan` binary: all the work is in the library; this only maps the outcome to
//! an exit code.

fn main() -> std::process::ExitCode {
    replan::cli::main()
}
