//! Request metrics in the Prometheus text exposition format, written by hand: a counter per
//! (method, route, status) and a latency histogram per (method, route). Routes are the router's
//! patterns (`/api/v1/units/{id}`), never raw paths, so the label sets stay bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The label of requests that matched no route.
const UNMATCHED: &str = "unmatched";

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Observations per bucket (not cumulative; summed at render).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    durations: BTreeMap<(String, String), Histogram>,
}

/// The registry of one server.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        let method = method_label(method).to_string();
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *inner
            .requests
            .entry((method.clone(), route.to_string(), status))
            .or_default() += 1;
        let histogram = inner
            .durations
            .entry((method, route.to_string()))
            .or_default();
        if let Some(slot) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[slot] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// The exposition text, with `up` as the value of `canhgac_up`.
    pub fn render(&self, store_up: bool) -> String {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        // Writing to a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(
            out,
            "# HELP canhgac_build_info The running version of canhgac."
        );
        let _ = writeln!(out, "# TYPE canhgac_build_info gauge");
        let _ = writeln!(
            out,
            "canhgac_build_info{{version=\"{}\"}} 1",
            escape(env!("CARGO_PKG_VERSION"))
        );
        let _ = writeln!(
            out,
            "# HELP canhgac_up 1 when the server runs and its store answers, else 0."
        );
        let _ = writeln!(out, "# TYPE canhgac_up gauge");
        let _ = writeln!(out, "canhgac_up {}", u8::from(store_up));
        let _ = writeln!(
            out,
            "# HELP canhgac_http_requests_total HTTP requests answered, by route pattern and status."
        );
        let _ = writeln!(out, "# TYPE canhgac_http_requests_total counter");
        for ((method, route, status), count) in &inner.requests {
            let _ = writeln!(
                out,
                "canhgac_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {count}",
                escape(method),
                escape(route)
            );
        }
        let _ = writeln!(
            out,
            "# HELP canhgac_http_request_duration_seconds Time to answer HTTP requests."
        );
        let _ = writeln!(
            out,
            "# TYPE canhgac_http_request_duration_seconds histogram"
        );
        for ((method, route), h) in &inner.durations {
            let labels = format!("method=\"{}\",route=\"{}\"", escape(method), escape(route));
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "canhgac_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "canhgac_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "canhgac_http_request_duration_seconds_sum{{{labels}}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "canhgac_http_request_duration_seconds_count{{{labels}}} {}",
                h.count
            );
        }
        out
    }
}

/// Known methods keep their name; anything else is one label, so a client cannot mint series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Escapes a label value (backslash, quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware recording every request into the state's registry.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_string(), |m| m.as_str().to_string());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.observe(&Method::GET, "/api/v1/units/{id}", 200, 0.003);
        metrics.observe(&Method::GET, "/api/v1/units/{id}", 200, 0.2);
        metrics.observe(&Method::GET, "/api/v1/units/{id}", 404, 0.004);
        metrics.observe(&Method::from_bytes(b"BREW").unwrap(), "a\"b", 405, 20.0);
        let text = metrics.render(true);
        assert!(text.contains(
            "canhgac_http_requests_total{method=\"GET\",route=\"/api/v1/units/{id}\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "canhgac_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units/{id}\",le=\"0.005\"} 2"
        ));
        assert!(text.contains(
            "canhgac_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/v1/units/{id}\",le=\"0.25\"} 3"
        ));
        assert!(text.contains("method=\"OTHER\",route=\"a\\\"b\",status=\"405\"} 1"));
        assert!(text.contains("le=\"10\"} 0\n") && text.contains("le=\"+Inf\"} 1\n"));
        assert!(text.contains("canhgac_up 1\n"));
        assert!(metrics.render(false).contains("canhgac_up 0\n"));
    }
}
