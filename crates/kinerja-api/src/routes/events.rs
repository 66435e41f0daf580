//! The event feed for integrators that pull: the outbox (`kinerja_store::outbox_rows`) in
//! commit-safe order, an agency's own.

use actix_web::{get, web};
use kinerja_domain::events::EventType;
use kinerja_store::outbox_rows;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::context::caller::Caller;
use crate::http::error::responses::{Forbidden, Invalid, Unauthenticated};
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::pagination::{encode_key, invalid_cursor, PageParams};
use crate::integration::event_payload::EventView;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    items: Vec<EventView>,
    /// Where to read on from: always present; an empty page means nothing newer yet — ask again
    /// later with the same cursor.
    next_cursor: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Only events of this type.
    #[param(value_type = Option<EventType>)]
    #[serde(rename = "type")]
    event_type: Option<String>,
    /// The `next_cursor` of the last page read (opaque); none: from the beginning.
    #[param(pattern = "^[A-Za-z0-9_-]*$", max_length = 64)]
    after: Option<String>,
    /// Events per page, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500, example = 50)]
    limit: Option<u32>,
    /// Super admins and national auditors: one agency's (default all).
    agency_id: Option<Uuid>,
}

fn encode(position: (i64, i64)) -> String {
    let mut bytes = position.0.to_be_bytes().to_vec();
    bytes.extend(position.1.to_be_bytes());
    encode_key(&bytes)
}

fn decode(bytes: &[u8]) -> Option<(i64, i64)> {
    let (tx, id) = bytes.split_at_checked(8)?;
    Some((i64::from_be_bytes(tx.try_into().ok()?), i64::from_be_bytes(id.try_into().ok()?)))
}

/// Read the event feed.
///
/// What changed in the caller's agency, in commit order, for integrators that pull: follow
/// `next_cursor` and no event is missed or read twice, even one committed late (the feed reads
/// only below the oldest transaction still running). Agency admins and auditors read their
/// agency's; integration clients need the `events:read` scope.
#[utoipa::path(
    tag = "integration",
    security(("bearer" = [])),
    params(EventQuery),
    responses((status = 200, description = "A page of events", body = EventPage), Unauthenticated, Forbidden, Invalid)
)]
#[get("/events")]
pub(super) async fn list_events(
    caller: Caller,
    state: web::Data<AppState>,
    query: Query<EventQuery>,
) -> Result<web::Json<EventPage>, ApiError> {
    let query = query.into_inner();
    let page = PageParams { limit: query.limit, cursor: query.after.clone() };
    let limit = page.checked_limit()?;
    let after = match page.cursor_bytes()? {
        None => (0, 0),
        Some(bytes) => decode(&bytes).ok_or_else(|| invalid_cursor("after"))?,
    };
    let event_type = match query.event_type.as_deref() {
        None => None,
        Some(code) => Some(EventType::parse(code).ok_or_else(|| {
            let known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
            ApiError::validation("type", "invalid_value", format!("one of {}", known.join(", ")))
        })?),
    };
    let agency = if caller.reads_every_agency() {
        query.agency_id
    } else {
        let own = caller.agency_id().ok_or(ApiError::Forbidden("you belong to no agency"))?;
        if query.agency_id.is_some_and(|a| a != own) || !caller.actor.may_read_events(own) {
            return Err(ApiError::Forbidden(
                "the event feed is read by agency admins, auditors and clients with events:read",
            ));
        }
        Some(own)
    };
    // The primary: its snapshot is what makes the order safe.
    let mut conn = state.db.conn().await?;
    let rows =
        outbox_rows::read_after(&mut conn, after, agency, event_type.map(EventType::as_str), i64::from(limit)).await?;
    let next = rows.last().map_or(after, |r| (r.tx, r.id));
    let items = rows.into_iter().map(EventView::from).collect();
    Ok(web::Json(EventPage { items, next_cursor: encode(next) }))
}
