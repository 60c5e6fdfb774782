use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use alumni_bot::config::{Overrides, Settings};
use alumni_bot::core::staff::Action;
use alumni_bot::{app, cli, telemetry};
use clap::{Parser, Subcommand};

/// A chat bot for alumni's lifelong email accounts.
#[derive(Parser)]
#[command(name = "alumni-bot", version, about)]
struct Args {
    /// Config file (YAML); default: alumni-bot.yaml in the working directory, if present.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The knowledge base folder.
    #[arg(long, global = true, value_name = "DIR")]
    knowledge: Option<PathBuf>,
    /// The SQLite database file, created and migrated on first use.
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Chat in the terminal (the default command).
    Chat {
        /// Machine-readable conversation: one JSON object a line in and out.
        #[arg(long)]
        jsonl: bool,
    },
    /// Match one query a line from stdin; one JSON decision a line to stdout.
    Match {
        /// Build the matcher from this JSONL file of labelled examples instead of the knowledge base.
        #[arg(long, value_name = "FILE")]
        train: Option<PathBuf>,
        /// Choose the thresholds on this labelled JSONL file (default: cross-validation).
        #[arg(long, value_name = "FILE", requires = "train")]
        calibrate: Option<PathBuf>,
    },
    /// Run the bot on every chat platform whose token is configured (Telegram), until
    /// SIGTERM or ctrl-c.
    Serve,
    /// Serve the staff web desk alone (ALUMNI_BOT_DESK_LISTEN, default 127.0.0.1:8088), on
    /// the same database as `serve`, until SIGTERM or ctrl-c.
    Desk,
    /// The ticket log.
    Tickets {
        #[command(subcommand)]
        action: TicketsAction,
    },
    /// Staff accounts of the web desk.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// The block list: blocked users' messages are ignored.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Delete the attachment files of tickets resolved or closed more than DAYS ago (and
    /// delivered messages, idle conversations and unanswered questions older than that).
    Purge {
        #[arg(long, value_name = "DAYS")]
        days: Option<u32>,
    },
    /// Knowledge base tools.
    Kb {
        #[command(subcommand)]
        action: KbAction,
    },
}

