//! Plan output: text (terraform-like `+ ~ - >` lines and a summary), JSON
//! (the versioned plan document) and Markdown for a pull-request comment.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::dataflow::{DataflowAction, DataflowStep};
use super::{Action, ActionKind, FieldChange, Plan, PlanSummary};

/// GitHub rejects comments over 65,536 characters; stay clear of it.
pub(crate) const MARKDOWN_LIMIT: usize = 65_000;

fn change_line(change: &FieldChange) -> String {
    if change.sensitive {
        return format!("{}: (sensitive value changed)", change.field);
    }
    // A field set or removed shows `(none)` on its empty side, never `""`
    // (which is an empty value).
    let shown =
        |value: Option<&str>| value.map_or_else(|| "(none)".to_owned(), |v| format!("{v:?}"));
    format!(
        "{}: {} -> {}",
        change.field,
        shown(change.from.as_deref()),
        shown(change.to.as_deref())
    )
}

fn headline(action: &Action) -> String {
    let verb = match action.kind() {
        ActionKind::Create => "create".to_owned(),
        ActionKind::Adopt => "adopt".to_owned(),
        ActionKind::Update => "update".to_owned(),
        ActionKind::Replace => "replace".to_owned(),
        ActionKind::Rename => format!(
            "rename {} -> {}",
            action.renamed_from().unwrap_or_default().escape_debug(),
            action.key.name.escape_debug()
        ),
        ActionKind::Delete => "delete".to_owned(),
        ActionKind::Unchanged => "unchanged".to_owned(),
    };
    let id = action.id().map(|id| format!(" `{id}`")).unwrap_or_default();
    let reasons = if action.reasons.is_empty() {
        String::new()
    } else {
        format!(": {}", action.reasons.join("; "))
    };
    let blocked = action
        .blocked()
        .map(|b| format!(" [blocked: {b}]"))
        .unwrap_or_default();
    format!("{verb}{id}{reasons}{blocked}")
}

/// The summary sentence. Renames are updates; how many is said when any.
pub(crate) fn summary_line(s: &PlanSummary) -> String {
    let renamed = if s.rename == 0 {
        String::new()
    } else {
        format!(" ({} renamed)", s.rename)
    };
    let replaced = if s.replace == 0 {
        String::new()
    } else {
        format!(", {} to replace", s.replace)
    };
    format!(
        "Plan: {} to create, {} to adopt, {} to update{renamed}{replaced}, {} to delete, {} unchanged{}.",
        s.create,
        s.adopt,
        s.update,
        s.delete,
        s.unchanged + s.unchanged_dataflows,
        outside(s)
    )
}

/// The sentence for a plan with nothing to do.
pub(crate) fn no_changes_line(s: &PlanSummary) -> String {
    let dataflows = if s.unchanged_dataflows == 0 {
        String::new()
    } else {
        format!(" and {} dataflow(s)", s.unchanged_dataflows)
    };
    format!(
        "No changes: {} connection(s){dataflows} match the config{}.",
        s.unchanged,
        outside(s)
    )
}

fn outside(s: &PlanSummary) -> String {
    if s.outside == 0 {
        String::new()
    } else {
        format!(" ({} outside the given paths, not considered)", s.outside)
    }
}

/// Terraform-like text. Unchanged connections are listed only when `verbose`.
pub(crate) fn text(plan: &Plan, verbose: bool) -> String {
    let mut out = String::new();
    for warning in &plan.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    if plan.is_empty() {
        let _ = writeln!(out, "{}", no_changes_line(&plan.summary));
        return out;
    }
    let _ = writeln!(out, "provision will perform these actions:\n");
    for action in &plan.actions {
        if action.kind() == ActionKind::Unchanged && !verbose {
            continue;
        }
        let _ = writeln!(
            out,
            "  {} {}  ({})",
            action.kind().symbol(),
            action.key,
            headline(action)
        );
        for change in action.changes() {
            let _ = writeln!(out, "        {}", change_line(change));
        }
    }
    for action in &plan.dataflows {
        if action.action == DataflowStep::Unchanged && !verbose {
            continue;
        }
        let _ = writeln!(
            out,
            "  {} {}  ({})",
            action.action.symbol(),
            action.key,
            dataflow_headline(action)
        );
        for change in &action.changes {
            let _ = writeln!(out, "        {}", change_line(change));
        }
        for note in &action.notes {
            let _ = writeln!(out, "        note: {note}");
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(&plan.summary));
    out
}

/// A dataflow step's verb (a rename's names and flow id) and why.
fn dataflow_headline(action: &DataflowAction) -> String {
    let verb = match action.action {
        DataflowStep::Create => "create",
        DataflowStep::Update => "update",
        DataflowStep::Replace => "replace",
        DataflowStep::Delete => "delete",
        DataflowStep::Unchanged => "unchanged",
    };
    let verb = match &action.renamed_from {
        Some(from) => {
            let rename = format!(
                "rename {} -> {}",
                from.escape_debug(),
                action.key.name().escape_debug()
            );
            let id = action
                .flow_id
                .as_ref()
                .map(|id| format!(" `{id}`"))
                .unwrap_or_default();
            // A rename alone is an update; a create or replace says so.
            if action.action == DataflowStep::Update {
                format!("{rename}{id}")
            } else {
                format!("{verb} ({rename}{id})")
            }
        }
        None => verb.to_owned(),
    };
    if action.reasons.is_empty() {
        verb
    } else {
        format!("{verb}: {}", action.reasons.join("; "))
    }
}

/// The plan document, pretty JSON.
pub(crate) fn json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_default() + "\n"
}

