use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tessera::telemetry::init();
    let cli = tessera::cli::Cli::parse();
    match tessera::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
