//! Roster: a self-hosted admin console for organizations, teams, members, roles
//! and invitations.

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod kept;
pub mod mail;
pub mod metrics;
pub mod services;
pub mod startup;
pub mod telemetry;
pub mod web;
