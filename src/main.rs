//! `hikbridge`: the command line; everything else lives in the library.

fn main() {
    // Before the runtime starts its threads: reading the handed-over sockets edits the environment.
    let inherited = hikbridge::cli::listener::Inherited::from_env();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    std::process::exit(runtime.block_on(hikbridge::cli::run(inherited)));
}
