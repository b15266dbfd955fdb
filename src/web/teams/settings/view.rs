//! What a team's Settings tab shows and how it answers: the viewer's rights, the
//! forms' values and messages, the section fragments htmx swaps, and the page.

use actix_web::{http::StatusCode, HttpResponse};
use askama::Template;

use crate::db::teams::Team;
use crate::domain::{
    policy::TeamAction,
    team_fields::{GoalThreshold, TeamToggle},
};
use crate::error::{AppError, AppResult};
use crate::services::teams::ARCHIVED;
use crate::web::plumbing::context::{flash, Layout, TeamContext};
use crate::web::plumbing::forms::FormErrors;
use crate::web::plumbing::htmx::{fragment_with_toast, render_status, see_other, Wants};
use crate::web::teams::{members::denied, team_path};

pub struct ToggleState {
    pub t: TeamToggle,
    pub on: bool,
}

/// One step of the colour scale: scores from `score` on, red or green.
pub struct GoalMark {
    pub score: i32,
    pub met: bool,
}

/// What the viewer may do here, and the team's current state to show.
pub struct SettingsView {
    /// May change the settings at all (archive, unarchive and delete included).
    pub can_edit: bool,
    /// May change them now: allowed, and the team is not archived.
    pub editable: bool,
    /// Why not, when not `editable`.
    pub denied: &'static str,
    pub toggles: Vec<ToggleState>,
    pub threshold: i32,
    pub marks: Vec<GoalMark>,
}

pub(super) fn view(tctx: &TeamContext, team: &Team) -> AppResult<SettingsView> {
    let refusal = denied(tctx, TeamAction::EditSettings);
    let threshold = GoalThreshold::new(team.goal_threshold.into()).map_err(AppError::unexpected)?;
    let on = |t| match t {
        TeamToggle::Calibration => team.calibration,
        TeamToggle::SelfReview => team.self_review,
    };
    Ok(SettingsView {
        can_edit: refusal.is_none(),
        editable: refusal.is_none() && !team.is_archived(),
        denied: refusal.unwrap_or(if team.is_archived() { ARCHIVED } else { "" }),
        toggles: TeamToggle::ALL
            .into_iter()
            .map(|t| ToggleState { t, on: on(t) })
            .collect(),
        threshold: threshold.get(),
        marks: (0..20)
            .map(|i| GoalMark {
                score: i * 5,
                met: threshold.is_met(i * 5),
            })
            .collect(),
    })
}

/// The values and messages of the tab's forms.
#[derive(Default)]
pub struct SettingsForms {
    pub name: String,
    pub description: String,
    pub details_errors: FormErrors,
    pub goal_value: String,
    pub goal_errors: FormErrors,
    pub confirm_name: String,
    pub delete_errors: FormErrors,
}

impl SettingsForms {
    pub(super) fn of(team: &Team) -> Self {
        Self {
            name: team.name.clone(),
            description: team.description.clone(),
            goal_value: team.goal_threshold.to_string(),
            ..Self::default()
        }
    }
}

#[derive(Template)]
#[template(path = "pages/teams/settings.html")]
pub struct SettingsPage<'a> {
    pub layout: Layout,
    pub org_id: i64,
    pub team: &'a Team,
    pub tab: &'a str,
    pub view: &'a SettingsView,
    pub forms: &'a SettingsForms,
}

/// What every section fragment of the tab is rendered from.
#[derive(Clone, Copy)]
struct Parts<'a> {
    org_id: i64,
    team: &'a Team,
    view: &'a SettingsView,
    forms: &'a SettingsForms,
    csrf: &'a str,
}

macro_rules! settings_fragment {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        pub struct $name<'a> {
            pub org_id: i64,
            pub team: &'a Team,
            pub view: &'a SettingsView,
            // Every section shares one shape; not every section reads its forms.
            #[allow(dead_code)]
            pub forms: &'a SettingsForms,
            pub csrf: &'a str,
        }

        impl<'a> From<Parts<'a>> for $name<'a> {
            fn from(p: Parts<'a>) -> Self {
                Self {
                    org_id: p.org_id,
                    team: p.team,
                    view: p.view,
                    forms: p.forms,
                    csrf: p.csrf,
                }
            }
        }
    };
}

