//! Members of an organization: the list with its search, filters, sort and
//! pages ([`list`], [`sort`], rows and the inline edit form in [`view`]), bulk
//! actions ([`bulk`]), a member's own page ([`page`]), and the lifecycle:
//! revoke ([`revoke`], [`revoke_bulk`]), the Archived tab with restore
//! ([`archived`]) and delete for good ([`delete`]). Inviting people is in
//! `web::invitations`.

pub mod archived;
pub mod bulk;
pub mod delete;
pub mod list;
pub mod page;
pub mod revoke;
pub mod revoke_bulk;
pub mod sort;
pub mod view;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // Before `/members/{member}`: literal paths such as `/members/archived` first.
    cfg.route(
        "/orgs/{org}/members/archived",
        web::get().to(archived::members_archived),
    )
    .route(
        "/orgs/{org}/members/revoke",
        web::post().to(revoke_bulk::members_revoke_selected),
    )
    .route(
        "/orgs/{org}/members/{member}/revoke",
        web::get().to(revoke::members_revoke_form),
    )
    .route(
        "/orgs/{org}/members/{member}/revoke",
        web::post().to(revoke::members_revoke),
    )
    .route(
        "/orgs/{org}/members/{member}/restore",
        web::post().to(archived::members_restore),
    )
    .route(
        "/orgs/{org}/members/{member}/delete",
        web::get().to(delete::members_delete_form),
    )
    .route(
        "/orgs/{org}/members/{member}/delete",
        web::post().to(delete::members_delete),
    );
    cfg.route("/orgs/{org}/members", web::get().to(list::members_index))
        .route(
            "/orgs/{org}/members/bulk",
            web::post().to(bulk::members_bulk),
        )
        .route(
            "/orgs/{org}/members/{member}",
            web::get().to(page::members_show),
        )
        .route(
            "/orgs/{org}/members/{member}",
            web::post().to(list::members_update),
        )
        .route(
            "/orgs/{org}/members/{member}/row",
            web::get().to(list::members_row),
        )
        .route(
            "/orgs/{org}/members/{member}/edit",
            web::get().to(list::members_edit),
        );
    #[cfg(feature = "bench")]
    cfg.route("/bench/members/{org}", web::get().to(list::bench_members));
}
