//! Evaluates an expression many times and prints resident memory growth:
//! `cargo run --release --example leakcheck -- 'EXPR' [N]`.
use nixcfg_compiler::eval::{EvalOptions, Evaluator};

fn rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap();
    s.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 4
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let expr = args[1].clone();
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            let mut first = 0;
            for i in 0..n {
                let mut ev = Evaluator::new(EvalOptions::default());
                let v = ev
                    .eval_string(&expr, "/".into())
                    .unwrap_or_else(|d| panic!("{}", d[0].message));
                ev.force_deep(&v).unwrap();
                drop(v);
                drop(ev);
                if i == n / 10 {
                    first = rss();
                }
            }
            println!(
                "{} KiB after {} runs, {} KiB after {n}",
                first,
                n / 10,
                rss()
            );
        })
        .unwrap()
        .join()
        .unwrap();
}
