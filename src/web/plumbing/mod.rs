//! What every area's pages stand on, and no page of its own: who is asking
//! ([`context`]), CSRF ([`csrf`]), sessions ([`session_store`], [`prefetch`]),
//! htmx responses ([`htmx`]), forms and uploads ([`forms`], [`upload`]),
//! middleware ([`middleware`], [`error_layout`], [`metrics`]), the client's
//! address ([`proxy`]), static assets ([`assets`]), and the `routes!` list
//! each area's routes are written in ([`routing`]).

pub mod assets;
pub mod context;
pub mod csrf;
pub mod error_layout;
pub mod forms;
pub mod htmx;
pub mod metrics;
pub mod middleware;
pub mod prefetch;
pub mod proxy;
pub mod routing;
pub mod session_store;
pub mod upload;
