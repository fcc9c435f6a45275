//! The hand-over: the customer's four-digit code completes an order, typed by the shop at the
//! counter (a pickup) or by the courier at the door (a delivery, with the courier's pay and any
//! tip in the capture's chain). A delivery whose goods come back is settled by the shop's stated
//! policy for returned goods. The tip the customer adds after pickup is held here too.
//!
//! The code is derived from the instance's hand-over key and the order's id, so it is never
//! stored; the order keeps a keyed hash of it. Each guess is counted before it is compared (so a
//! burst of guesses counts exactly), and too many wrong ones lock the code for a while: the lock
//! stops the guesser, and the customer's code still works once it lifts.

use quipu_domain::delivery::handover::{HandoverCode, KEY_BYTES, LOCK_SECONDS, MAX_WRONG_CODES};
use quipu_domain::identity::Pin;
use quipu_domain::identity::{Role, UserId};
use quipu_domain::ledger::{AccountKind, TransferCode, TransferCommand, TransferOp};
use quipu_domain::market::checkout::{FulfilmentKind, OrderId, OrderLeg, order_ledger_reference};
use quipu_domain::market::order::{OrderActor, OrderStatus};
use quipu_domain::market::storefront::ReturnedGoods;
use quipu_domain::{Amount, Timestamp};
use quipu_kernel::{CoreError, CoreResult, ErrorKind, GuessSource, Principal};
use quipu_store::AccountOwner;
use quipu_store::delivery::{JobMove, JobRecord};
use quipu_store::orders::{HandoverGuess, HandoverHash, OrderRecord};
use subtle::ConstantTimeEq;

use crate::orders::Settlement;
use crate::{Market, Order};

/// The key's name among the instance's keys.
const KEY_PURPOSE: &str = "handover";

impl Market {
    /// The instance's hand-over key, made on first use and kept by every process alike.
    async fn handover_key(&self) -> CoreResult<&[u8]> {
        let key = self
            .handover_key
            .get_or_try_init(|| async {
                let mut fresh = [0_u8; KEY_BYTES];
                self.kernel.random.fill(&mut fresh);
                self.orders.instance_key(KEY_PURPOSE, &fresh, self.kernel.now()).await
            })
            .await?;
        Ok(key.as_slice())
    }

    /// The hashes a checkout stores for its orders' codes.
    pub(crate) async fn handover_hashes(&self, orders: &[OrderRecord]) -> CoreResult<Vec<HandoverHash>> {
        let key = self.handover_key().await?;
        Ok(orders
            .iter()
            .map(|order| HandoverHash {
                order: order.id,
                hash: HandoverCode::of_order(key, order.id).check_hash(key, order.id),
            })
            .collect())
    }

    /// The code the customer shows, while their order can still be handed over.
    pub(crate) async fn handover_code_for(&self, order: &OrderRecord) -> CoreResult<Option<HandoverCode>> {
        let open = !order.status.is_final() && order.status != OrderStatus::Paying;
        if !open {
            return Ok(None);
        }
        let key = self.handover_key().await?;
        Ok(Some(HandoverCode::of_order(key, order.id)))
    }

    /// Checks a typed code against the order's, counting the guess first.
    pub async fn check_handover_code(&self, order: &OrderRecord, typed: &str) -> CoreResult<()> {
        let typed = HandoverCode::parse(typed)
            .map_err(|error| CoreError::invalid("handover_code_invalid", error.to_string()))?;
        let now = self.kernel.now();
        let lock_until = now.plus_seconds(LOCK_SECONDS);
        let guess = self.orders.claim_handover_guess(order.id, now, MAX_WRONG_CODES, lock_until).await?;
        let (stored, counted) = match guess {
            HandoverGuess::Counted { hash, counted } => (hash, counted),
            HandoverGuess::Locked(until) => return Err(locked(now, until)),
            HandoverGuess::Missing => {
                return Err(CoreError::rejected("handover_code_missing", "this order was placed without a code"));
            }
        };
        let key = self.handover_key().await?;
        let hash = typed.check_hash(key, order.id);
        if bool::from(hash.as_slice().ct_eq(&stored)) {
            self.orders.handover_right(order.id, now).await?;
            return Ok(());
        }
        let left = MAX_WRONG_CODES.saturating_sub(counted);
        if left == 0 {
            return Err(locked(now, lock_until));
        }
        Err(CoreError::rejected(
            "handover_code_wrong",
            format!("that is not the customer's code; {left} more tries before it locks for 15 minutes"),
        ))
    }

