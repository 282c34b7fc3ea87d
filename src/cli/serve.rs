//! `zeromile serve`: the classroom page on a local web server (docs/classroom.md).

use anyhow::Result;
use clap::Args;
use std::net::IpAddr;
use std::path::PathBuf;
use zeromile::serve::{ServeConfig, Server};

#[derive(Args, Debug)]
pub(super) struct ServeArgs {
    /// The unchanged scenario the page compares against.
    #[arg(default_value = "scenarios/baseline.toml")]
    scenario: PathBuf,
    /// Port to listen on (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on; 0.0.0.0 serves a classroom network (a warning is printed).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Levers file (default: the shipped scenarios/classroom/levers.toml, built in).
    #[arg(long)]
    levers: Option<PathBuf>,
    /// Try to open the page in a browser (`xdg-open`; a failure is ignored).
    #[arg(long)]
    open: bool,
}

/// Starts the server and serves until interrupted.
pub(super) fn serve_cmd(args: ServeArgs) -> Result<()> {
    let config = ServeConfig {
        scenario: args.scenario,
        levers: args.levers,
        bind: args.bind,
        port: args.port,
        ..Default::default()
    };
    let server = Server::start(&config)?;
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {}: anyone who can reach this machine on port {} can use the page and queue runs \
             (there is no login); use the default --bind 127.0.0.1 outside a classroom network",
            args.bind,
            server.addr().port()
        );
    }
    for id in &server.left_out {
        eprintln!(
            "note: the levers file's event `{id}` is not in {} and is left off the page",
            config.scenario.display()
        );
    }
    let url = server.url();
    eprintln!("classroom page of {} at {url} (Ctrl-C stops it)", config.scenario.display());
    if args.open {
        // Opening a browser is a convenience: without xdg-open the URL above is enough.
        let _ = std::process::Command::new("xdg-open")
            .arg(&url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }
    server.wait();
    Ok(())
}
