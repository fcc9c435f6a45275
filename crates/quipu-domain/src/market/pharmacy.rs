//! A pharmacist's check of a pharmacy order's flagged lines, and how long a prescription photo is
//! kept. Pure; the `quipu-market` context applies it and the store enforces the move it builds.
//!
//! One check decides every flagged line at once (all or none): each is approved, or refused with a
//! note the customer reads. Then the order leaves the check: a refused line is taken out as an
//! unavailable one is (it comes to nothing), and the order goes back to the shop as `placed`, to be
//! accepted as any other; when nothing would be left to supply, the order is rejected and its hold
//! voided.

use crate::market::checkout::{LineCheck, MAX_REASON_CHARS};
use crate::market::order::{OrderActor, OrderMoveError, OrderSituation, OrderStatus, plan_move};
use crate::state::Transition;
use crate::text::is_display_safe;

/// How long a prescription photo is kept after its order ended, unless the operator says otherwise.
pub const DEFAULT_PRESCRIPTION_RETENTION_DAYS: u32 = 30;
/// The longest an operator may keep one (a year), and the shortest (a day).
pub const MAX_PRESCRIPTION_RETENTION_DAYS: u32 = 366;
pub const MIN_PRESCRIPTION_RETENTION_DAYS: u32 = 1;

/// What a pharmacist decides about one flagged line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Refuse,
}

/// A pharmacist's decision about one line, by its position in the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDecision {
    pub position: u32,
    pub verdict: Verdict,
    /// Why (required to refuse; the customer reads it).
    pub note: String,
}

/// A line of the order as the check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedLineNow {
    pub position: u32,
    pub check: LineCheck,
}

/// One line as the check leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineVerdict {
    pub position: u32,
    pub check: LineCheck,
    pub note: Option<String>,
}

/// What a check does: each flagged line's verdict (a refused one comes to nothing), and the move
/// out of the check, with the reason a rejection gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPlan {
    pub lines: Vec<LineVerdict>,
    pub transition: Transition<OrderStatus>,
    pub reason: Option<String>,
}

/// Why a check was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckError {
    #[error("the order is {0}: only an order awaiting a pharmacist is checked")]
    NotAwaiting(OrderStatus),
    #[error("line {0} is not waiting for a pharmacist's check")]
    NotFlagged(u32),
    #[error("line {0} is decided twice")]
    Duplicate(u32),
    #[error("line {0} needs a decision too: a check decides every flagged line at once")]
    Undecided(u32),
    #[error("refusing line {0} needs a note saying why")]
    NoteMissing(u32),
    #[error("the note on line {0} is more than 200 characters, or not plain text")]
    NoteInvalid(u32),
    #[error(transparent)]
    Move(#[from] OrderMoveError),
}

/// The note as kept: trimmed, none when empty; refused when too long or not plain text.
fn note_of(decision: &LineDecision) -> Result<Option<String>, CheckError> {
    let note = decision.note.trim();
    if note.chars().count() > MAX_REASON_CHARS || !is_display_safe(note) {
        return Err(CheckError::NoteInvalid(decision.position));
    }
    match (note.is_empty(), decision.verdict) {
        (true, Verdict::Refuse) => Err(CheckError::NoteMissing(decision.position)),
        (true, Verdict::Approve) => Ok(None),
        (false, _) => Ok(Some(note.to_owned())),
    }
}

/// The reason a rejected order gives: the first refusal's note, within a reason's length.
fn rejection_reason(verdicts: &[LineVerdict]) -> String {
    let note = verdicts.iter().find_map(|line| line.note.as_deref()).unwrap_or_default();
    let reason = format!("the pharmacist refused it: {note}");
    reason.chars().take(MAX_REASON_CHARS).collect()
}

