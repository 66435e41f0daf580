//! The background deliverer. Each round it claims due deliveries (a short statement with
//! `SKIP LOCKED` and a lease: `kinerja_store::webhook_rows::claim`), sends them concurrently
//! with a timeout and outside any transaction, and settles each under its lease: delivered,
//! due again after the retry policy's wait, or given up; an endpoint that has failed every
//! delivery for [`DeliveryConfig::disable_after`] is disabled, with the reason on it.
//!
//! All its state is in PostgreSQL, so a restart loses nothing: a delivery claimed by a server
//! that died is due again when its lease ends (at least once), and any number of servers can
//! run a deliverer (never one delivery twice at the same moment).

use std::time::Duration;

use actix_web::http::header;
use futures_util::future::join_all;
use kinerja_domain::webhooks::{disabled_reason, RetryPolicy, DELIVERY_LOG_KEPT, DISABLE_AFTER};
use kinerja_store::webhook_rows::{self, ClaimedDelivery, Outcome};
use kinerja_store::{in_transaction, AsyncPgConnection, Db};

use super::signature::sign;
use super::{check_url, PublicAddressesOnly, Targets};
use crate::http::error::ApiError;
use crate::integration::event_payload::EventView;

#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// How long one try may take, connecting included.
    pub timeout: Duration,
    pub retry: RetryPolicy,
    pub disable_after: Duration,
    /// Deliveries claimed (and sent at once) per round.
    pub batch: i64,
    /// How long to wait after a round that found nothing due.
    pub idle: Duration,
    /// How long a settled delivery stays in the log.
    pub log_kept: Duration,
    /// Which receivers may be sent to: checked again at each send (the URL, and every address
    /// its name resolves to), whatever was allowed when the endpoint was registered.
    pub targets: Targets,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            disable_after: DISABLE_AFTER,
            batch: 16,
            idle: Duration::from_secs(1),
            targets: Targets::default(),
            log_kept: DELIVERY_LOG_KEPT,
        }
    }
}

impl DeliveryConfig {
    /// How long a claim holds: longer than a try can take (the timeout), with room to settle it.
    pub fn lease(&self) -> Duration {
        self.timeout * 3
    }
}

/// Sends webhooks. Made and run on one thread of the actix runtime (its HTTP client is not
/// `Send`).
pub struct Deliverer {
    db: Db,
    config: DeliveryConfig,
    client: awc::Client,
    tries: Option<prometheus::IntCounterVec>,
}

impl Deliverer {
    pub fn new(db: Db, config: DeliveryConfig) -> Deliverer {
        let resolver = match config.targets {
            Targets::AnyHttp => actix_tls::connect::Resolver::default(),
            Targets::PublicHttps => actix_tls::connect::Resolver::custom(PublicAddressesOnly),
        };
        let tcp = actix_tls::connect::Connector::new(resolver).service();
        let connector = awc::Client::builder().connector(awc::Connector::new().connector(tcp).timeout(config.timeout));
        let client = connector
            .disable_redirects()
            .timeout(config.timeout)
            .add_default_header((header::USER_AGENT, concat!("Kinerja-Webhooks/", env!("CARGO_PKG_VERSION"))))
            .finish();
        Deliverer { db, config, client, tries: None }
    }

    /// Counts tries in this metric (`/metrics`).
    pub fn counting(mut self, tries: prometheus::IntCounterVec) -> Deliverer {
        self.tries = Some(tries);
        self
    }

