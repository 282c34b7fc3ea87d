//! The `zeromile` binary: parses the command line, calls the library, maps errors to exit codes
//! (0 ok, 1 failure, 2 bad input).

#![forbid(unsafe_code)]

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let bad_input = e.chain().any(|c| {
                c.downcast_ref::<zeromile::Error>().is_some_and(zeromile::Error::is_bad_input)
                    || c.downcast_ref::<cli::BadInput>().is_some()
            });
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}
