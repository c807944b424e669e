//! Kubernetes Events for Ingress diagnostics, so `kubectl describe ingress` says what is wrong.
//! Rate-limited: the same message on the same Ingress at most once per interval.

use std::collections::HashMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::PostParams;
use kube::{Api, Client};
use portico_model::Diagnostic;
use portico_store::{ObjectKey, Objects};
use tokio::time::Instant;

use crate::error::chain;

/// `source.component` and `reportingComponent` of our Events.
pub const COMPONENT: &str = "portico";

/// Longest Event message the API accepts.
const MAX_MESSAGE: usize = 1024;

/// Posts Warning Events (the caller makes sure only the leader calls [`EventRecorder::record`]).
pub struct EventRecorder {
    client: Client,
    /// `reportingInstance`: the pod name.
    instance: String,
    interval: Duration,
    /// (Ingress, reason, message) → when it was last posted.
    sent: HashMap<(ObjectKey, &'static str, String), Instant>,
}

// === impl EventRecorder ===

impl std::fmt::Debug for EventRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventRecorder").finish_non_exhaustive()
    }
}

impl EventRecorder {
    pub fn new(client: Client, instance: impl Into<String>, interval: Duration) -> Self {
        Self { client, instance: instance.into(), interval, sent: HashMap::new() }
    }

    /// Posts one Event per Ingress diagnostic not posted within the interval; returns how many
    /// were posted.
    pub async fn record(&mut self, objects: &Objects, diagnostics: &[Diagnostic]) -> usize {
        let interval = self.interval;
        self.sent.retain(|_, at| at.elapsed() < interval);
        let mut posted = 0;
        for diagnostic in diagnostics {
            let Some(object) = diagnostic.object.as_ref().filter(|o| o.kind == "Ingress") else {
                continue;
            };
            let key = ObjectKey::new(object.namespace.clone(), object.name.clone());
            let Some(ingress) = objects.ingresses.get(&key) else { continue };
            let reason = if diagnostic.is_error() { "InvalidIngress" } else { "IngressWarning" };
            let message = message(diagnostic);
            let id = (key, reason, message);
            if self.sent.contains_key(&id) {
                continue;
            }
            let (key, reason, message) = &id;
            if self.post(key, &ingress.object.metadata, reason, message).await {
                posted += 1;
                self.sent.insert(id, Instant::now());
            }
        }
        posted
    }

    async fn post(&self, key: &ObjectKey, meta: &ObjectMeta, reason: &str, message: &str) -> bool {
        let now = crate::time::time_now();
        let nanos = now.0.as_nanosecond();
        let event = Event {
            metadata: ObjectMeta {
                name: Some(format!("{}.{:x}", key.name, nanos)),
                namespace: Some(key.namespace.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("networking.k8s.io/v1".into()),
                kind: Some("Ingress".into()),
                namespace: Some(key.namespace.clone()),
                name: Some(key.name.clone()),
                uid: meta.uid.clone(),
                resource_version: meta.resource_version.clone(),
                ..ObjectReference::default()
            },
            reason: Some(reason.into()),
            message: Some(message.into()),
            type_: Some("Warning".into()),
            source: Some(EventSource { component: Some(COMPONENT.into()), host: None }),
            reporting_component: Some(COMPONENT.into()),
            reporting_instance: Some(self.instance.clone()),
            first_timestamp: Some(now.clone()),
            last_timestamp: Some(now),
            count: Some(1),
            ..Event::default()
        };
        let api: Api<Event> = Api::namespaced(self.client.clone(), &key.namespace);
        match api.create(&PostParams::default(), &event).await {
            Ok(_) => true,
            Err(error) => {
                tracing::warn!(ingress = %key, error = %chain(&error), "cannot post an Event");
                false
            }
        }
    }
}

/// `field: message`, cut to what the API accepts.
fn message(diagnostic: &Diagnostic) -> String {
    let mut text = match &diagnostic.field {
        Some(field) => format!("{field}: {}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    if text.len() > MAX_MESSAGE {
        let mut cut = MAX_MESSAGE - 3;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}
