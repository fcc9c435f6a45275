//! An order's life as a table: which status may follow which, who may make each move, what a move
//! does to the order's hold, and what each party may do next. Pure; the store's compare-and-set
//! takes only a [`Transition`] built from this table.

use crate::ledger::string_enum;
use crate::state::{StateMachine, Transition};

string_enum!(
    /// Where an order stands. `paying` is written at checkout before the money is held (nobody but
    /// housekeeping acts on it); `failed` means the money could not be held, so the shop never saw
    /// it. Delivery (the next context) slots in between `Ready` and `Completed`
    /// without changing these: a delivery job carries its own steps, and its hand-over completes
    /// the order as a pickup at the counter does.
    OrderStatus {
        Paying => "paying",
        Placed => "placed",
        AwaitingPharmacist => "awaiting_pharmacist",
        Accepted => "accepted",
        Preparing => "preparing",
        Ready => "ready",
        Completed => "completed",
        Rejected => "rejected",
        Cancelled => "cancelled",
        Expired => "expired",
        Failed => "failed",
    }
);

string_enum!(
    /// Who moves an order: the customer, the shop's staff, the pharmacy's pharmacist, the courier
    /// who brings it, or housekeeping.
    OrderActor {
        Customer => "customer",
        Shop => "shop",
        Pharmacist => "pharmacist",
        Courier => "courier",
        System => "system",
    }
);

string_enum!(
    /// What a change to an order was: a move of its status, a line the shop changed, or a line a
    /// pharmacist checked.
    ChangeKind {
        Moved => "moved",
        LineChanged => "line_changed",
        LineChecked => "line_checked",
    }
);

string_enum!(
    /// What a party may do to an order now: what pages and the API offer, decided here.
    OrderAction {
        Accept => "accept",
        Reject => "reject",
        StartPreparing => "start_preparing",
        MarkReady => "mark_ready",
        HandOver => "hand_over",
        Cancel => "cancel",
        EditLines => "edit_lines",
        CheckLines => "check_lines",
        Review => "review",
        Reorder => "reorder",
        AttachPrescription => "attach_prescription",
    }
);

/// What a move does to the money held for the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldEffect {
    /// The hold stays as it is.
    Keep,
    /// The final amount is taken (the rest goes back to the payer), with the merchant's fee.
    Capture,
    /// All of it goes back to the payer.
    Void,
}

impl StateMachine for OrderStatus {
    /// An order is placed once its money is held (or fails when it cannot be). Placed waits for the
    /// shop (or first for a pharmacist's check of flagged lines, which hands it back to the shop as
    /// placed, or rejects it); accepted
    /// orders are prepared, made ready and handed over. Until hand-over an order can end: rejected
    /// by the shop, cancelled, or expired when nobody accepted it in time. The four ends are final.
    fn may_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        matches!(
            (self, next),
            (Paying, Placed | Failed)
                | (Placed, AwaitingPharmacist | Accepted | Rejected | Cancelled | Expired)
                | (AwaitingPharmacist, Placed | Accepted | Rejected | Cancelled | Expired)
                | (Accepted, Preparing | Ready | Cancelled)
                | (Preparing, Ready | Cancelled)
                | (Ready, Completed | Cancelled)
        )
    }
}

impl OrderStatus {
    /// Whether the order has ended (no move leaves it).
    pub fn is_final(self) -> bool {
        OrderStatus::ALL.iter().all(|&next| !self.may_become(next))
    }

    /// Whether the shop has taken the order on (and not yet handed it over or dropped it).
    pub fn is_in_hand(self) -> bool {
        matches!(self, OrderStatus::Accepted | OrderStatus::Preparing | OrderStatus::Ready)
    }

    /// What reaching this status does to the hold.
    pub fn hold_effect(self) -> HoldEffect {
        match self {
            OrderStatus::Completed => HoldEffect::Capture,
            OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Expired | OrderStatus::Failed => {
                HoldEffect::Void
            }
            _ => HoldEffect::Keep,
        }
    }

