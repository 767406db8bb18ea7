//! `moat-server [/path/to/redis.conf] [--directive value ...]`

#[global_allocator]
static ALLOCATOR: moat_server::alloc::CountingAllocator = moat_server::alloc::CountingAllocator;

fn main() {
    std::process::exit(moat_server::run_from_args(
        std::env::args_os().skip(1).collect(),
    ));
}