    /// The shop hands a pickup order over at the counter, with the code the customer shows.
    pub async fn hand_over_pickup(&self, principal: &Principal, id: OrderId, code: &str) -> CoreResult<Order> {
        let (order, actor) = self.visible_order(principal, id).await?;
        if order.fulfilment == FulfilmentKind::Delivery {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "order_delivered_by_courier",
                "a courier completes this order at the customer's door, with their code",
            ));
        }
        if order.status != OrderStatus::Ready {
            // The table says why; no guess is counted at an order that cannot be handed over.
            return self.advance_order(principal, id, OrderStatus::Completed).await;
        }
        self.check_handover_code(&order, code).await?;
        let by = Some(principal.scope());
        let moved =
            self.move_order(&order, actor, by, OrderStatus::Completed, None, None, Settlement::default()).await?;
        self.order_view(moved, actor).await
    }

    /// The courier completes a delivery (the code already checked): the hold is captured with the
    /// merchant's fee, the courier's fee and the tip in one chain, and the order and the job's
    /// `delivered` step are written together.
    pub async fn complete_delivery(&self, job: &JobRecord, delivered: &JobMove<'_>) -> CoreResult<OrderRecord> {
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let courier = job.courier.ok_or_else(|| CoreError::rejected("job_unassigned", "nobody holds this job"))?;
        let mut legs = self.courier_pay(&order, job, courier).await?;
        legs.extend(self.tip_settlement(&order, job, courier, true).await?);
        let by = Some(courier.0);
        let settlement = Settlement { job_step: Some(delivered), legs };
        self.move_order(&order, OrderActor::Courier, by, OrderStatus::Completed, None, None, settlement).await
    }

    /// The shop has its goods back: the job is `returned`, and the order ends by the shop's
    /// policy. `refund` gives the customer all their money back and the shop pays the courier's
    /// fee from its balance; `charge` completes the order as if delivered (a cooked meal cannot be
    /// sold again). Either way the courier is paid for the ride, and a tip goes back.
    pub async fn settle_return(
        &self,
        job: &JobRecord,
        returned: &JobMove<'_>,
        by: Option<uuid::Uuid>,
    ) -> CoreResult<OrderRecord> {
        let order = self.orders.order(job.order).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let courier = job.courier.ok_or_else(|| CoreError::rejected("job_unassigned", "nobody holds this job"))?;
        let mut legs = self.courier_pay(&order, job, courier).await?;
        legs.extend(self.tip_settlement(&order, job, courier, false).await?);
        let settlement = Settlement { job_step: Some(returned), legs };
        let policy = self.returned_goods(&order).await?;
        let note = Some(format!("the courier brought the goods back; the shop's policy: {policy}"));
        let (actor, to) = match policy {
            ReturnedGoods::Refund => (OrderActor::Shop, OrderStatus::Cancelled),
            ReturnedGoods::Charge => (OrderActor::System, OrderStatus::Completed),
        };
        self.move_order(&order, actor, by, to, note, None, settlement).await
    }

    /// The operator cancels a delivery nobody has picked up yet: the order is cancelled (its money
    /// goes back) and its job with it, as housekeeping would.
    pub async fn cancel_for_operator(&self, id: OrderId, by: Option<uuid::Uuid>, reason: &str) -> CoreResult<()> {
        let order = self.orders.order(id).await?.ok_or_else(|| CoreError::not_found("order"))?;
        let note = Some(format!("cancelled by the operator: {reason}"));
        self.move_order(&order, OrderActor::System, by, OrderStatus::Cancelled, note, None, Settlement::default())
            .await?;
        Ok(())
    }

    /// The policy for goods brought back, as the seller's kind states it.
    pub async fn returned_goods(&self, order: &OrderRecord) -> CoreResult<ReturnedGoods> {
        let seller = self.store.seller(order.seller).await?.ok_or_else(|| CoreError::not_found("seller"))?;
        Ok(seller.kind.returned_goods())
    }

    /// The customer adds a tip for the courier carrying their order, with their PIN: held from
    /// their wallet now, paid at hand-over, given back if the goods come back.
    pub async fn add_tip(
        &self,
        principal: &Principal,
        id: OrderId,
        job: &JobRecord,
        tip: Amount,
        pin: &Pin,
    ) -> CoreResult<()> {
        let customer = principal.require(Role::Customer)?;
        let (order, _) = self.visible_order(principal, id).await?;
        let courier = job.courier.filter(|_| job.status.takes_tip());
        let Some(courier) = courier else {
            return Err(CoreError::new(
                ErrorKind::Conflict,
                "tip_not_now",
                "a tip is added while a courier brings the order",
            ));
        };
        if tip <= Amount::ZERO {
            return Err(CoreError::invalid("tip_invalid", "a tip is more than zero"));
        }
        self.kernel.check_transfer_limit(self.kernel.settings.currencies.default_currency(), tip)?;
        let user = self.kernel.current_user(principal).await?;
        self.kernel.check_pin(&user, pin, &GuessSource::user(customer)).await?;
        if !self.orders_delivery_tip(job, tip).await? {
            return Err(CoreError::new(ErrorKind::Conflict, "tip_exists", "this order already has a tip"));
        }
        let hold = self.tip_hold(&order, courier, tip).await?;
        match self.kernel.ledger.submit(vec![hold]).await? {
            Ok(_) => Ok(()),
            Err(rejection) => {
                self.orders.clear_tip(job.id, tip).await?;
                Err(CoreError::from(rejection.error))
            }
        }
    }

    /// Records a tip on the job (once): false if it has one.
    async fn orders_delivery_tip(&self, job: &JobRecord, tip: Amount) -> CoreResult<bool> {
        if job.tip == tip {
            // A retry of the same tip: its hold is submitted again, and the ledger answers it.
            return Ok(true);
        }
        if job.tip > Amount::ZERO {
            return Ok(false);
        }
        Ok(self.orders.set_tip(job.id, tip).await?)
    }

    /// The courier's fee: merchant → the courier's wallet.
    async fn courier_pay(
        &self,
        order: &OrderRecord,
        job: &JobRecord,
        courier: UserId,
    ) -> CoreResult<Vec<TransferCommand>> {
        if job.fee <= Amount::ZERO {
            return Ok(Vec::new());
        }
        let kernel = &self.kernel;
        let debit =
            kernel.ensure_account(AccountOwner::Merchant(order.seller), AccountKind::Merchant, job.currency).await?;
        let credit =
            kernel.ensure_account(AccountOwner::User(courier), AccountKind::CustomerWallet, job.currency).await?;
        Ok(vec![TransferCommand {
            id: OrderLeg::Courier.transfer_id(order.id),
            op: TransferOp::Posted { debit, credit, amount: job.fee, currency: job.currency },
            code: TransferCode::Delivery,
            reference: order_ledger_reference(order.id),
            credit_cap: None,
        }])
    }

    /// The tip's end, linked into the settling chain: posted to the courier when `delivered`,
    /// else given back. A tip whose hold the ledger no longer takes (the customer's money went
    /// before it was held) is dropped, and the chain goes on without it.
    async fn tip_settlement(
        &self,
        order: &OrderRecord,
        job: &JobRecord,
        courier: UserId,
        delivered: bool,
    ) -> CoreResult<Vec<TransferCommand>> {
        if job.tip <= Amount::ZERO {
            return Ok(Vec::new());
        }
        // The hold is made again (the ledger answers a repeat with the one it made): a tip
        // recorded before a crash took its hold is held now, or dropped.
        let hold = self.tip_hold(order, courier, job.tip).await?;
        if self.kernel.ledger.submit(vec![hold]).await?.is_err() {
            self.orders.clear_tip(job.id, job.tip).await?;
            return Ok(Vec::new());
        }
        let pending_id = OrderLeg::TipHold.transfer_id(order.id);
        let (id, op) = if delivered {
            (OrderLeg::TipPost, TransferOp::Post { pending_id, amount: None })
        } else {
            (OrderLeg::TipVoid, TransferOp::Void { pending_id })
        };
        Ok(vec![TransferCommand {
            id: id.transfer_id(order.id),
            op,
            code: TransferCode::Tip,
            reference: order_ledger_reference(order.id),
            credit_cap: None,
        }])
    }

    async fn tip_hold(&self, order: &OrderRecord, courier: UserId, tip: Amount) -> CoreResult<TransferCommand> {
        let kernel = &self.kernel;
        let currency = order.currency;
        let debit =
            kernel.ensure_account(AccountOwner::User(order.customer), AccountKind::CustomerWallet, currency).await?;
        let credit = kernel.ensure_account(AccountOwner::User(courier), AccountKind::CustomerWallet, currency).await?;
        Ok(TransferCommand {
            id: OrderLeg::TipHold.transfer_id(order.id),
            op: TransferOp::Pending { debit, credit, amount: tip, currency, timeout_seconds: None },
            code: TransferCode::Tip,
            reference: order_ledger_reference(order.id),
            credit_cap: None,
        })
    }
}

fn locked(now: Timestamp, until: Timestamp) -> CoreError {
    let minutes = until.0.saturating_sub(now.0).saturating_add(59) / 60;
    CoreError::new(
        ErrorKind::Locked,
        "handover_code_locked",
        format!("too many wrong codes: try again in {} minutes", minutes.max(1)),
    )
}