    /// Whether moving here must carry a stated reason (the other party reads it).
    pub fn needs_reason(self) -> bool {
        matches!(self, OrderStatus::Rejected | OrderStatus::Cancelled)
    }
}

/// Why a move was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OrderMoveError {
    /// The table does not allow the move from where the order stands.
    #[error("the order cannot move from {from} to {to}")]
    NotAllowed { from: OrderStatus, to: OrderStatus },
    /// The move is allowed, but not to this party.
    #[error("a {actor} cannot move an order from {from} to {to}")]
    NotYours { actor: OrderActor, from: OrderStatus, to: OrderStatus },
    /// Rejecting or cancelling must say why.
    #[error("moving an order to {0} needs a reason")]
    ReasonMissing(OrderStatus),
    /// Flagged lines wait for the pharmacist's check before the shop may accept.
    #[error("a pharmacist must check the order's flagged lines first")]
    CheckPending,
}

/// Who may make each allowed move. The customer may cancel only before the shop accepts; the shop
/// accepts or rejects, then prepares, hands a pickup over, and may cancel until hand-over; a
/// delivery is completed by its courier at the door (or, when the goods came back and the shop's
/// policy keeps the money, by housekeeping as the shop confirms the return); a pharmacist may
/// do all the shop does and is the only one who ends the check of flagged lines (handing the order
/// to the shop, accepting it, or rejecting it); housekeeping places
/// or fails an order once its money is held or refused, puts it into the check, and expires what
/// nobody accepted.
fn actor_may(actor: OrderActor, situation: OrderSituation, to: OrderStatus) -> bool {
    use OrderStatus::*;
    let from = situation.status;
    let courier_completes = situation.by_courier && (from, to) == (Ready, Completed);
    let shop = matches!((from, to), (Placed, Accepted | Rejected))
        || (from.is_in_hand() && to != Expired && !(situation.by_courier && to == Completed));
    match actor {
        OrderActor::Customer => matches!((from, to), (Placed | AwaitingPharmacist, Cancelled)),
        OrderActor::Shop => shop,
        OrderActor::Pharmacist => shop || matches!((from, to), (AwaitingPharmacist, Placed | Accepted | Rejected)),
        OrderActor::Courier => courier_completes,
        OrderActor::System => {
            courier_completes
                || matches!(
                    (from, to),
                    (Placed | AwaitingPharmacist, Expired)
                        | (Placed, AwaitingPharmacist)
                        | (Paying, Placed | Failed)
                        | (Accepted | Preparing | Ready, Cancelled)
                )
        }
    }
}

/// What the order looks like to a move: beyond its status, whether flagged lines still wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSituation {
    pub status: OrderStatus,
    /// Lines flagged "needs a pharmacist's check" that nobody has approved or refused yet.
    pub unchecked_lines: u32,
    /// Whether a courier brings it (a delivery order): its courier completes it, not the shop.
    pub by_courier: bool,
}

impl OrderSituation {
    /// A pickup order with nothing waiting for a pharmacist.
    pub fn at(status: OrderStatus) -> Self {
        Self { status, unchecked_lines: 0, by_courier: false }
    }
}

/// Checks a move against the table, the party and the order's situation, and builds the
/// [`Transition`] the store will accept.
pub fn plan_move(
    situation: OrderSituation,
    actor: OrderActor,
    to: OrderStatus,
    has_reason: bool,
) -> Result<Transition<OrderStatus>, OrderMoveError> {
    let from = situation.status;
    let transition = Transition::new(from, to).ok_or(OrderMoveError::NotAllowed { from, to })?;
    // The shop's staff are told the order waits for the check, not that it is none of theirs.
    let staff = matches!(actor, OrderActor::Shop | OrderActor::Pharmacist);
    let leaves_the_check =
        to == OrderStatus::Accepted || (from, to) == (OrderStatus::AwaitingPharmacist, OrderStatus::Placed);
    if staff && leaves_the_check && situation.unchecked_lines > 0 {
        return Err(OrderMoveError::CheckPending);
    }
    if !actor_may(actor, situation, to) {
        return Err(OrderMoveError::NotYours { actor, from, to });
    }
    if to.needs_reason() && !has_reason {
        return Err(OrderMoveError::ReasonMissing(to));
    }
    Ok(transition)
}

