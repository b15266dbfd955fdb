//! The `roster` command line: `serve` (the default), `migrate`, and operator commands.

use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db;
use crate::domain::{DisplayName, EmailAddress, MembershipStatus, OrgRole, Plan, SeatCount};
use crate::services;
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "roster",
    version,
    about = "Self-hosted admin console for teams, members, roles and invitations"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create and migrate the database if needed, then serve HTTP (the default).
    Serve,
    /// Create the database if needed and apply pending migrations.
    Migrate,
    /// Operator commands for organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Seed the benchmark's data set: 100 organizations, 200,000 accounts, one
    /// organization of 10,000 members in 20 teams. Only with `--features bench`.
    #[cfg(feature = "bench")]
    #[command(hide = true)]
    BenchSeed,
    /// Add an organization of MEMBERS members (emails `<PREFIX>-<n>@example.test`)
    /// in 20 teams, owned by the benchmark's owner, named NAME, unless it
    /// exists. Prints its id. Only with `--features bench`.
    #[cfg(feature = "bench")]
    #[command(hide = true)]
    BenchSeedOrg {
        name: String,
        prefix: String,
        members: i64,
    },
    /// Seed a demo organization with teams, groups, services and members to click through.
    Demo {
        /// How many members besides the Owner.
        #[arg(long, default_value_t = 300)]
        members: i64,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// List organizations with their plan and seats.
    List,
    /// Set an organization's plan, and optionally its purchased seats.
    SetPlan {
        /// The organization's id (see `org list`), or its exact name with --by-name.
        org: String,
        /// Take ORG as the organization's exact name instead of its id.
        #[arg(long)]
        by_name: bool,
        /// free or pro.
        plan: String,
        #[arg(long)]
        seats: Option<i64>,
    },
    /// Add an account to an organization (creating the account when it is new).
    /// An account without a password gets a "set your password" email.
    AddMember {
        /// The organization's id (see `org list`), or its exact name with --by-name.
        org: String,
        /// Take ORG as the organization's exact name instead of its id.
        #[arg(long)]
        by_name: bool,
        email: String,
        /// owner, admin, manager or member.
        #[arg(long, default_value = "member")]
        role: String,
        /// The display name for a new account (defaults to the email's local part).
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn main() -> anyhow::Result<()> {
    crate::telemetry::init()?;
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => {
            connect(&settings)?;
            println!(
                "Database {} is up to date.",
                db::redact(&settings.database_url)
            );
            Ok(())
        }
        Command::Org { command } => org_command(settings, command),
        #[cfg(feature = "bench")]
        Command::BenchSeed => {
            let mut conn = connect(&settings)?;
            let org = services::demo::seed_bench(&mut conn).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{org}");
            Ok(())
        }
        #[cfg(feature = "bench")]
        Command::BenchSeedOrg {
            name,
            prefix,
            members,
        } => {
            let mut conn = connect(&settings)?;
            let org = services::demo::seed_bench_org(&mut conn, &name, &prefix, members)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{org}");
            Ok(())
        }
        Command::Demo { members } => {
            let mut conn = connect(&settings)?;
            let org = services::demo::seed_demo(&mut conn, members)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let mailed = services::demo::mail_set_password_links(
                &mut conn,
                org,
                &set_password_links(&settings),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("Demo Company (id {org}) is ready with {members} members.");
            println!(
                "{mailed} members without a password have a \"set your password\" email queued; `roster serve` sends them."
            );
            println!(
                "Sign in at {}signin as {} with the password \"{}\".",
                settings.public_url,
                services::demo::DEMO_EMAIL,
                services::demo::DEMO_PASSWORD
            );
            Ok(())
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let public = settings.public_url.clone();
        let app = Application::build(settings).await?;
        println!("Roster is serving on {public} (port {})", app.port());
        app.run_until_stopped().await?;
        Ok(())
    })
}

fn connect(settings: &Settings) -> anyhow::Result<db::PgConn> {
    db::create_database_if_missing(&settings.database_url)?;
    let pool = db::build_pool(
        &settings.database_url,
        1,
        std::time::Duration::from_secs(10),
    )?;
    let mut conn = pool.get()?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

fn resolve(
    conn: &mut db::PgConn,
    org: &str,
    by_name: bool,
) -> anyhow::Result<crate::db::organizations::Organization> {
    services::orgs::resolve(conn, org, by_name).map_err(|e| match e {
        crate::error::AppError::NotFound if by_name => {
            anyhow::anyhow!("no organization is named {org:?} (see `roster org list`)")
        }
        crate::error::AppError::NotFound => {
            anyhow::anyhow!("no organization has the id {org} (see `roster org list`)")
        }
        other => anyhow::anyhow!("{other}"),
    })
}

/// Links in "set your password" emails live as long as invitation links: the
/// operator's new member may not read their mail within the hour a reset gets.
fn set_password_links(settings: &Settings) -> services::password_resets::ResetLinks {
    services::password_resets::ResetLinks {
        public_url: settings.public_url.clone(),
        ttl: settings.invitation_ttl,
    }
}

fn org_command(settings: Settings, command: OrgCommand) -> anyhow::Result<()> {
    let mut conn = connect(&settings)?;
    let fail = |e: crate::error::AppError| anyhow::anyhow!("{e}");
    match command {
        OrgCommand::List => {
            for org in db::organizations::list_all(&mut conn)? {
                println!(
                    "{}\t{}\t{}\t{} seats",
                    org.id, org.name, org.plan, org.seats_purchased
                );
            }
        }
        OrgCommand::SetPlan {
            org,
            by_name,
            plan,
            seats,
        } => {
            let plan =
                Plan::parse(&plan).ok_or_else(|| anyhow::anyhow!("plan must be free or pro"))?;
            let seats = seats
                .map(SeatCount::new)
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let found = resolve(&mut conn, &org, by_name)?;
            let result =
                services::orgs::set_plan(&mut conn, found.id, plan, seats).map_err(fail)?;
            println!(
                "{} ({}) is on {} with {} seats ({} in use).",
                found.name,
                found.id,
                result.plan.label(),
                result.purchased,
                result.used
            );
        }
        OrgCommand::AddMember {
            org,
            by_name,
            email,
            role,
            name,
        } => {
            let role = OrgRole::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("role must be owner, admin, manager or member"))?;
            let email = EmailAddress::parse(&email).map_err(|e| anyhow::anyhow!("{e}"))?;
            let name = name
                .map(|n| DisplayName::parse(&n))
                .transpose()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let found = resolve(&mut conn, &org, by_name)?;
            let (_, created) = services::demo::add_member(
                &mut conn,
                found.id,
                &email,
                name.as_ref(),
                role,
                MembershipStatus::Active,
            )
            .map_err(fail)?;
            let account = db::accounts::find_by_email(&mut conn, email.as_str())?
                .ok_or_else(|| anyhow::anyhow!("the account of {} is gone", email.as_str()))?;
            let mailed = services::password_resets::queue_set_password(
                &mut conn,
                account.id,
                &found.name,
                &set_password_links(&settings),
            )
            .map_err(fail)?;
            println!(
                "{} is now {} of {}{}.",
                email.as_str(),
                role.label(),
                found.name,
                match (created, mailed) {
                    (true, _) => " (a new account: a \"set your password\" email is queued)",
                    (false, true) => " (the account has no password yet: a \"set your password\" email is queued)",
                    (false, false) => "",
                }
            );
        }
    }
    Ok(())
}
