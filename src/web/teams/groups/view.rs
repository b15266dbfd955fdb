//! The Groups tab's templates and the responses built from them: the whole
//! tab, the `#groups` section, one group's card, and the rename form.

use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;
use diesel::PgConnection;

use super::shared::{Controls, Outcome};
use crate::db::{groups::Group, organizations::Organization, teams::Team};
use crate::domain::{policy::TeamAction, GroupId, TeamId};
use crate::error::{AppError, AppResult};
use crate::services::groups::{
    self as groups_service, GroupCard, GroupsView, GROUPS_OFF, SERVICES_OFF,
};
use crate::web::plumbing::context::{flash, Layout, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{
    fragment_with_toast, page_or_fragment, render_status, see_other, Wants,
};

/// A message for one field of one group's card (adding a member, attaching a service).
pub struct CardError {
    pub group_id: GroupId,
    pub field: &'static str,
    pub message: String,
}

/// The message for `field` of `group`'s card, if the refusal was about it
/// (called from the card template, which passes references).
pub fn card_message<'a>(
    error: &Option<&'a CardError>,
    group: &GroupId,
    field: &str,
) -> Option<&'a str> {
    error
        .filter(|e| e.group_id == *group && e.field == field)
        .map(|e| e.message.as_str())
}

#[derive(Template)]
#[template(path = "pages/groups/index.html")]
pub struct GroupsPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: String,
    pub view: &'a GroupsView,
    pub ctl: Controls,
    pub attach: Controls,
    pub new_name: &'a str,
    pub errors: &'a FormErrors,
    pub card_error: Option<&'a CardError>,
}

#[derive(Template)]
#[template(path = "fragments/groups/_groups.html")]
pub struct GroupsFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub view: &'a GroupsView,
    pub ctl: Controls,
    pub attach: Controls,
    pub new_name: &'a str,
    pub errors: &'a FormErrors,
    pub card_error: Option<&'a CardError>,
}

#[derive(Template)]
#[template(path = "fragments/groups/_group_card.html")]
pub struct CardFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: String,
    pub g: &'a GroupCard,
    pub ctl: Controls,
    pub attach: Controls,
    pub card_error: Option<&'a CardError>,
}

#[derive(Template)]
#[template(path = "pages/groups/edit.html")]
pub struct EditPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub csrf: &'a str,
    pub group: &'a Group,
    pub name: &'a str,
    pub errors: &'a FormErrors,
    pub inline: bool,
}

#[derive(Template)]
#[template(path = "fragments/groups/_rename_form.html")]
pub struct RenameFragment<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub csrf: &'a str,
    pub group: &'a Group,
    pub name: &'a str,
    pub errors: &'a FormErrors,
    pub inline: bool,
}

pub(super) fn controls(tctx: &TeamContext, view: &GroupsView) -> (Controls, Controls) {
    let m = view.modules;
    let off = (!m.groups).then_some(GROUPS_OFF);
    let attach_off = off.or((!m.services).then_some(SERVICES_OFF));
    (
        Controls::new(tctx, TeamAction::ManageGroups, off),
        Controls::new(tctx, TeamAction::ManageGroups, attach_off),
    )
}

pub(super) fn groups_path(tctx: &TeamContext) -> String {
    format!("/orgs/{}/teams/{}/groups", tctx.ctx.org.id, tctx.team.id)
}

/// The whole tab, or (for htmx) the `#groups` section, with the create form's
/// state and any card's message.
pub(super) fn render_groups(
    wants: Wants,
    tctx: &TeamContext,
    view: &GroupsView,
    status: StatusCode,
    new_name: &str,
    errors: &FormErrors,
    card_error: Option<&CardError>,
) -> AppResult<HttpResponse> {
    let layout = Layout::in_team(tctx);
    let csrf = layout.csrf.clone();
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        wants,
        status,
        || {
            let (ctl, attach) = controls(tctx, view);
            GroupsPage {
                layout,
                org_id,
                team,
                tab: "groups",
                csrf: csrf.clone(),
                view,
                ctl,
                attach,
                new_name,
                errors,
                card_error,
            }
        },
        || {
            let (ctl, attach) = controls(tctx, view);
            GroupsFragment {
                org_id,
                team,
                csrf: csrf.clone(),
                view,
                ctl,
                attach,
                new_name,
                errors,
                card_error,
            }
        },
    )
}