/// Checks a pharmacist's decisions against the order's `lines` (every line, flagged or not) and
/// builds what the check writes. Every line still `waiting` must be decided, each once, and no
/// other; nothing is written unless all of them are.
pub fn plan_check(
    status: OrderStatus,
    lines: &[CheckedLineNow],
    decisions: &[LineDecision],
) -> Result<CheckPlan, CheckError> {
    if status != OrderStatus::AwaitingPharmacist {
        return Err(CheckError::NotAwaiting(status));
    }
    let mut verdicts: Vec<LineVerdict> = Vec::with_capacity(decisions.len());
    for decision in decisions {
        let waiting = lines.iter().any(|line| line.position == decision.position && line.check == LineCheck::Waiting);
        if !waiting {
            return Err(CheckError::NotFlagged(decision.position));
        }
        if verdicts.iter().any(|line| line.position == decision.position) {
            return Err(CheckError::Duplicate(decision.position));
        }
        let check = match decision.verdict {
            Verdict::Approve => LineCheck::Approved,
            Verdict::Refuse => LineCheck::Refused,
        };
        verdicts.push(LineVerdict { position: decision.position, check, note: note_of(decision)? });
    }
    if let Some(undecided) = lines
        .iter()
        .find(|line| line.check == LineCheck::Waiting && !verdicts.iter().any(|v| v.position == line.position))
    {
        return Err(CheckError::Undecided(undecided.position));
    }
    let refused = |position: u32| verdicts.iter().any(|v| v.position == position && v.check == LineCheck::Refused);
    let anything_left = lines.iter().any(|line| line.check != LineCheck::Refused && !refused(line.position));
    let to = if anything_left { OrderStatus::Placed } else { OrderStatus::Rejected };
    let checked = OrderSituation::at(status);
    let transition = plan_move(checked, OrderActor::Pharmacist, to, true)?;
    let reason = (to == OrderStatus::Rejected).then(|| rejection_reason(&verdicts));
    Ok(CheckPlan { lines: verdicts, transition, reason })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn line(position: u32, check: LineCheck) -> CheckedLineNow {
        CheckedLineNow { position, check }
    }

    fn decide(position: u32, verdict: Verdict, note: &str) -> LineDecision {
        LineDecision { position, verdict, note: note.to_owned() }
    }

    fn mixed() -> Vec<CheckedLineNow> {
        vec![line(0, LineCheck::Waiting), line(1, LineCheck::NotNeeded), line(2, LineCheck::Waiting)]
    }

    #[test]
    fn approving_every_flagged_line_hands_the_order_back_to_the_shop() {
        let plan = plan_check(
            OrderStatus::AwaitingPharmacist,
            &mixed(),
            &[decide(0, Verdict::Approve, ""), decide(2, Verdict::Approve, " dose checked ")],
        )
        .unwrap();
        assert_eq!(
            (plan.transition.from(), plan.transition.to()),
            (OrderStatus::AwaitingPharmacist, OrderStatus::Placed)
        );
        assert_eq!(plan.reason, None);
        assert_eq!(plan.lines[0], LineVerdict { position: 0, check: LineCheck::Approved, note: None });
        assert_eq!(plan.lines[1].note.as_deref(), Some("dose checked"));
    }

    #[test]
    fn refusing_some_lines_takes_them_out_and_the_rest_goes_on() {
        let plan = plan_check(
            OrderStatus::AwaitingPharmacist,
            &mixed(),
            &[decide(0, Verdict::Refuse, "needs a prescription"), decide(2, Verdict::Refuse, "interacts with 0")],
        )
        .unwrap();
        assert_eq!(plan.transition.to(), OrderStatus::Placed, "line 1 needs no check and is still supplied");
        assert!(plan.lines.iter().all(|line| line.check == LineCheck::Refused));
    }

    #[test]
    fn refusing_everything_rejects_the_order_with_the_pharmacists_note() {
        let lines = [line(0, LineCheck::Waiting), line(1, LineCheck::Waiting)];
        let plan = plan_check(
            OrderStatus::AwaitingPharmacist,
            &lines,
            &[decide(1, Verdict::Refuse, "no prescription"), decide(0, Verdict::Refuse, "too strong")],
        )
        .unwrap();
        assert_eq!(plan.transition.to(), OrderStatus::Rejected);
        assert_eq!(plan.reason.as_deref(), Some("the pharmacist refused it: no prescription"));
        let long = "약".repeat(200);
        let plan =
            plan_check(OrderStatus::AwaitingPharmacist, &lines[..1], &[decide(0, Verdict::Refuse, &long)]).unwrap();
        assert_eq!(plan.reason.unwrap().chars().count(), MAX_REASON_CHARS);
    }

    #[test]
    fn a_check_decides_every_flagged_line_once_and_no_other() {
        let at = OrderStatus::AwaitingPharmacist;
        let lines = mixed();
        assert_eq!(plan_check(at, &lines, &[decide(0, Verdict::Approve, "")]), Err(CheckError::Undecided(2)));
        let twice = [decide(0, Verdict::Approve, ""), decide(0, Verdict::Approve, ""), decide(2, Verdict::Approve, "")];
        assert_eq!(plan_check(at, &lines, &twice), Err(CheckError::Duplicate(0)));
        let unflagged = [decide(1, Verdict::Approve, "")];
        assert_eq!(plan_check(at, &lines, &unflagged), Err(CheckError::NotFlagged(1)));
        assert_eq!(plan_check(at, &lines, &[decide(9, Verdict::Approve, "")]), Err(CheckError::NotFlagged(9)));
        assert_eq!(plan_check(at, &lines, &[]), Err(CheckError::Undecided(0)));
    }

    #[test]
    fn a_refusal_says_why_in_plain_text_of_bounded_length() {
        let at = OrderStatus::AwaitingPharmacist;
        let lines = [line(0, LineCheck::Waiting)];
        assert_eq!(plan_check(at, &lines, &[decide(0, Verdict::Refuse, "  ")]), Err(CheckError::NoteMissing(0)));
        let long = "x".repeat(201);
        assert_eq!(plan_check(at, &lines, &[decide(0, Verdict::Refuse, &long)]), Err(CheckError::NoteInvalid(0)));
        let hidden = "no\u{200B}te";
        assert_eq!(plan_check(at, &lines, &[decide(0, Verdict::Approve, hidden)]), Err(CheckError::NoteInvalid(0)));
    }

    #[test]
    fn only_an_order_awaiting_the_check_is_checked() {
        for status in [OrderStatus::Placed, OrderStatus::Accepted, OrderStatus::Rejected, OrderStatus::Expired] {
            let lines = [line(0, LineCheck::Waiting)];
            assert_eq!(
                plan_check(status, &lines, &[decide(0, Verdict::Approve, "")]),
                Err(CheckError::NotAwaiting(status))
            );
        }
        let done = [line(0, LineCheck::Approved)];
        assert_eq!(
            plan_check(OrderStatus::AwaitingPharmacist, &done, &[decide(0, Verdict::Approve, "")]),
            Err(CheckError::NotFlagged(0))
        );
    }
}
