//! Request ids, the request span every log line of a request carries, the access log, and the
//! Prometheus metrics.

use std::time::Duration;

use actix_web::http::header::{HeaderName, HeaderValue};
use kinerja_store::Db;
use prometheus::{
    Encoder, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the current request: the caller's `x-request-id` when it is sensible, else new.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl RequestId {
    pub fn from_header(value: Option<&HeaderValue>) -> RequestId {
        let given = value
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()));
        RequestId(given.map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned))
    }
}

/// Request counters and latency histograms by method, route pattern and status, plus the pool.
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool: IntGaugeVec,
    reads: IntCounterVec,
    replica_lag: GaugeVec,
    replica_up: IntGaugeVec,
    /// Times the embedded PostgreSQL was found stopped and started again.
    pub database_restarts: prometheus::IntCounter,
    /// Webhook tries, by how they went (`delivered`, `retry`, `failed`: given up).
    pub webhook_tries: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let labels = ["method", "route", "status"];
        let requests = IntCounterVec::new(Opts::new("kinerja_http_requests_total", "HTTP requests answered"), &labels)?;
        let latency = HistogramVec::new(
            HistogramOpts::new("kinerja_http_request_duration_seconds", "Time to answer an HTTP request")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            &labels,
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("kinerja_db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        let database_restarts = prometheus::IntCounter::new(
            "kinerja_database_restarts_total",
            "Times the embedded PostgreSQL was found stopped and started again",
        )?;
        let reads = IntCounterVec::new(
            Opts::new("kinerja_db_reads_total", "Lists, reports and exports read, by the pool that served them"),
            &["pool"],
        )?;
        let replica_lag = GaugeVec::new(
            Opts::new("kinerja_db_replica_lag_seconds", "Replay lag of each read replica, as last measured"),
            &["replica"],
        )?;
        let replica_up =
            IntGaugeVec::new(Opts::new("kinerja_db_replica_up", "Whether each read replica answers"), &["replica"])?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(database_restarts.clone()))?;
        registry.register(Box::new(reads.clone()))?;
        registry.register(Box::new(replica_lag.clone()))?;
        registry.register(Box::new(replica_up.clone()))?;
        let webhook_tries =
            IntCounterVec::new(Opts::new("kinerja_webhook_tries_total", "Webhook tries, by outcome"), &["outcome"])?;
        registry.register(Box::new(webhook_tries.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            pool,
            reads,
            replica_lag,
            replica_up,
            database_restarts,
            webhook_tries,
        })
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(elapsed.as_secs_f64());
    }

    /// The Prometheus text exposition, with the pool's state read now.
    pub fn render(&self, db: &Db) -> Result<String, prometheus::Error> {
        let status = db.status();
        let gauge = |state: &str, value: usize| {
            self.pool.with_label_values(&[state]).set(i64::try_from(value).unwrap_or(i64::MAX));
        };
        gauge("max", status.max_size);
        gauge("open", status.size);
        gauge("idle", status.available);
        gauge("in_use", status.size.saturating_sub(status.available));
        gauge("waiting", status.waiting);
        let served = db.reads_served();
        for (pool, total) in [("primary", served.primary), ("replica", served.replica)] {
            let counter = self.reads.with_label_values(&[pool]);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        for (i, replica) in db.replica_status().iter().enumerate() {
            let name = i.to_string();
            self.replica_up.with_label_values(&[name.as_str()]).set(i64::from(replica.up));
            if let Some(lag) = replica.lag {
                self.replica_lag.with_label_values(&[name.as_str()]).set(lag.as_secs_f64());
            }
        }
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_taken_when_sensible() {
        let given = HeaderValue::from_static("abc-123");
        assert_eq!(RequestId::from_header(Some(&given)).0, "abc-123");
        let spaced = HeaderValue::from_static("a b");
        assert_ne!(RequestId::from_header(Some(&spaced)).0, "a b");
        assert_eq!(RequestId::from_header(None).0.len(), 36);
    }
}
