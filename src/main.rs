//! Server entry: settings → store (migrate, seed) → router → serve.
use leadwire::server::{app_router, settings::Settings};

/// A page render allocates thousands of small, short-lived objects (one per view node, shared
/// across tokio's worker threads): glibc's allocator spent a fifth of the server's time on them
/// (`perf`, `leadwire-bench inbox`); mimalloc's per-thread free lists cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "leadwire=info,tower_http=warn".into()),
        )
        // Colours only for a person at a terminal, not in a log file or a journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();

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
