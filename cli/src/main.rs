fn main() -> std::process::ExitCode {
    nixcfg::run(std::env::args())
}

// The evaluator allocates many small, short-lived objects; mimalloc serves
// them markedly faster than glibc's allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
