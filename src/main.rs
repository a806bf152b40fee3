//! `hikbridge`: the command line; everything else lives in the library.

#[tokio::main]
async fn main() {
    std::process::exit(hikbridge::cli::run().await);
}
