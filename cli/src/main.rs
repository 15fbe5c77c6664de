fn main() -> std::process::ExitCode {
    // One-shot commands over a whole configuration go without huge pages
    // (`allocator::tune`).
    const ONE_SHOT_WHOLE: [&str; 5] = ["check", "build", "switch", "options", "container"];
    let command = std::env::args().nth(1);
    nixcfg::allocator::tune(!command.is_some_and(|c| ONE_SHOT_WHOLE.contains(&c.as_str())));
    nixcfg::run(std::env::args())
}

#[global_allocator]
static GLOBAL: nixcfg::allocator::Allocator = nixcfg::allocator::Allocator;
