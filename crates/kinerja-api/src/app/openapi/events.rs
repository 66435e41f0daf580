//! The events as the document tells them: one schema per event type (its `data` typed), the
//! feed's `EventView` as their union on `type`, the audit trail's `changes`, and the OpenAPI
//! 3.1 `webhooks` section — one entry per event type with the Standard Webhooks signing
//! headers — so that integrators generate types for what they receive.

use kinerja_domain::events::EventType;
use serde_json::{json, Map, Value};

use super::schema_ref;

/// The schema name of an event type: `final_rating.issued` → `FinalRatingIssuedEvent`.
fn schema_name(event: EventType) -> String {
    let words: String = event
        .as_str()
        .split(['.', '_'])
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    format!("{words}Event")
}

/// The schema of an event type's `data`.
fn data_schema(event: EventType) -> &'static str {
    match event {
        EventType::FinalRatingIssued => "FinalRatingIssuedData",
        EventType::ImportFinished => "ImportFinishedData",
        _ => "RecordChangeData",
    }
}

/// The shared schemas of event data and audit changes.
fn data_schemas() -> Vec<(&'static str, Value)> {
    let link = json!({ "type": ["string", "null"], "description": "Where the subject is read as it now is (an API path), or null" });
    vec![
        (
            "FieldChange",
            json!({
                "type": "object",
                "description": "One field's change: its value before (null when it had none, as at a creation) and after",
                "required": ["old", "new"],
                "properties": { "old": { "description": "The value before" }, "new": { "description": "The value after" } },
                "example": { "old": null, "new": "0192f0a0-0000-7000-8000-000000000001" }
            }),
        ),
        (
            "FieldChanges",
            json!({
                "type": "object",
                "description": "The fields a write changed, each with its value before and after (unchanged fields are left out)",
                "additionalProperties": schema_ref("FieldChange"),
                "example": { "supervisor_id": { "old": null, "new": "0192f0a0-0000-7000-8000-000000000001" } }
            }),
        ),
        (
            "RecordChangeData",
            json!({
                "type": "object",
                "required": ["changes", "link"],
                "properties": { "changes": schema_ref("FieldChanges"), "link": link }
            }),
        ),
        (
            "FinalRatingIssuedData",
            json!({
                "type": "object",
                "required": ["changes", "link"],
                "properties": {
                    "changes": {
                        "type": "object",
                        "description": "The annual rating as it was set",
                        "required": ["predikat", "rule_set"],
                        "properties": {
                            "predikat": schema_ref("Predikat"),
                            "result_rating": { "type": ["string", "null"], "description": "Rating hasil kerja, when the rule set takes one" },
                            "behaviour_rating": { "type": ["string", "null"], "description": "Rating perilaku kerja, when the rule set takes one" },
                            "rule_set": { "type": "string", "description": "The rule set that decided", "example": "permenpanrb-6-2022" }
                        }
                    },
                    "link": link
                }
            }),
        ),
        (
            "ImportFinishedData",
            json!({
                "type": "object",
                "required": ["changes", "link"],
                "properties": {
                    "changes": {
                        "type": "object",
                        "description": "What the import wrote",
                        "required": ["kind", "total", "inserted", "updated", "changed", "deleted"],
                        "properties": {
                            "kind": { "type": "string", "description": "The kind of file (`employees`, `performance-results` …)" },
                            "period_id": { "type": ["string", "null"], "format": "uuid" },
                            "total": { "type": "integer", "description": "Rows in the file" },
                            "inserted": { "type": "integer" },
                            "updated": { "type": "integer" },
                            "changed": { "type": "integer", "description": "Rows that differed from what was there" },
                            "deleted": { "type": "integer" }
                        }
                    },
                    "link": { "type": "null" }
                }
            }),
        ),
    ]
}

/// One event type's schema: the envelope every event shares, with its `type` and `data`.
fn event_schema(event: EventType, envelope: &Value) -> Value {
    let mut schema = envelope.clone();
    schema["description"] = json!(format!("`{}`: {}.", event.as_str(), event.meaning()));
    schema["properties"]["type"] = json!({ "type": "string", "const": event.as_str() });
    schema["properties"]["data"] = schema_ref(data_schema(event));
    schema
}

/// The Standard Webhooks headers every delivery carries.
fn signing_headers() -> Value {
    let header = |name: &str, description: &str, example: &str| {
        json!({ "name": name, "in": "header", "required": true, "description": description,
                "schema": { "type": "string" }, "example": example })
    };
    json!([
        header("webhook-id", "The event's id: the same on every retry and replay, to drop duplicates by", "0193a0c2-0000-7000-8000-0000000e0001"),
        header("webhook-timestamp", "Unix seconds of this try; refuse one far from your clock", "1796601600"),
        header(
            "webhook-signature",
            "`v1,` and the base64 HMAC-SHA256, under the endpoint's secret, of `{webhook-id}.{webhook-timestamp}.{body}`; \
             during a secret's rotation two signatures, space-separated, either of which may match",
            "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
        ),
    ])
}

/// Types the events and adds the `webhooks` section.
pub(super) fn document_events(doc: &mut Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    let Some(envelope) = schemas.get("EventView").cloned() else { return };
    for (name, schema) in data_schemas() {
        schemas.insert(name.to_owned(), schema);
    }
    let mut mapping = Map::new();
    for event in EventType::ALL {
        let name = schema_name(event);
        schemas.insert(name.clone(), event_schema(event, &envelope));
        mapping.insert(event.as_str().to_owned(), json!(format!("#/components/schemas/{name}")));
    }
    let variants: Vec<Value> = EventType::ALL.iter().map(|e| schema_ref(&schema_name(*e))).collect();
    schemas.insert(
        "EventView".into(),
        json!({
            "description": "An event, in the feed and as a webhook's body; `type` says which, and what `data` holds",
            "oneOf": variants,
            "discriminator": { "propertyName": "type", "mapping": mapping }
        }),
    );
    if let Some(audit) = schemas.get_mut("AuditEventView").and_then(|s| s.pointer_mut("/properties/changes")) {
        let description = audit.get("description").cloned().unwrap_or(Value::Null);
        *audit = json!({
            "description": description,
            "anyOf": [
                schema_ref("FieldChanges"),
                { "type": "object", "description": "The values an act recorded (a rating's predikat, an import's counts)", "additionalProperties": {} }
            ]
        });
    }
    let webhooks: Map<String, Value> = EventType::ALL
        .iter()
        .map(|event| {
            let id = format!("on_{}", event.as_str().replace('.', "_"));
            let operation = json!({
                "post": {
                    "operationId": id,
                    "tags": ["integration"],
                    "summary": event.meaning(),
                    "description": format!(
                        "Sent to every enabled webhook of the agency that takes `{}`. Answer 2xx within the webhook's \
                         timeout to end the delivery; anything else is tried again (10 s, 40 s, 2.7 min … for more than \
                         a day), with the same `webhook-id`.",
                        event.as_str()
                    ),
                    "parameters": signing_headers(),
                    "requestBody": {
                        "required": true,
                        "content": { "application/json": { "schema": schema_ref(&schema_name(*event)) } }
                    },
                    "responses": {
                        "2XX": { "description": "Received: the delivery ends" },
                        "4XX": { "description": "Refused: tried again, like any failure, until the schedule ends" },
                        "5XX": { "description": "Failed: tried again until the schedule ends" }
                    },
                    "security": []
                }
            });
            (event.as_str().to_owned(), operation)
        })
        .collect();
    if let Some(doc) = doc.as_object_mut() {
        doc.insert("webhooks".into(), Value::Object(webhooks));
    }
}
