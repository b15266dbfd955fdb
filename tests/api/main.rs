//! Integration tests: the real application on a random port, a fresh PostgreSQL
//! database per test, and (in `browser`) headless Chromium.

mod api;
mod attacks;
mod audit;
mod auth;
mod browser;
mod calls;
mod contacts;
mod errors;
mod groups;
mod helpers;
mod html;
mod invitations;
mod limits;
mod members;
mod ops;
mod password_reset;
mod presence;
mod roles;
mod routes;
mod security;
mod sessions;
mod settings;
mod setup;
mod teams;
