//! What the outside world is sent: an event as it reads it ([`event_payload`]) and the signed
//! webhooks that carry it ([`webhooks`]).

pub mod event_payload;
pub mod webhooks;
