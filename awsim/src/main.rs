//! `awsim serve`: serves a generated world on a loopback port for manual runs and benchmark scripts, and writes a
//! pipewatch config whose profiles point at it.
//!
//! ```text
//! cargo run -p awsim -- serve --accounts 200 --regions ap-northeast-1 --pipelines 5 --repositories 3 \
//!     --pushes 4 --latency 100ms --port 4566 --config-out /tmp/pipewatch-200.toml
//! ```

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use awsim::generate::{Shape, pipewatch_config};
use awsim::{Rate, Server, World};

const USAGE: &str = "usage: awsim serve [--accounts N] [--regions r1,r2] [--pipelines N] [--repositories N] \
[--pushes N] [--seed N] [--latency 100ms] [--rate PER_SECOND] [--assume-role-rate PER_SECOND] [--port P] \
[--config-out PATH]

Serves a generated world of N accounts (ids from 100000000001), each with console-style pipelines over its
repositories and a history of pushes (about one in ten made with another account's identity, so it started no
run). --rate sets a token bucket per account, region and API for every API (LookupEvents keeps AWS's 2/s);
--assume-role-rate sets sts:AssumeRole's apart (AWS publishes no STS rate).
--config-out writes a pipewatch config with one profile per account and region. GET /_awsim/requests
answers the request log (tab-separated: at_ms, account, region, api, error); POST /_awsim/clear forgets it.";

fn duration(s: &str) -> Option<Duration> {
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    if let Some(us) = s.strip_suffix("us") {
        return us.parse().ok().map(Duration::from_micros);
    }
    s.strip_suffix('s').unwrap_or(s).parse::<f64>().ok().map(Duration::from_secs_f64)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) != Some("serve") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut shape = Shape {
        accounts: 2,
        regions: vec!["ap-northeast-1".into()],
        pipelines_per_account: 5,
        repositories_per_account: 3,
        pushes_per_repository: 4,
        seed: 1,
    };
    let (mut latency, mut port, mut rate, mut config_out) = (Duration::ZERO, 0u16, None, None);
    let mut assume_role_rate = None;
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            eprintln!("awsim: {flag} needs a value\n\n{USAGE}");
            return ExitCode::from(2);
        };
        let ok = match flag.as_str() {
            "--accounts" => value.parse().map(|v| shape.accounts = v).is_ok(),
            "--regions" => {
                shape.regions = value.split(',').map(str::to_string).collect();
                true
            }
            "--pipelines" => value.parse().map(|v| shape.pipelines_per_account = v).is_ok(),
            "--repositories" => value.parse().map(|v| shape.repositories_per_account = v).is_ok(),
            "--pushes" => value.parse().map(|v| shape.pushes_per_repository = v).is_ok(),
            "--seed" => value.parse().map(|v| shape.seed = v).is_ok(),
            "--latency" => duration(value).map(|v| latency = v).is_some(),
            "--rate" => value.parse::<f64>().map(|v| rate = Some(Rate::new(v, v))).is_ok(),
            "--assume-role-rate" => value.parse::<f64>().map(|v| assume_role_rate = Some(Rate::new(v, v))).is_ok(),
            "--port" => value.parse().map(|v| port = v).is_ok(),
            "--config-out" => {
                config_out = Some(value.clone());
                true
            }
            _ => false,
        };
        if !ok {
            eprintln!("awsim: bad {flag} {value}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    let world = World::generate_shape(&shape);
    world.configure(|s| {
        s.latency = latency;
        s.default_rate = rate;
        if let Some(r) = assume_role_rate {
            s.rates.insert("sts:AssumeRole".into(), r);
        }
    });
    let server = match Server::start_on(world, SocketAddr::from(([127, 0, 0, 1], port))) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("awsim: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(path) = config_out {
        if let Err(e) = std::fs::write(&path, pipewatch_config(&shape, &server.endpoint())) {
            eprintln!("awsim: cannot write {path}: {e}");
            return ExitCode::from(1);
        }
        eprintln!("awsim: wrote a pipewatch config with {} profiles to {path}", shape.accounts * shape.regions.len());
    }
    println!("{}", server.endpoint());
    eprintln!(
        "awsim: serving {} accounts x {} regions (latency {latency:?}); Ctrl-C stops",
        shape.accounts,
        shape.regions.len()
    );
    server.wait();
    ExitCode::SUCCESS
}