#[derive(Subcommand)]
enum TicketsAction {
    /// Every ticket, newest first.
    List {
        /// A JSON array (the machine interface).
        #[arg(long)]
        json: bool,
    },
    /// One ticket with what the user supplied, attachments, transcript and events.
    Show {
        /// The ticket's reference, e.g. T-7KQ3XM.
        reference: String,
        #[arg(long)]
        json: bool,
    },
    /// Take a ticket: it is being handled.
    Claim { reference: String },
    /// Reply to the user, in the chat they opened the ticket from.
    Reply { reference: String, text: String },
    /// Ask the user for more; their next messages are attached to the ticket.
    RequestInfo { reference: String, text: String },
    /// Close the ticket as done, telling the user the note.
    Resolve { reference: String, note: String },
    /// Open a resolved or closed ticket again.
    Reopen { reference: String },
    /// Every ticket (or one) in full as JSON, attachments with their file paths.
    Export { reference: Option<String> },
    /// Who did what to which ticket, when (allowed and refused).
    Audit {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum StaffAction {
    /// Add a staff account; asks for its password (or reads it from stdin).
    Add {
        login: String,
        /// Read the password from the first line of stdin (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a staff account.
    Remove { login: String },
    /// List the staff accounts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set a new password for an account.
    ResetPassword {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Record a chat account or OS user as this staff member (telegram:ID, discord:ID or
    /// cli:USER): the audit log then names them as one person wherever they act.
    Link { login: String, place: String },
}

#[derive(Subcommand)]
enum UsersAction {
    /// Block a user, given as PLATFORM:ID (e.g. telegram:123456).
    Block {
        user: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Unblock a user.
    Unblock { user: String },
    /// Delete a user's conversations and finished tickets (what they asked for with /forget,
    /// done for them by staff); open tickets are kept and listed.
    Forget { user: String },
}

#[derive(Subcommand)]
enum KbAction {
    /// Check the knowledge base; print every problem with file and line; exit 1 on any.
    Check,
    /// What users asked that the bot could not answer (fell back or asked "did you mean"),
    /// similar questions grouped, most asked first.
    Gaps {
        /// A JSON array (the machine interface).
        #[arg(long)]
        json: bool,
        /// Only questions of the last DAYS days.
        #[arg(long, value_name = "DAYS")]
        days: Option<u32>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let overrides = Overrides {
        config: args.config,
        knowledge: args.knowledge,
        db: args.db,
    };
    let settings = match Settings::load(&overrides) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("alumni-bot: {e:#}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log, settings.log_json, std::io::stderr);
    match run(
        args.command.unwrap_or(Command::Chat { jsonl: false }),
        &settings,
    ) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("alumni-bot: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, settings: &Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Kb {
            action: KbAction::Check,
        } => {
            let ok = cli::kb::check(settings, &mut std::io::stdout().lock())?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Kb {
            action: KbAction::Gaps { json, days },
        } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let store = alumni_bot::store::Store::open(&settings.db).await?;
                cli::kb::gaps(&store, days, json, &mut std::io::stdout().lock()).await?;
                anyhow::Ok(ExitCode::SUCCESS)
            })
        }
        Command::Match { train, calibrate } => {
            let matcher = match train {
                Some(train) => cli::matching::matcher_from_files(&train, calibrate.as_deref())?,
                None => app::build_matcher(&app::load_knowledge(settings)?),
            };
            cli::matching::run(
                &matcher,
                std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tickets { action } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let store = alumni_bot::store::Store::open(&settings.db).await?;
                let mut out = std::io::stdout().lock();
                let actor = cli::tickets::cli_actor();
                let found = match action {
                    TicketsAction::List { json } => cli::tickets::list(&store, json, &mut out)
                        .await
                        .map(|()| true)?,
                    TicketsAction::Show { reference, json } => {
                        cli::tickets::show(&store, &reference, json, &mut out).await?
                    }
                    TicketsAction::Claim { reference } => {
                        cli::tickets::act(&store, &actor, &reference, Action::Claim, &mut out)
                            .await?
                    }
                    TicketsAction::Reply { reference, text } => {
                        cli::tickets::act(&store, &actor, &reference, Action::Reply(text), &mut out)
                            .await?
                    }
                    TicketsAction::RequestInfo { reference, text } => {
                        cli::tickets::act(
                            &store,
                            &actor,
                            &reference,
                            Action::RequestInfo(text),
                            &mut out,
                        )
                        .await?
                    }
                    TicketsAction::Resolve { reference, note } => {
                        cli::tickets::act(
                            &store,
                            &actor,
                            &reference,
                            Action::Resolve(note),
                            &mut out,
                        )
                        .await?
                    }
                    TicketsAction::Reopen { reference } => {
                        cli::tickets::act(&store, &actor, &reference, Action::Reopen, &mut out)
                            .await?
                    }
                    TicketsAction::Export { reference } => {
                        cli::tickets::export(&store, reference.as_deref(), &mut out).await?
                    }
                    TicketsAction::Audit { json } => cli::tickets::audit(&store, json, &mut out)
                        .await
                        .map(|()| true)?,
                };
                Ok(if found {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                })
            })
        }
        Command::Staff { action } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(staff_command(action, &settings.db))
        }
        Command::Users { action } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let store = alumni_bot::store::Store::open(&settings.db).await?;
                let user = match &action {
                    UsersAction::Block { user, .. }
                    | UsersAction::Unblock { user }
                    | UsersAction::Forget { user } => user,
                };
                let Some((platform, id)) = user
                    .split_once(':')
                    .filter(|(p, _)| p.parse::<alumni_bot::core::Platform>().is_ok())
                else {
                    eprintln!("alumni-bot: give the user as PLATFORM:ID, e.g. telegram:123456");
                    return Ok(ExitCode::from(2));
                };
                let (block, reason) = match &action {
                    UsersAction::Block { reason, .. } => (true, reason.as_str()),
                    UsersAction::Unblock { .. } => (false, ""),
                    UsersAction::Forget { .. } => {
                        let kept = store.forget_user(platform, id, &cli::tickets::cli_actor()).await?;
                        if kept.is_empty() {
                            println!("{user}: conversations and finished tickets deleted.");
                        } else {
                            println!(
                                "{user}: conversations and finished tickets deleted; kept open ticket(s) {}.",
                                kept.join(", ")
                            );
                        }
                        return Ok(ExitCode::SUCCESS);
                    }
                };
                let changed = store
                    .set_blocked(platform, id, block, &cli::tickets::cli_actor(), reason)
                    .await?;
                let what = if block { "blocked" } else { "unblocked" };
                if changed {
                    println!("{user} {what}.");
                } else {
                    println!("{user} was already {what}.");
                }
                anyhow::Ok(ExitCode::SUCCESS)
            })
        }
        Command::Purge { days } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let store = alumni_bot::store::Store::open(&settings.db).await?;
                let days = days.unwrap_or(settings.retention_days);
                let report = store.purge(days, &cli::tickets::cli_actor()).await?;
                println!(
                    "Purged {} attachment(s) of tickets closed more than {days} days ago; {} file(s) deleted; {} delivered message(s), {} idle conversation(s) and {} unanswered question(s) deleted.",
                    report.attachments, report.files_deleted, report.outbox_messages, report.conversations, report.gaps
                );
                anyhow::Ok(ExitCode::SUCCESS)
            })
        }
        Command::Desk => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(cli::desk::run(settings, &mut std::io::stdout()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let engine = std::sync::Arc::new(app::engine(settings).await?);
                cli::serve::run(engine, settings).await?;
                anyhow::Ok(ExitCode::SUCCESS)
            })
        }
        Command::Chat { jsonl } => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                // The terminal's user is the operator: no rate limit.
                let limits = alumni_bot::core::limits::Limits {
                    messages_per_minute: 0,
                    ..settings.limits
                };
                let engine = app::engine(settings).await?.with_limits(limits);
                let stdin = tokio::io::BufReader::new(tokio::io::stdin());
                if jsonl {
                    cli::chat::run_jsonl(&engine, stdin, tokio::io::stdout()).await?;
                } else {
                    if !std::io::stdin().is_terminal() {
                        eprintln!("(reading the conversation from standard input)");
                    }
                    cli::chat::run_interactive(&engine, stdin, tokio::io::stdout()).await?;
                }
                anyhow::Ok(ExitCode::SUCCESS)
            })
        }
    }
}

