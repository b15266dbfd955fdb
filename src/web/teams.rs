//! teams pages and their htmx fragments.

use actix_web::web;

pub fn routes(_cfg: &mut web::ServiceConfig) {}
