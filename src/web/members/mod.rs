//! Members of an organization: the list with its search, filters, sort and
//! pages ([`list`], [`sort`], rows and the inline edit form in [`view`]), bulk
//! actions ([`bulk`]), a member's own page ([`page`]), and the lifecycle:
//! revoke ([`revoke`], [`revoke_bulk`]), the Archived tab with restore
//! ([`archived`]) and delete for good ([`delete`]). Inviting people is in
//! `web::invitations`.

pub mod archived;
pub mod bulk;
pub mod delete;
pub mod forms;
pub mod list;
pub mod page;
pub mod revoke;
pub mod revoke_bulk;
pub mod sort;
pub mod view;

use crate::web::plumbing::routing::routes;

routes! {
    // Before `/members/{member}`: literal paths such as `/members/archived` first.
    GET "/orgs/{org}/members/archived" => archived::members_archived,
    POST "/orgs/{org}/members/revoke" => revoke_bulk::members_revoke_selected,
    GET "/orgs/{org}/members/{member}/revoke" => revoke::members_revoke_form,
    POST "/orgs/{org}/members/{member}/revoke" => revoke::members_revoke,
    POST "/orgs/{org}/members/{member}/restore" => archived::members_restore,
    GET "/orgs/{org}/members/{member}/delete" => delete::members_delete_form,
    POST "/orgs/{org}/members/{member}/delete" => delete::members_delete,
    GET "/orgs/{org}/members" => list::members_index,
    POST "/orgs/{org}/members/bulk" => bulk::members_bulk,
    GET "/orgs/{org}/members/{member}" => page::members_show,
    POST "/orgs/{org}/members/{member}" => list::members_update,
    GET "/orgs/{org}/members/{member}/row" => list::members_row,
    GET "/orgs/{org}/members/{member}/edit" => list::members_edit,
    #[cfg(feature = "bench")]
    GET "/bench/members/{org}" => list::bench_members,
}
