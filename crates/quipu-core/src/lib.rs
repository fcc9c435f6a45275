//! Quipu's services: the kernel and every context, composed into
//! [`Services`], and the background work that spans them (the ledger
//! writer, housekeeping, the webhook sender).
//!
//! The contexts are crates of their own, so their dependencies are plain to
//! see and cannot form a cycle: every context depends on the kernel; payments
//! and the wallet on events; merchant QR on payments; cards on payments and
//! the wallet; support on the wallet; delivery reads orders through their store handle. Nothing here knows about HTTP: the JSON
//! API is built over these services, and the web pages over the API.

mod couriers;
pub mod export;
mod pharmacy;

use std::sync::Arc;

use quipu_domain::ledger::TransferId;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use quipu_cards::Cards;
pub use quipu_delivery::Delivery;
pub use quipu_events::Events;
pub use quipu_identity::Identity;
pub use quipu_kernel::{
    Clock, CommissionSettings, CoreError, CoreResult, ErrorKind, GuessSource, HashCost, Kernel, LedgerWriter,
    OffsetClock, OsRandom, PaymentSettings, Principal, Random, Settings, SystemClock, WebhookSettings, WriterLimits,
};
pub use quipu_market::Market;
pub use quipu_merchant_qr::MerchantQrs;
pub use quipu_payments::{PaymentDocuments, Payments};
pub use quipu_settlement::Settlement;
pub use quipu_support::Support;
pub use quipu_wallet::Wallet;
pub use {
    quipu_cards as cards, quipu_delivery as delivery, quipu_events as events, quipu_identity as identity,
    quipu_kernel as kernel, quipu_market as market, quipu_merchant_qr as merchant_qr, quipu_payments as payments,
    quipu_settlement as settlement, quipu_store as store, quipu_support as support, quipu_wallet as wallet,
};

/// The services, shared by every request handler.
pub struct Services {
    pub kernel: Arc<Kernel>,
    pub identity: Identity,
    pub wallet: Wallet,
    pub payments: Payments,
    pub merchant_qr: MerchantQrs,
    pub cards: Cards,
    pub events: Events,
    pub support: Support,
    pub settlement: Settlement,
    pub market: Market,
    pub delivery: Delivery,
}

/// The background tasks; stop them with [`Background::shutdown`] after the
/// HTTP server has finished its in-flight requests.
pub struct Background {
    kernel: Arc<Kernel>,
    stop: watch::Sender<bool>,
    writer: JoinHandle<()>,
    sweeper: JoinHandle<()>,
    webhooks: JoinHandle<()>,
}

impl Background {
    /// Stops the sweeper, then lets the writer commit what is queued and stop,
    /// then makes the last writes durable. Nothing acknowledged is lost:
    /// acknowledgement only ever follows a durable commit.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.sweeper.await;
        // An attempt cut short here is retried after its lease lapses.
        let _ = self.webhooks.await;
        let _ = self.writer.await;
        // Writes since the writer's last commit (a webhook's last attempt, say) answered nobody yet.
        if let Err(error) = self.kernel.store.sync().await {
            tracing::warn!(%error, "the last writes before stopping may not be durable");
        }
    }
}

impl Services {
    /// Starts the kernel (and its ledger writer), every context, housekeeping
    /// and the webhook sender. `documents` renders what payment events carry.
    pub async fn start(
        store: Arc<dyn quipu_store::Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: Settings,
        market_settings: quipu_market::MarketSettings,
        documents: Arc<dyn PaymentDocuments>,
    ) -> CoreResult<(Arc<Self>, Background)> {
        let (stop, stop_signal) = watch::channel(false);
        let (kernel, writer) = Kernel::start(store, clock, random, settings, stop_signal.clone()).await?;
        let payments = Payments::new(kernel.clone(), documents);
        let wallet = Wallet::new(kernel.clone());
        // The market is handed only its own store trait (an upcast of the whole store), not the whole store.
        let market_store: Arc<dyn quipu_store::MarketStore> = kernel.store.clone();
        let order_store: Arc<dyn quipu_store::OrderStore> = kernel.store.clone();
        let habit_store: Arc<dyn quipu_store::HabitStore> = kernel.store.clone();
        let delivery_store: Arc<dyn quipu_store::DeliveryStore> = kernel.store.clone();
        let unclaimed_minutes = market_settings.unclaimed_delivery_minutes;
        let market =
            Market::new(kernel.clone(), market_store, order_store.clone(), habit_store).with_settings(market_settings);
        let services = Arc::new(Self {
            identity: Identity::new(kernel.clone()),
            merchant_qr: MerchantQrs::new(kernel.clone(), payments.clone()),
            cards: Cards::new(kernel.clone(), payments.clone(), wallet.clone()),
            events: Events::new(kernel.clone()),
            support: Support::new(kernel.clone(), wallet.clone()),
            settlement: Settlement::new(kernel.clone()),
            market: market.clone(),
            delivery: Delivery::new(kernel.clone(), delivery_store, order_store, market)
                .with_unclaimed_after(unclaimed_minutes),
            wallet,
            payments,
            kernel: kernel.clone(),
        });
        let sweeper = tokio::spawn(sweep_expired_holds(services.clone(), stop_signal.clone()));
        let webhooks = tokio::spawn(quipu_events::webhooks::send_webhooks(kernel.clone(), stop_signal));
        Ok((services, Background { kernel, stop, writer, sweeper, webhooks }))
    }
}

/// Voids holds whose deadline passed. Ids are derived from the hold's id, so
/// two processes sweeping the same hold write one transfer between them.
async fn sweep_expired_holds(services: Arc<Services>, mut stop: watch::Receiver<bool>) {
    const PAGE: u32 = 500;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(services.kernel.settings.hold_sweep_interval) => {}
            _ = stop.changed() => return,
        }
        if let Err(error) = sweep_once(&services, PAGE).await {
            tracing::warn!(%error, "expiring holds failed; will retry");
        }
    }
}

/// How long a payment may stay `processing` (or a refund `pending`) before
/// housekeeping finishes it: past the 30 s request timeout, so a request still
/// running is normally left to finish its own work.
const INTERRUPTED_AFTER_SECONDS: i64 = 60;

/// One pass of housekeeping; public so tests can run it on demand. Returns
/// how many holds it expired.
pub async fn sweep_once(services: &Services, limit: u32) -> CoreResult<usize> {
    let kernel = &services.kernel;
    let now = kernel.now();
    let expired = kernel.store.expired_holds(now, limit).await?;
    for pending_id in &expired {
        let id = TransferId(quipu_kernel::secrets::derived_id("quipu.expire", &[pending_id.0.as_bytes()]));
        kernel.ledger.expire(id, *pending_id).await?;
    }
    let retention = now.plus_seconds(-kernel.settings.idempotency_retention_seconds);
    kernel.store.purge_stale(retention, now, limit).await?;
    services.payments.finish_interrupted(INTERRUPTED_AFTER_SECONDS, limit).await?;
    services.settlement.run_schedules(limit).await?;
    services.market.run_due_orders(limit).await?;
    services.market.delete_old_prescriptions(limit).await?;
    services.market.run_due_alerts().await?;
    services.delivery.delete_old_trails(limit).await?;
    services.delivery.alert_unclaimed().await?;
    Ok(expired.len())
}
