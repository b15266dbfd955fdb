//! Integration tests: the real application on a random port, a fresh PostgreSQL
//! database per test, and (in `browser`) headless Chromium.

mod api;
mod attacks;
mod auth;
mod browser;
mod calls;
mod errors;
mod helpers;
mod html;
mod invitations;
mod limits;
mod members;
mod ops;
mod presence;
mod routes;
mod security;
mod sessions;
mod settings;
mod setup;
mod teams;