/// `alumni-bot staff …`: exit 0 when done, 1 when refused (a login taken or unknown), 2 for a
/// login or password that breaks the rule.
async fn staff_command(action: StaffAction, db: &std::path::Path) -> anyhow::Result<ExitCode> {
    use cli::staff::{self, PasswordFrom};
    let store = alumni_bot::store::Store::open(db).await?;
    let actor = cli::tickets::cli_actor();
    let mut out = std::io::stdout();
    let login = |text: &str| text.parse::<alumni_bot::accounts::Login>();
    let read_password = |from_stdin: bool| {
        let mut stdin = std::io::stdin().lock();
        staff::read_password(if from_stdin {
            PasswordFrom::Stdin(&mut stdin)
        } else {
            PasswordFrom::<std::io::StdinLock>::Prompt
        })
    };
    // The login and the password are checked before anything is written.
    let (login, from_stdin) = match &action {
        StaffAction::List { .. } => (None, None),
        StaffAction::Remove { login: text } | StaffAction::Link { login: text, .. } => {
            (Some(login(text)), None)
        }
        StaffAction::Add {
            login: text,
            password_stdin,
        }
        | StaffAction::ResetPassword {
            login: text,
            password_stdin,
        } => (Some(login(text)), Some(*password_stdin)),
    };
    let login = match login.transpose() {
        Ok(login) => login,
        Err(e) => {
            eprintln!("alumni-bot: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let password = match from_stdin.map(read_password).transpose() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("alumni-bot: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let done = match (action, login, password) {
        (StaffAction::List { json }, _, _) => {
            staff::list(&store, json, &mut out).await?;
            true
        }
        (StaffAction::Add { .. }, Some(login), Some(p)) => {
            staff::add(&store, &login, p, &actor, &mut out).await?
        }
        (StaffAction::ResetPassword { .. }, Some(login), Some(p)) => {
            staff::reset_password(&store, &login, p, &actor, &mut out).await?
        }
        (StaffAction::Remove { .. }, Some(login), _) => {
            staff::remove(&store, &login, &actor, &mut out).await?
        }
        (StaffAction::Link { place, .. }, Some(login), _) => {
            match staff::link(&store, &login, &place, &actor, &mut out).await? {
                Some(done) => done,
                None => return Ok(ExitCode::from(2)),
            }
        }
        _ => unreachable!("a login and a password were read for the actions that need them"),
    };
    Ok(if done {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
