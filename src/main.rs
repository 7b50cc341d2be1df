//! Server entry: settings → store (migrate, seed) → router → serve.
use leadwire::server::{app_router, settings::Settings};

/// A page render allocates thousands of small, short-lived objects (one per view node, shared
/// across tokio's worker threads): glibc's allocator spent a fifth of the server's time on them
/// (`perf`, `leadwire-bench inbox`); mimalloc's per-thread free lists cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // tokio reads TOKIO_WORKER_THREADS itself (see README, Configuration) and panics on a value
    // it cannot use: refused here like any other bad setting, before the runtime is built.
    if let Some(raw) = std::env::var_os("TOKIO_WORKER_THREADS") {
        let threads = raw.to_str().and_then(|v| v.parse::<usize>().ok());
        if threads.is_none_or(|n| n == 0) {
            eprintln!(
                "leadwire: cannot start: TOKIO_WORKER_THREADS must be a whole number of threads, \
                 at least 1 (it is {raw:?})"
            );
            return std::process::ExitCode::from(2);
        }
    }
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("leadwire: cannot start the runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "leadwire=info,tower_http=warn".into()),
        )
        // Colours only for a person at a terminal, not in a log file or a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("migrate") {
        return migrate(&args[1..]).await;
    }

    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("leadwire: cannot start: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let addr = settings.site_addr;
    let seed = settings.seed_demo;
    let public_url = settings.public_url.clone();
    let state = match app_router::prepare(settings).await {
        Ok(state) => state,
        Err(e) => {
            eprintln!("leadwire: cannot open the database: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("leadwire: cannot listen on {addr}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    println!("Leadwire is running at {public_url}");
    if seed {
        println!(
            "Demo login: {} / {}",
            leadwire::server::seed::DEMO_EMAIL,
            leadwire::server::seed::DEMO_PASSWORD
        );
    }
    if let Err(e) = app_router::serve(listener, state).await {
        eprintln!("leadwire: server stopped: {e}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}

/// `leadwire migrate --from sqlite://… --to postgres://…`: copies a SQLite store into an empty
/// PostgreSQL database and checks the copy (see `store::copy_to_postgres`).
async fn migrate(args: &[String]) -> std::process::ExitCode {
    use std::io::Write;
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(from), Some(to)) = (value("--from"), value("--to")) else {
        eprintln!("usage: leadwire migrate --from sqlite://path/to/leadwire.db --to postgres://user@host/database");
        return std::process::ExitCode::from(2);
    };
    if !from.starts_with("sqlite:") || !to.starts_with("postgres") {
        eprintln!("leadwire migrate: --from takes a sqlite: URL and --to a postgres: URL");
        return std::process::ExitCode::from(2);
    }
    // Opening creates a missing file: a mistyped path would copy an empty store, "verified".
    let source = std::str::FromStr::from_str(&from)
        .map(|o: sqlx::sqlite::SqliteConnectOptions| o.get_filename().to_path_buf());
    match source {
        Ok(path) if path.is_file() => {}
        Ok(path) => {
            eprintln!("leadwire migrate: no SQLite database at {}", path.display());
            return std::process::ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("leadwire migrate: --from {from}: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    let store = match leadwire::server::store::Store::open(&from).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("leadwire migrate: cannot open {from}: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let progress = |p: leadwire::server::store::copy_to_postgres::Progress<'_>| {
        let width = 30;
        let filled = (p.done * width as u64)
            .checked_div(p.total)
            .map_or(width, |f| f as usize);
        print!(
            "\r{:<24} [{}{}] {}/{}",
            p.table,
            "#".repeat(filled),
            " ".repeat(width - filled),
            p.done,
            p.total
        );
        if p.done == p.total {
            println!();
        }
        let _ = std::io::stdout().flush();
    };
    let report = match store.copy_to_postgres(&to, progress).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("\nleadwire migrate: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("\nVerification (SQLite → PostgreSQL):");
    for (what, (here, there)) in report.rows.iter().chain(report.totals.iter()) {
        let mark = if here == there { "ok" } else { "DIFFERS" };
        println!("  {what:<48} {here:>10} {there:>10}  {mark}");
    }
    if report.verified() {
        println!("Every table and total is equal on both sides.");
        std::process::ExitCode::SUCCESS
    } else {
        eprintln!("leadwire migrate: the copy differs from the source (see above)");
        std::process::ExitCode::FAILURE
    }
}