/// The first (only) card of `view`, for htmx to swap in place of the old one.
pub(super) fn card_html<'a>(
    tctx: &'a TeamContext,
    view: &'a GroupsView,
    card_error: Option<&'a CardError>,
) -> AppResult<CardFragment<'a>> {
    let (ctl, attach) = controls(tctx, view);
    Ok(CardFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: crate::web::plumbing::csrf::token(&tctx.ctx.me.session),
        g: view.cards.first().ok_or(AppError::NotFound)?,
        ctl,
        attach,
        card_error,
    })
}

/// Answers a change to one group's card: htmx gets the card again (with the
/// message next to the field when refused, or a toast when done); plain forms
/// get a flash and the tab, or the tab again with the message.
pub(super) fn card_response(
    wants: Wants,
    tctx: &TeamContext,
    group: GroupId,
    field: &'static str,
    outcome: Outcome<String, GroupsView>,
) -> AppResult<HttpResponse> {
    match outcome {
        Outcome::Done(message, Some(view)) => {
            fragment_with_toast(&card_html(tctx, &view, None)?, "success", &message)
        }
        Outcome::Done(message, None) => {
            flash(&tctx.ctx.me.session, "success", message);
            Ok(see_other(&format!("{}#group-{group}", groups_path(tctx))))
        }
        Outcome::Refused(status, message, view) => {
            let error = CardError {
                group_id: group,
                field,
                message,
            };
            if wants.is_fragment() {
                return render_status(status, &card_html(tctx, &view, Some(&error))?);
            }
            let none = FormErrors::default();
            render_groups(wants, tctx, &view, status, "", &none, Some(&error))
        }
    }
}

/// Loads all groups for a page or the section, only `group` for its card,
/// after a change (so with candidates: the actor may add them).
pub(super) fn loader(
    htmx_card: Option<GroupId>,
) -> impl FnOnce(&mut PgConnection, &Organization, TeamId) -> AppResult<GroupsView> + Send + 'static
{
    move |conn, org, team| groups_service::load(conn, org, team, htmx_card, true)
}

/// The `#groups` section after a change that adds or removes a card.
pub(super) fn section_html<'a>(
    tctx: &'a TeamContext,
    view: &'a GroupsView,
    none: &'a FormErrors,
) -> GroupsFragment<'a> {
    let (ctl, attach) = controls(tctx, view);
    GroupsFragment {
        org_id: tctx.ctx.org.id.0,
        team: &tctx.team,
        csrf: crate::web::plumbing::csrf::token(&tctx.ctx.me.session),
        view,
        ctl,
        attach,
        new_name: "",
        errors: none,
        card_error: None,
    }
}

pub(super) fn render_rename(
    wants: Wants,
    tctx: &TeamContext,
    group: &Group,
    status: StatusCode,
    name: &str,
    errors: &FormErrors,
) -> AppResult<HttpResponse> {
    let layout = Layout::in_team(tctx);
    let csrf = layout.csrf.clone();
    let (org_id, team) = (tctx.ctx.org.id.0, &tctx.team);
    page_or_fragment(
        wants,
        status,
        || EditPage {
            layout,
            org_id,
            team,
            tab: "groups",
            csrf: &csrf,
            group,
            name,
            errors,
            inline: false,
        },
        || RenameFragment {
            org_id,
            team,
            csrf: &csrf,
            group,
            name,
            errors,
            inline: true,
        },
    )
}
