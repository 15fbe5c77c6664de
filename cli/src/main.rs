fn main() -> std::process::ExitCode {
    const WHOLE_CONFIGURATION: [&str; 6] =
        ["check", "build", "switch", "lsp", "options", "container"];
    let command = std::env::args().nth(1);
    nixcfg::allocator::tune(command.is_some_and(|c| WHOLE_CONFIGURATION.contains(&c.as_str())));
    nixcfg::run(std::env::args())
}

#[global_allocator]
static GLOBAL: nixcfg::allocator::Allocator = nixcfg::allocator::Allocator;
