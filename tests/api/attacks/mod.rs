//! Attacks told as stories: what another tenant, an anonymous visitor or a racing
//! second request tries, and what Roster does about it. One file per kind of attack.

pub mod faults;
mod growth;
mod headers;
mod holes;
mod input;
mod mail;
mod mail_errors;
mod proxy;
mod signin;
mod takeover;
