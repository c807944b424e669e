//! `otel-sampler`, `otel-sampler-ratio` and `otel-sampler-parent-based` as the SDK's samplers,
//! as ingress-nginx's module builds them: the root sampler, wrapped in the parent-based one
//! unless `otel-sampler-parent-based` is false.

use opentelemetry_sdk::trace::Sampler as SdkSampler;
use portico_model::{RootSampler, Sampler};

/// The SDK sampler of `settings`.
pub(crate) fn sampler(settings: &Sampler) -> SdkSampler {
    let root = match settings.root {
        RootSampler::AlwaysOn => SdkSampler::AlwaysOn,
        RootSampler::AlwaysOff => SdkSampler::AlwaysOff,
        RootSampler::TraceIdRatioBased => SdkSampler::TraceIdRatioBased(settings.ratio()),
    };
    match settings.parent_based {
        true => SdkSampler::ParentBased(Box::new(root)),
        false => root,
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::{
        SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId, TraceState,
    };
    use opentelemetry::Context;
    use opentelemetry_sdk::trace::{SamplingDecision, ShouldSample};

    use super::*;

    fn decide(settings: Sampler, parent: Option<bool>, trace_id: u128) -> bool {
        let parent = parent.map(|sampled| {
            let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
            let remote = SpanContext::new(
                TraceId::from_bytes(trace_id.to_be_bytes()),
                SpanId::from_bytes([1; 8]),
                flags,
                true,
                TraceState::default(),
            );
            Context::new().with_remote_span_context(remote)
        });
        let result = sampler(&settings).should_sample(
            parent.as_ref(),
            TraceId::from_bytes(trace_id.to_be_bytes()),
            "/",
            &SpanKind::Server,
            &[],
            &[],
        );
        result.decision == SamplingDecision::RecordAndSample
    }

    fn with(root: RootSampler, ratio_ppm: u32, parent_based: bool) -> Sampler {
        Sampler { root, ratio_ppm, parent_based }
    }

    #[test]
    fn parent_based_follows_the_parent() {
        let on = with(RootSampler::AlwaysOn, 0, true);
        assert!(decide(on, None, 5), "root: AlwaysOn");
        assert!(decide(on, Some(true), 5));
        assert!(!decide(on, Some(false), 5), "an unsampled parent wins");
        let off = with(RootSampler::AlwaysOff, 0, true);
        assert!(!decide(off, None, 5));
        assert!(decide(off, Some(true), 5), "a sampled parent wins");
    }

    #[test]
    fn without_parent_based_the_root_decides() {
        let on = with(RootSampler::AlwaysOn, 0, false);
        assert!(decide(on, Some(false), 5));
        let off = with(RootSampler::AlwaysOff, 0, false);
        assert!(!decide(off, Some(true), 5));
    }

    #[test]
    fn ratio_keeps_low_trace_ids() {
        // The SDK compares the trace id's low 8 bytes (shifted right by one) with ratio × 2^63.
        let half = with(RootSampler::TraceIdRatioBased, 500_000, true);
        assert!(decide(half, None, 1));
        assert!(!decide(half, None, u128::from(u64::MAX)));
        let none = with(RootSampler::TraceIdRatioBased, 0, true);
        assert!(!decide(none, None, 1));
        let all = with(RootSampler::TraceIdRatioBased, 1_000_000, true);
        assert!(decide(all, None, u128::from(u64::MAX)));
    }
}
