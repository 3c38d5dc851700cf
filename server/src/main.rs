use clap::Parser;

/// mimalloc rather than the system allocator: each password check holds a
/// 7 MiB argon2 buffer on a thread of its own, and glibc's malloc keeps
/// such freed buffers in that thread's arena (memory grew by a buffer per
/// thread that ever hashed); mimalloc gives them back to the system.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = tessera::cli::Cli::parse();
    tessera::telemetry::init(tessera::config::Settings::peek_log_format(
        cli.config.as_deref(),
    ));
    match tessera::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
