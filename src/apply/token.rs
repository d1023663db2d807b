//! Access tokens for Graph: from `--token-command` (run by the system shell, once
//! per organization and again when Graph answers 401) or `REPLAN_GRAPH_TOKEN`.
//! A token is never printed, logged or written: [`Token`] shows nothing of itself,
//! and messages about the command never include what it printed.

use std::fmt;
use std::process::{Command, Stdio};

/// An access token. Its `Debug` hides it; it has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The `Authorization` header's value.
    pub fn bearer(&self) -> String {
        format!("Bearer {}", self.0)
    }

    /// A token as a command printed it or the environment gives it: trimmed, one
    /// word of visible ASCII (anything else cannot go into a header).
    fn new(text: &str, source: &str) -> Result<Token, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("{source} gave no token"));
        }
        if !text.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "{source} gave more than one word or characters a token does not have"
            ));
        }
        Ok(Token(text.to_string()))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(…)")
    }
}

/// Where tokens come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `--token-command`, run by the system shell with `REPLAN_ORGANIZATION` set.
    Command(String),
    /// `REPLAN_GRAPH_TOKEN`, read once at start.
    Fixed(Token),
}

/// The environment variable holding a token.
pub const ENV: &str = "REPLAN_GRAPH_TOKEN";

impl Source {
    /// `--token-command` when given, else the value of `REPLAN_GRAPH_TOKEN`; `None`
    /// when neither is there.
    pub fn pick(command: Option<&str>, env: Option<&str>) -> Result<Option<Source>, String> {
        match (command, env) {
            (Some(command), _) => Ok(Some(Source::Command(command.to_string()))),
            (None, Some(env)) => Token::new(env, ENV).map(|t| Some(Source::Fixed(t))),
            (None, None) => Ok(None),
        }
    }

    /// A token for `organization`: the command's standard output, trimmed. Its
    /// standard error goes to ours (a sign-in prompt, an error of `az`).
    pub fn token(&self, organization: &str) -> Result<Token, String> {
        let command = match self {
            Source::Fixed(token) => return Ok(token.clone()),
            Source::Command(command) => command,
        };
        let output = shell(command)
            .env("REPLAN_ORGANIZATION", organization)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| format!("cannot run --token-command: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "--token-command for {organization} failed ({})",
                output.status
            ));
        }
        let text = String::from_utf8(output.stdout)
            .map_err(|_| "--token-command printed something that is not UTF-8".to_string())?;
        Token::new(&text, "--token-command")
    }
}

#[cfg(unix)]
fn shell(command: &str) -> Command {
    let mut shell = Command::new("sh");
    shell.arg("-c").arg(command);
    shell
}

#[cfg(windows)]
fn shell(command: &str) -> Command {
    let mut shell = Command::new("cmd");
    shell.arg("/C").arg(command);
    shell
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "eyJ0eXAiOiJKV1Q.secret.value";

    #[test]
    fn a_token_never_shows_itself() {
        let token = Token::new(SECRET, ENV).unwrap();
        let shown = format!("{token:?} {:?}", Source::Fixed(token.clone()));
        assert!(!shown.contains("secret"), "{shown}");
        assert_eq!(token.bearer(), format!("Bearer {SECRET}"));
    }

    #[test]
    fn the_command_wins_over_the_environment() {
        let source = Source::pick(Some("echo x"), Some(SECRET)).unwrap().unwrap();
        assert!(matches!(source, Source::Command(c) if c == "echo x"));
        let source = Source::pick(None, Some(&format!("  {SECRET}\n")))
            .unwrap()
            .unwrap();
        assert_eq!(source.token("any").unwrap(), Token(SECRET.into()));
        assert!(Source::pick(None, None).unwrap().is_none());
        assert!(Source::pick(None, Some(" ")).is_err());
        assert!(Source::pick(None, Some("two words")).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn the_command_runs_in_the_shell_with_the_organization_set() {
        let source = Source::Command("printf '  tok-%s\\n' \"$REPLAN_ORGANIZATION\"".into());
        assert_eq!(
            source.token("Contoso").unwrap(),
            Token("tok-Contoso".into())
        );
        let failing = Source::Command(format!("echo {SECRET}; exit 3"));
        let err = failing.token("Contoso").unwrap_err();
        assert!(err.contains("failed") && !err.contains("secret"), "{err}");
        let empty = Source::Command("true".into());
        assert!(
            empty
                .token("Contoso")
                .unwrap_err()
                .contains("gave no token")
        );
    }
}
