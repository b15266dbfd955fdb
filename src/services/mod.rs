//! Use cases. Each public function is one transaction that writes its audit
//! event alongside the change; handlers call exactly one of them.

pub mod api_tokens;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod contacts;
pub mod demo;
pub mod groups;
pub mod invitations;
pub mod limits;
pub mod members;
pub mod orgs;
pub mod password_resets;
pub mod passwords;
pub mod presence;
pub mod roles;
pub mod team_services;
pub mod teams;
pub mod upkeep;