/// The status a new order starts in, and the move that follows at once when lines need a check.
pub fn first_move(flagged_lines: u32) -> Option<Transition<OrderStatus>> {
    (flagged_lines > 0).then(|| Transition::new(OrderStatus::Placed, OrderStatus::AwaitingPharmacist)).flatten()
}

/// What `actor` may do to an order in `situation` now; `reviewed` says whether the customer has
/// already rated it.
pub fn next_actions(situation: OrderSituation, actor: OrderActor, reviewed: bool) -> Vec<OrderAction> {
    use OrderAction::*;
    let can = |to: OrderStatus| plan_move(situation, actor, to, true).is_ok();
    let mut actions = Vec::new();
    let mut offer = |allowed: bool, action: OrderAction| {
        if allowed {
            actions.push(action);
        }
    };
    let status = situation.status;
    offer(can(OrderStatus::Accepted), Accept);
    offer(can(OrderStatus::Rejected), Reject);
    offer(can(OrderStatus::Preparing), StartPreparing);
    offer(can(OrderStatus::Ready), MarkReady);
    offer(can(OrderStatus::Completed), HandOver);
    offer(can(OrderStatus::Cancelled), Cancel);
    let staff = matches!(actor, OrderActor::Shop | OrderActor::Pharmacist);
    offer(staff && status.is_in_hand(), EditLines);
    offer(
        actor == OrderActor::Pharmacist && status == OrderStatus::AwaitingPharmacist && situation.unchecked_lines > 0,
        CheckLines,
    );
    let customer = actor == OrderActor::Customer;
    offer(customer && status == OrderStatus::Completed && !reviewed, Review);
    offer(customer && status.is_final(), Reorder);
    // A photo of the prescription helps while a pharmacist still has lines to check.
    offer(customer && !status.is_final() && situation.unchecked_lines > 0, AttachPrescription);
    actions
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use OrderStatus::*;

    fn at(status: OrderStatus) -> OrderSituation {
        OrderSituation::at(status)
    }

    #[test]
    fn the_happy_path_of_a_pickup_is_allowed_step_by_step() {
        let steps = [(Placed, Accepted), (Accepted, Preparing), (Preparing, Ready), (Ready, Completed)];
        for (from, to) in steps {
            let moved = plan_move(at(from), OrderActor::Shop, to, false).unwrap();
            assert_eq!((moved.from(), moved.to()), (from, to));
        }
    }

    #[test]
    fn a_delivery_is_completed_by_its_courier_not_the_shop() {
        let delivery = OrderSituation { by_courier: true, ..at(Ready) };
        assert_eq!(
            plan_move(delivery, OrderActor::Shop, Completed, false),
            Err(OrderMoveError::NotYours { actor: OrderActor::Shop, from: Ready, to: Completed })
        );
        assert!(plan_move(delivery, OrderActor::Courier, Completed, false).is_ok());
        assert!(plan_move(delivery, OrderActor::System, Completed, false).is_ok(), "a return the shop keeps");
        assert!(plan_move(delivery, OrderActor::Shop, Cancelled, true).is_ok());
        assert!(!next_actions(delivery, OrderActor::Shop, false).contains(&OrderAction::HandOver));
        assert!(plan_move(at(Ready), OrderActor::Courier, Completed, false).is_err(), "a pickup has no courier");
        assert!(plan_move(at(Ready), OrderActor::System, Completed, false).is_err());
        for status in OrderStatus::ALL {
            if *status != Ready {
                let early = OrderSituation { by_courier: true, ..at(*status) };
                assert!(plan_move(early, OrderActor::Courier, Completed, false).is_err(), "{status}");
            }
        }
    }

    #[test]
    fn the_ends_are_final_and_nothing_goes_back() {
        for end in [Completed, Rejected, Cancelled, Expired, Failed] {
            assert!(end.is_final(), "{end}");
        }
        for status in OrderStatus::ALL {
            // Only a checked pharmacy order goes back to placed: to wait for the shop.
            assert!(matches!(status, Paying | AwaitingPharmacist) || !status.may_become(Placed), "{status} -> placed");
            assert!(!status.may_become(*status), "{status} -> itself");
        }
        assert_eq!(
            plan_move(at(Completed), OrderActor::Shop, Cancelled, true),
            Err(OrderMoveError::NotAllowed { from: Completed, to: Cancelled })
        );
        assert!(plan_move(at(Ready), OrderActor::Shop, Accepted, false).is_err());
    }

    #[test]
    fn the_customer_cancels_only_before_the_shop_accepts() {
        assert!(plan_move(at(Placed), OrderActor::Customer, Cancelled, true).is_ok());
        assert!(plan_move(at(AwaitingPharmacist), OrderActor::Customer, Cancelled, true).is_ok());
        for status in [Accepted, Preparing, Ready] {
            assert_eq!(
                plan_move(at(status), OrderActor::Customer, Cancelled, true),
                Err(OrderMoveError::NotYours { actor: OrderActor::Customer, from: status, to: Cancelled })
            );
        }
        assert!(plan_move(at(Placed), OrderActor::Customer, Accepted, false).is_err());
    }

    #[test]
    fn the_shop_cancels_until_hand_over_and_always_says_why() {
        for status in [Accepted, Preparing, Ready] {
            assert!(plan_move(at(status), OrderActor::Shop, Cancelled, true).is_ok());
            assert_eq!(
                plan_move(at(status), OrderActor::Shop, Cancelled, false),
                Err(OrderMoveError::ReasonMissing(Cancelled))
            );
        }
        assert_eq!(
            plan_move(at(Placed), OrderActor::Shop, Rejected, false),
            Err(OrderMoveError::ReasonMissing(Rejected))
        );
    }

    #[test]
    fn only_housekeeping_places_an_order_and_only_once_its_money_is_held() {
        assert!(plan_move(at(Paying), OrderActor::System, Placed, false).is_ok());
        assert!(plan_move(at(Paying), OrderActor::System, Failed, false).is_ok());
        for actor in [OrderActor::Customer, OrderActor::Shop, OrderActor::Pharmacist] {
            assert!(plan_move(at(Paying), actor, Placed, false).is_err(), "{actor}");
            assert!(next_actions(at(Paying), actor, false).is_empty(), "{actor}");
        }
        assert!(plan_move(at(Paying), OrderActor::System, Accepted, false).is_err());
    }

    #[test]
    fn only_housekeeping_expires_and_only_what_nobody_accepted() {
        assert!(plan_move(at(Placed), OrderActor::System, Expired, false).is_ok());
        assert!(plan_move(at(AwaitingPharmacist), OrderActor::System, Expired, false).is_ok());
        assert!(plan_move(at(Accepted), OrderActor::System, Expired, false).is_err());
        assert!(plan_move(at(Placed), OrderActor::Shop, Expired, false).is_err());
        assert!(plan_move(at(Placed), OrderActor::System, Accepted, false).is_err());
    }

    #[test]
    fn housekeeping_cancels_an_order_left_in_hand_but_never_completes_one() {
        for status in [Accepted, Preparing, Ready] {
            assert!(plan_move(at(status), OrderActor::System, Cancelled, true).is_ok(), "{status}");
            assert!(plan_move(at(status), OrderActor::System, Cancelled, false).is_err(), "a reason: {status}");
            assert!(plan_move(at(status), OrderActor::System, Completed, true).is_err(), "{status}");
        }
    }

    #[test]
    fn flagged_lines_wait_for_the_pharmacist_and_the_shop_cannot_skip_the_check() {
        assert_eq!(first_move(0), None);
        let check = first_move(2).unwrap();
        assert_eq!((check.from(), check.to()), (Placed, AwaitingPharmacist));
        let waiting = OrderSituation { unchecked_lines: 1, ..at(AwaitingPharmacist) };
        assert_eq!(plan_move(waiting, OrderActor::Pharmacist, Accepted, false), Err(OrderMoveError::CheckPending));
        assert_eq!(
            plan_move(waiting, OrderActor::Shop, Accepted, false),
            Err(OrderMoveError::CheckPending),
            "the shop waits for the pharmacist"
        );
        assert!(plan_move(waiting, OrderActor::Customer, Accepted, false).is_err());
        assert!(plan_move(waiting, OrderActor::Pharmacist, Rejected, true).is_ok(), "refusing needs no full check");
        assert_eq!(plan_move(waiting, OrderActor::Pharmacist, Placed, false), Err(OrderMoveError::CheckPending));
        let checked = OrderSituation { unchecked_lines: 0, ..waiting };
        assert!(plan_move(checked, OrderActor::Pharmacist, Accepted, false).is_ok());
        assert!(plan_move(checked, OrderActor::Pharmacist, Placed, false).is_ok(), "checked: back to the shop");
        assert!(plan_move(checked, OrderActor::Shop, Placed, false).is_err(), "only the pharmacist ends the check");
        assert!(plan_move(checked, OrderActor::System, Placed, false).is_err());
        assert_eq!(
            next_actions(waiting, OrderActor::Pharmacist, false),
            vec![OrderAction::Reject, OrderAction::CheckLines]
        );
    }

    #[test]
    fn the_hold_is_captured_on_completion_and_voided_on_every_other_end() {
        assert_eq!(Completed.hold_effect(), HoldEffect::Capture);
        for end in [Rejected, Cancelled, Expired, Failed] {
            assert_eq!(end.hold_effect(), HoldEffect::Void);
        }
        for status in [Paying, Placed, AwaitingPharmacist, Accepted, Preparing, Ready] {
            assert_eq!(status.hold_effect(), HoldEffect::Keep);
            assert!(!status.is_final());
        }
    }

    #[test]
    fn next_actions_are_what_the_table_allows_each_party() {
        use OrderAction::*;
        assert_eq!(next_actions(at(Placed), OrderActor::Shop, false), vec![Accept, Reject]);
        assert!(
            plan_move(at(Placed), OrderActor::Shop, Cancelled, true).is_err(),
            "before accepting, the shop rejects"
        );
        assert_eq!(next_actions(at(Placed), OrderActor::Customer, false), vec![Cancel]);
        assert_eq!(
            next_actions(at(Accepted), OrderActor::Shop, false),
            vec![StartPreparing, MarkReady, Cancel, EditLines]
        );
        assert_eq!(next_actions(at(Ready), OrderActor::Shop, false), vec![HandOver, Cancel, EditLines]);
        assert_eq!(next_actions(at(Ready), OrderActor::Customer, false), Vec::<OrderAction>::new());
        assert_eq!(next_actions(at(Completed), OrderActor::Customer, false), vec![Review, Reorder]);
        assert_eq!(next_actions(at(Completed), OrderActor::Customer, true), vec![Reorder]);
        assert_eq!(next_actions(at(Expired), OrderActor::Shop, false), Vec::<OrderAction>::new());
        let waiting = OrderSituation { unchecked_lines: 1, ..at(AwaitingPharmacist) };
        assert_eq!(next_actions(waiting, OrderActor::Customer, false), vec![Cancel, AttachPrescription]);
        assert_eq!(next_actions(waiting, OrderActor::Shop, false), Vec::<OrderAction>::new(), "the pharmacist first");
    }
}
