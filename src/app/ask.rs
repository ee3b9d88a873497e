//! The question before a write, and what is shown before it: the "cannot ask" gate, the
//! preview of changes (Terraform's colours), the confirmation itself. Shared by every command
//! that writes to the pool.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::anyhow;
use tokio_util::sync::CancellationToken;

use super::context::{Connect, Context};
use super::outcome::{Failure, Outcome, setup};
use super::printer::Printer;
use crate::plan::summary::PlanSummary;

/// How many changes and problems a confirmation shows.
pub const PREVIEW_LINES: usize = 20;

/// Why `apply` cannot go on without `--yes` when no question can be asked.
pub const APPLY_UNASKED: &str = "apply writes to the user pool and cannot ask for confirmation \
     here (not a terminal): pass --yes, or review with `cognito-bulk plan` and run `apply --plan`";
/// Why `rollback` cannot go on without `--yes` when no question can be asked.
pub const ROLLBACK_UNASKED: &str =
    "rollback writes to the user pool: pass --yes, or look first with --dry-run";

/// The gate before any work of a command that writes and would ask: without `--yes`, a
/// question must be possible, else the command is refused with `why`.
pub fn gate<C: Connect>(ctx: &Context<C>, why: &str) -> Result<(), Failure> {
    match ctx.global.yes || ctx.can_ask() {
        true => Ok(()),
        false => Err(setup(anyhow!("{why}"))),
    }
}

/// Whether the preview on standard error is coloured (`--color`, `NO_COLOR`, a terminal).
pub fn colour_on_stderr<C>(ctx: &Context<C>) -> bool {
    ctx.global
        .color
        .enabled_on(std::io::IsTerminal::is_terminal(&std::io::stderr()))
}

/// The preview on standard error (standard output stays for the summary). The changes, which
/// show values, only when a question is asked: otherwise (`--yes`) the problems and counts.
pub fn show_preview(printer: &Printer, summary: &PlanSummary, show: usize, colour: bool) {
    if printer.asking() {
        for line in &summary.preview {
            printer.context(paint(line, colour));
        }
        if let Some(more) = more_changes(summary) {
            printer.context(format!("... and {more}"));
        }
    }
    for problem in summary.problems.iter().take(show) {
        printer.problem(problem);
    }
    printer.context("");
    printer.context(summary.line());
    for note in summary.notes() {
        printer.context(note);
    }
}

/// The preview and the summary on standard error, `context` lines after them, then the
/// question: true to go on. A no, or no answer, writes nothing and says so.
pub async fn preview_and_confirm<C>(
    ctx: &Context<C>,
    summary: &PlanSummary,
    show: usize,
    context: Option<String>,
    question: &str,
    stop: &CancellationToken,
) -> Result<bool, Failure> {
    let printer = ctx.printer().asking_if(true);
    show_preview(&printer, summary, show, colour_on_stderr(ctx));
    if let Some(line) = context {
        printer.context(line);
    }
    if !confirm(&with_what_stays(summary, question), stop).await? {
        printer.context("nothing was written");
        return Ok(false);
    }
    Ok(true)
}

/// The changes a plan shows, painted, and how many more there are (in `file`, if named):
/// what `plan` and a rollback's dry run print on standard output.
pub fn print_changes(printer: &Printer, summary: &PlanSummary, colour: bool, file: Option<&Path>) {
    for line in &summary.preview {
        printer.out(paint(line, colour));
    }
    if let Some(more) = more_changes(summary) {
        let place = file.map_or(String::new(), |f| format!(" in {}", f.display()));
        printer.out(format!("... and {more}{place} (--show all lists them)"));
    }
}

/// `12 more attribute changes` (or `changes`, when other operations are among them) past
/// the preview's lines; None when every change is shown.
fn more_changes(summary: &PlanSummary) -> Option<String> {
    let shown = summary.preview.len() as u64;
    let others = summary.ops.total().saturating_sub(summary.attributes);
    let all = summary.attributes + others;
    let what = match others {
        0 => "attribute changes",
        _ => "changes",
    };
    (all > shown).then(|| format!("{} more {what}", all - shown))
}

/// The question, prefixed with what cannot be undone (sign-outs), so that the answer is
/// given knowing it.
fn with_what_stays(summary: &PlanSummary, question: &str) -> String {
    match summary.ops.get(crate::model::op::OpKind::SignOut) {
        0 => question.to_string(),
        n => format!("{n} users will be signed out, which cannot be undone. {question}"),
    }
}

/// A preview line in Terraform's colours: `+` green, `~` yellow, `-` red.
pub fn paint(line: &str, colour: bool) -> String {
    let style = console::Style::new().force_styling(true);
    let style = match line.as_bytes().first() {
        Some(b'+') => style.green(),
        Some(b'~') => style.yellow(),
        Some(b'-') => style.red(),
        _ => return line.to_string(),
    };
    if colour {
        style.apply_to(line).to_string()
    } else {
        line.to_string()
    }
}

/// Asks on the terminal; anything but y/yes is a no. An interrupt while it waits ends the
/// command at once (exit 3): nothing was written.
pub async fn confirm(question: &str, stop: &CancellationToken) -> Result<bool, Failure> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let read = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer)
    });
    tokio::select! {
        _ = stop.cancelled() => Err(Failure {
            outcome: Outcome::Stopped,
            error: anyhow!("interrupted at the question; nothing was written"),
        }),
        answer = read => {
            let answer = answer.ok().and_then(Result::ok).unwrap_or_default();
            Ok(matches!(answer.trim().to_lowercase().as_str(), "y" | "yes"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{paint, with_what_stays};
    use crate::model::op::OpKind;
    use crate::plan::summary::PlanSummary;

    #[test]
    fn the_question_says_sign_outs_cannot_be_undone() {
        let mut summary = PlanSummary::default();
        assert_eq!(with_what_stays(&summary, "Apply? "), "Apply? ");
        summary.ops.add(OpKind::SignOut, 3);
        let question = with_what_stays(&summary, "Apply? ");
        assert_eq!(
            question,
            "3 users will be signed out, which cannot be undone. Apply? "
        );
        assert!(
            summary
                .notes()
                .iter()
                .any(|n| n.contains("cannot be undone")),
            "{:?}",
            summary.notes()
        );
    }

    #[test]
    fn colours_only_when_asked() {
        assert_eq!(paint("+ a  x: \"1\"", false), "+ a  x: \"1\"");
        assert!(paint("+ a  x: \"1\"", true).starts_with("\u{1b}[32m"));
        assert!(paint("~ a  x", true).starts_with("\u{1b}[33m"));
        assert!(paint("- a  x", true).starts_with("\u{1b}[31m"));
        assert_eq!(paint("  a  x", true), "  a  x");
    }
}
