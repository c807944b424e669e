//! The metrics flags of `portico serve`: ingress-nginx's names and meanings
//! (`--metrics-per-host`, `--time-buckets`, …), plus `--metrics-per-path`.

use clap::{ArgAction, Args};
use portico_metrics::{ControllerLabels, RequestMetric, RequestMetricsConfig};

/// How `nginx_ingress_controller_*` request metrics are labelled and bucketed.
#[derive(Debug, Clone, Args)]
pub struct MetricsArgs {
    /// Label request metrics with the Ingress rule's `host` (`--metrics-per-host=false` drops
    /// it). Booleans take `=true`/`=false`, as ingress-nginx's flags do.
    #[arg(
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = true,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub metrics_per_host: bool,
    /// Also record requests for hosts no Ingress defines (label `host=""`); needs
    /// --metrics-per-host.
    #[arg(
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub metrics_per_undefined_host: bool,
    /// Label request metrics with the location's `path` (multiplies the series by the paths).
    #[arg(
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub metrics_per_path: bool,
    /// Report `status` as a class (`2xx`) instead of the code.
    #[arg(
        long,
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_name = "BOOL"
    )]
    pub report_status_classes: bool,
    /// Request metrics neither recorded nor exported, comma-separated (e.g.
    /// `nginx_ingress_controller_bytes_sent,request_size`).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub exclude_socket_metrics: Vec<String>,
    /// Buckets (seconds) of the duration and latency histograms, comma-separated, ascending.
    #[arg(long, value_delimiter = ',', value_name = "SECONDS")]
    pub time_buckets: Vec<f64>,
    /// Buckets (bytes) of the request and response size histograms.
    #[arg(long, value_delimiter = ',', value_name = "BYTES")]
    pub length_buckets: Vec<f64>,
    /// Buckets (bytes) of the bytes-sent histogram.
    #[arg(long, value_delimiter = ',', value_name = "BYTES")]
    pub size_buckets: Vec<f64>,
}

// === impl MetricsArgs ===

impl MetricsArgs {
    /// The metrics configuration; `controller` gives the controller_* labels. Fails on an
    /// unknown metric name or buckets that are not ascending.
    pub fn config(&self, controller: ControllerLabels) -> anyhow::Result<RequestMetricsConfig> {
        if self.metrics_per_undefined_host && !self.metrics_per_host {
            anyhow::bail!(
                "--metrics-per-undefined-host=true must be passed with --metrics-per-host=true"
            );
        }
        let excluded = self
            .exclude_socket_metrics
            .iter()
            .filter(|name| !name.trim().is_empty())
            .map(|name| {
                RequestMetric::parse(name).ok_or_else(|| {
                    anyhow::anyhow!("--exclude-socket-metrics: unknown metric {name:?}")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let defaults = RequestMetricsConfig::default();
        Ok(RequestMetricsConfig {
            per_host: self.metrics_per_host,
            per_undefined_host: self.metrics_per_undefined_host,
            per_path: self.metrics_per_path,
            status_classes: self.report_status_classes,
            time_buckets: buckets("time-buckets", &self.time_buckets, defaults.time_buckets)?,
            length_buckets: buckets(
                "length-buckets",
                &self.length_buckets,
                defaults.length_buckets,
            )?,
            size_buckets: buckets("size-buckets", &self.size_buckets, defaults.size_buckets)?,
            excluded,
            controller,
        })
    }
}

/// `given`, or `default` when empty; ascending finite values only.
fn buckets(
    flag: &str,
    given: &[f64],
    default: portico_metrics::Buckets,
) -> anyhow::Result<portico_metrics::Buckets> {
    if given.is_empty() {
        return Ok(default);
    }
    let ascending = given.windows(2).all(|w| w[0] < w[1]);
    if !ascending || given.iter().any(|b| !b.is_finite()) {
        anyhow::bail!("--{flag}: buckets must be finite and strictly ascending, got {given:?}");
    }
    Ok(given.into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use clap::Parser;

    use super::*;

    /// Just the metrics flags, parsed as `portico serve` parses them.
    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        metrics: MetricsArgs,
    }

    fn config(args: &[&str]) -> anyhow::Result<RequestMetricsConfig> {
        let flags = Flags::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))?;
        flags.metrics.config(ControllerLabels::default())
    }

    #[test]
    fn defaults_are_ingress_nginx_s_with_path_off() {
        let c = config(&[]).unwrap();
        assert!(c.per_host && !c.per_undefined_host && !c.per_path && !c.status_classes);
        assert_eq!(c.time_buckets.len(), 11);
        assert!(c.excluded.is_empty());
    }

    #[test]
    fn booleans_take_go_style_values_and_lists_commas() {
        let c = config(&[
            "--metrics-per-host=false",
            "--metrics-per-path",
            "--exclude-socket-metrics=nginx_ingress_controller_bytes_sent,request_size",
            "--time-buckets=0.1,1,10",
        ])
        .unwrap();
        assert!(!c.per_host && c.per_path);
        assert_eq!(c.excluded, [RequestMetric::BytesSent, RequestMetric::RequestSize]);
        assert_eq!(&*c.time_buckets, &[0.1, 1.0, 10.0]);
    }

    #[test]
    fn refuses_what_ingress_nginx_refuses_and_bad_buckets() {
        let undefined = config(&["--metrics-per-host=false", "--metrics-per-undefined-host"]);
        assert!(undefined.unwrap_err().to_string().contains("--metrics-per-host=true"));
        let unknown = config(&["--exclude-socket-metrics=nginx_ingress_controller_nope"]);
        assert!(unknown.unwrap_err().to_string().contains("unknown metric"));
        let descending = config(&["--size-buckets=100,10"]);
        assert!(descending.unwrap_err().to_string().contains("ascending"));
    }
}