settings_fragment!(DetailsFragment, "fragments/teams/_details_form.html");
settings_fragment!(GoalFragment, "fragments/teams/_goal.html");
settings_fragment!(WorkflowFragment, "fragments/teams/_workflow.html");
settings_fragment!(LifecycleFragment, "fragments/teams/_lifecycle.html");

#[derive(Template)]
#[template(path = "fragments/teams/_toggle_row.html")]
pub struct ToggleRow<'a> {
    pub org_id: i64,
    pub team: &'a Team,
    pub view: &'a SettingsView,
    pub s: &'a ToggleState,
    pub csrf: &'a str,
}

/// The section of the tab a form swaps when htmx sends it.
#[derive(Clone, Copy)]
pub(super) enum Section<'a> {
    Details,
    Goal,
    Workflow,
    Lifecycle,
    Toggle(&'a ToggleState),
}

impl Section<'_> {
    /// The section's fragment, followed by a toast when `toast` is given.
    fn respond(
        self,
        p: Parts<'_>,
        status: StatusCode,
        toast: Option<&str>,
    ) -> AppResult<HttpResponse> {
        fn send(
            t: &impl Template,
            status: StatusCode,
            toast: Option<&str>,
        ) -> AppResult<HttpResponse> {
            match toast {
                Some(message) => fragment_with_toast(t, "success", message),
                None => render_status(status, t),
            }
        }
        match self {
            Self::Details => send(&DetailsFragment::from(p), status, toast),
            Self::Goal => send(&GoalFragment::from(p), status, toast),
            Self::Workflow => send(&WorkflowFragment::from(p), status, toast),
            Self::Lifecycle => send(&LifecycleFragment::from(p), status, toast),
            Self::Toggle(s) => send(
                &ToggleRow {
                    org_id: p.org_id,
                    team: p.team,
                    view: p.view,
                    s,
                    csrf: p.csrf,
                },
                status,
                toast,
            ),
        }
    }
}

pub(super) fn settings_path(team: &Team) -> String {
    format!("{}/settings", team_path(team))
}

/// The whole tab, or for htmx the section the form belongs to.
pub(super) fn render_settings(
    wants: Wants,
    tctx: &TeamContext,
    forms: &SettingsForms,
    status: StatusCode,
    section: Section<'_>,
) -> AppResult<HttpResponse> {
    let view = view(tctx, &tctx.team)?;
    let layout = Layout::in_team(tctx);
    let org_id = tctx.ctx.org.id.0;
    if wants.is_fragment() {
        let (team, csrf) = (&tctx.team, layout.csrf.as_str());
        let parts = Parts {
            org_id,
            team,
            view: &view,
            forms,
            csrf,
        };
        return section.respond(parts, status, None);
    }
    render_status(
        status,
        &SettingsPage {
            layout,
            org_id,
            team: &tctx.team,
            tab: "settings",
            view: &view,
            forms,
        },
    )
}

/// After a change: the section with a toast for htmx, else flash + 303 to the tab.
pub(super) fn changed(
    wants: Wants,
    tctx: &TeamContext,
    team: &Team,
    message: &str,
    section: Section<'_>,
) -> AppResult<HttpResponse> {
    if wants == Wants::Page {
        flash(&tctx.ctx.me.session, "success", message);
        return Ok(see_other(&settings_path(team)));
    }
    let (view, forms) = (view(tctx, team)?, SettingsForms::of(team));
    let csrf = crate::web::plumbing::csrf::token(&tctx.ctx.me.session);
    let parts = Parts {
        org_id: tctx.ctx.org.id.0,
        team,
        view: &view,
        forms: &forms,
        csrf: &csrf,
    };
    section.respond(parts, StatusCode::OK, Some(message))
}