    /// Runs rounds until the runtime stops. A round that fails (the database away) is tried
    /// again after a wait that doubles up to 30 s; the failure is logged when it starts and when
    /// it ends, not every round.
    pub async fn run(self) {
        const MAX_WAIT: Duration = Duration::from_secs(30);
        const PRUNE_EVERY: Duration = Duration::from_secs(3600);
        let mut failing: Option<Duration> = None;
        let mut pruned_at: Option<std::time::Instant> = None;
        loop {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                match self.prune().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::info!(removed, "old webhook deliveries pruned from the log"),
                    Err(e) => tracing::warn!(error = %e, "pruning the webhook log failed"),
                }
                pruned_at = Some(std::time::Instant::now());
            }
            match self.run_once().await {
                Ok(claimed) => {
                    if failing.take().is_some() {
                        tracing::info!("webhook deliveries resume");
                    }
                    if claimed == 0 {
                        actix_web::rt::time::sleep(self.config.idle).await;
                    }
                }
                Err(e) => {
                    let wait = failing.map_or(self.config.idle, |w| (w * 2).min(MAX_WAIT));
                    if failing.is_none() {
                        tracing::warn!(error = %e, "webhook deliveries stopped; trying again with growing waits");
                    }
                    failing = Some(wait);
                    actix_web::rt::time::sleep(wait).await;
                }
            }
        }
    }

    /// Removes settled deliveries older than [`DeliveryConfig::log_kept`], a thousand at a time.
    pub async fn prune(&self) -> Result<usize, ApiError> {
        let mut conn = self.db.conn().await?;
        let mut removed = 0;
        loop {
            let batch = webhook_rows::prune_settled(&mut conn, self.config.log_kept.as_secs_f64(), 1000).await?;
            removed += batch;
            if batch < 1000 {
                return Ok(removed);
            }
        }
    }

    /// One round: claims what is due, sends it and settles it. Answers how many it claimed.
    pub async fn run_once(&self) -> Result<usize, ApiError> {
        let claimed = {
            let mut conn = self.db.conn().await?;
            webhook_rows::claim(&mut conn, self.config.batch, self.config.lease().as_secs_f64()).await?
        };
        let count = claimed.len();
        let outcomes = join_all(claimed.iter().map(|delivery| self.send(delivery))).await;
        let mut conn = self.db.conn().await?;
        for (delivery, outcome) in claimed.iter().zip(outcomes) {
            self.settle(&mut conn, delivery, outcome).await?;
        }
        Ok(count)
    }

    /// One try, as Standard Webhooks has it.
    async fn send(&self, delivery: &ClaimedDelivery) -> Outcome {
        let event_id = delivery.event.event_id.to_string();
        if let Err(refused) = check_url(&delivery.url, self.config.targets) {
            return self.failed(delivery, None, format!("the URL is not allowed: {}", refused.message));
        }
        let (body, timestamp, signature) = match signed(delivery, &event_id) {
            Ok(prepared) => prepared,
            Err(e) => return self.failed(delivery, None, format!("could not be prepared: {e}")),
        };
        let sent = self
            .client
            .post(&delivery.url)
            .insert_header((header::CONTENT_TYPE, "application/json"))
            .insert_header(("webhook-id", event_id))
            .insert_header(("webhook-timestamp", timestamp.to_string()))
            .insert_header(("webhook-signature", signature))
            .send_body(body)
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                Outcome::Delivered { status: i32::from(response.status().as_u16()) }
            }
            Ok(response) => {
                let status = response.status();
                self.failed(delivery, Some(i32::from(status.as_u16())), format!("the receiver answered {status}"))
            }
            Err(e) => self.failed(delivery, None, e.to_string()),
        }
    }

    fn failed(&self, delivery: &ClaimedDelivery, status: Option<i32>, error: String) -> Outcome {
        let attempt = u32::try_from(delivery.attempt).unwrap_or(u32::MAX);
        let retry_in_secs = self.config.retry.wait_after(attempt, jitter()).map(|wait| wait.as_secs_f64());
        Outcome::Failed { status, error, retry_in_secs }
    }

    /// Records a try, and what it says of its endpoint, in one transaction.
    async fn settle(
        &self,
        conn: &mut AsyncPgConnection,
        delivery: &ClaimedDelivery,
        outcome: Outcome,
    ) -> Result<(), ApiError> {
        let label = match &outcome {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Failed { retry_in_secs: Some(_), .. } => "retry",
            Outcome::Failed { retry_in_secs: None, .. } => "failed",
        };
        if let Some(tries) = &self.tries {
            tries.with_label_values(&[label]).inc();
        }
        let disable_after = self.config.disable_after;
        in_transaction(conn, async |tx| {
            if !webhook_rows::settle(tx, delivery, &outcome).await? {
                tracing::warn!(delivery = delivery.delivery_id, "a webhook claim lapsed before it was settled");
                return Ok(());
            }
            let Some(state) = webhook_rows::lock_failing_state(tx, delivery.endpoint_id).await? else {
                return Ok(());
            };
            match outcome {
                Outcome::Delivered { .. } if state.failing_since.is_some() => {
                    webhook_rows::set_failing(tx, delivery.endpoint_id, None, None).await?;
                }
                Outcome::Delivered { .. } => {}
                Outcome::Failed { .. } => {
                    let since = state.failing_since.unwrap_or(state.now);
                    let failing_for = (state.now - since).to_std().unwrap_or_default();
                    if state.enabled && failing_for >= disable_after {
                        let reason = disabled_reason(failing_for);
                        tracing::warn!(endpoint = %delivery.endpoint_id, %reason, "webhook endpoint disabled");
                        webhook_rows::set_failing(tx, delivery.endpoint_id, Some(since), Some(&reason)).await?;
                    } else if state.failing_since.is_none() {
                        webhook_rows::set_failing(tx, delivery.endpoint_id, Some(since), None).await?;
                    }
                }
            }
            Ok(())
        })
        .await
    }
}

/// A delivery's body, and its `webhook-timestamp` and `webhook-signature` values. During a
/// rotation the old secret signs too: a receiver takes any one signature that matches.
fn signed(delivery: &ClaimedDelivery, id: &str) -> Result<(Vec<u8>, i64, String), ApiError> {
    let body = serde_json::to_vec(&EventView::from(delivery.event.clone())).map_err(ApiError::internal)?;
    let timestamp = chrono::Utc::now().timestamp();
    let mut signature = sign(&delivery.secret, id, timestamp, &body)?;
    if let Some(previous) = &delivery.previous_secret {
        signature = format!("{signature} {}", sign(previous, id, timestamp, &body)?);
    }
    Ok((body, timestamp, signature))
}

/// A number in `[0, 1)` to spread retries.
fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0),
        Err(_) => 0.5,
    }
}
