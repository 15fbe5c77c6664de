fn main() -> std::process::ExitCode {
    nixcfg::run(std::env::args())
}