/// Text in a PR comment that may come from the platform (a description
/// anyone in the sandbox can edit, an id, a name): one line in a code span
/// whose fence is longer than any backtick run in it, so no link, image,
/// @-mention, HTML or code-span breakout renders; `|` escaped for tables.
fn md_code(text: &str) -> String {
    let line = crate::escape::server_text(text).replace('|', "\\|");
    let longest = line.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // The spaces are stripped by the renderer, and let the text start or
    // end with a backtick.
    format!("{fence} {line} {fence}")
}

/// Markdown for a PR comment: grouped by cloud and sandbox, details folded,
/// kept under [`MARKDOWN_LIMIT`] characters with a note when cut.
pub(crate) fn markdown(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### provision plan\n");
    if let Some(scene) = &plan.scene {
        let _ = writeln!(out, "{}\n", scene.markdown(md_code));
    }
    let _ = writeln!(out, "**{}**\n", summary_line(&plan.summary));
    for warning in &plan.warnings {
        let _ = writeln!(out, "> :warning: {}\n", md_code(warning));
    }
    if plan.is_empty() {
        let _ = writeln!(out, "No changes.");
        return out;
    }
    let mut groups: BTreeMap<(&str, &str), Vec<&Action>> = BTreeMap::new();
    for action in plan
        .actions
        .iter()
        .filter(|a| a.kind() != ActionKind::Unchanged)
    {
        groups
            .entry((action.key.cloud.as_str(), &action.key.sandbox))
            .or_default()
            .push(action);
    }
    let total: usize = groups.values().map(Vec::len).sum();
    let mut shown = 0;
    'groups: for ((cloud, sandbox), actions) in &groups {
        let mut section = format!(
            "<details><summary><b>{cloud} / {sandbox}</b>: {} change(s)</summary>\n\n",
            actions.len()
        );
        section.push_str("| | connection | action |\n|---|---|---|\n");
        if out.len() + section.len() > MARKDOWN_LIMIT - 200 {
            break 'groups;
        }
        out.push_str(&section);
        for action in actions {
            let mut row = format!(
                "| `{}` | {} | {} |\n",
                action.kind().symbol(),
                md_code(&action.key.name),
                md_code(&headline(action))
            );
            for change in action.changes() {
                row.push_str(&format!("| | | {} |\n", md_code(&change_line(change))));
            }
            if out.len() + row.len() > MARKDOWN_LIMIT - 200 {
                out.push_str("\n</details>\n\n");
                break 'groups;
            }
            out.push_str(&row);
            shown += 1;
        }
        out.push_str("\n</details>\n\n");
    }
    markdown_dataflows(&mut out, plan);
    if shown < total {
        let _ = writeln!(
            out,
            "_Truncated: {} of {total} changes shown; the job log has the full plan._",
            shown
        );
    }
    out
}

/// The dataflows' table of a PR comment, within [`MARKDOWN_LIMIT`].
fn markdown_dataflows(out: &mut String, plan: &Plan) {
    let changing: Vec<&DataflowAction> = plan
        .dataflows
        .iter()
        .filter(|a| a.action != DataflowStep::Unchanged)
        .collect();
    if !changing.is_empty() && out.len() < MARKDOWN_LIMIT - 400 {
        let _ = writeln!(
            out,
            "<details><summary><b>dataflows</b>: {} change(s)</summary>\n\n| | dataflow | action |\n|---|---|---|",
            changing.len()
        );
        for action in &changing {
            let mut row = format!(
                "| `{}` | {} | {} |\n",
                action.action.symbol(),
                md_code(&action.key.to_string()),
                md_code(&dataflow_headline(action))
            );
            for change in &action.changes {
                row.push_str(&format!("| | | {} |\n", md_code(&change_line(change))));
            }
            for note in &action.notes {
                row.push_str(&format!("| | | {} |\n", md_code(&format!("note: {note}"))));
            }
            if out.len() + row.len() > MARKDOWN_LIMIT - 200 {
                break;
            }
            out.push_str(&row);
        }
        out.push_str("\n</details>\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_or_added_field_shows_none_not_an_empty_string() {
        let change = |from: Option<&str>, to: Option<&str>| FieldChange {
            field: "delta.column".into(),
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
            sensitive: false,
        };
        assert_eq!(
            change_line(&change(Some("updated_at"), None)),
            "delta.column: \"updated_at\" -> (none)"
        );
        assert_eq!(
            change_line(&change(None, Some("x"))),
            "delta.column: (none) -> \"x\""
        );
        assert_eq!(
            change_line(&change(Some(""), Some("x"))),
            "delta.column: \"\" -> \"x\""
        );
    }
}
