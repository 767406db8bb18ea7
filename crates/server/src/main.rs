//! `moat-server [/path/to/redis.conf] [--directive value ...]`

fn main() {
    std::process::exit(moat_server::run_from_args(std::env::args_os().skip(1).collect()));
}
