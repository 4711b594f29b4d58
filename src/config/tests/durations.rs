//! Durations, in the file and on the command line.

use std::time::Duration;

use super::*;

#[test]
fn config_parse_duration() {
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
    assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5_400)));
    assert_eq!(parse_duration(" 2m "), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    for bad in ["0s", "0", "0m 0s", "", "  ", "5", "abc", "-5s", "5 minutez", "99999999999999999999999h"] {
        let e = parse_duration(bad).expect_err(bad);
        assert!(!e.contains('\n'), "{e}");
    }
    assert!(parse_duration("0s").unwrap_err().contains("greater than zero"));
    assert!(parse_duration("abc").unwrap_err().contains("invalid duration \"abc\""));
}

#[test]
fn config_parse_duration_is_a_clap_value_parser() {
    use clap::Parser;
    #[derive(Parser, Debug)]
    struct Cli {
        #[arg(long, value_parser = parse_duration)]
        refresh: Option<Duration>,
    }
    let cli = Cli::try_parse_from(["pipewatch", "--refresh", "1h 30m"]).expect("parses");
    assert_eq!(cli.refresh, Some(Duration::from_secs(5_400)));
    let e = Cli::try_parse_from(["pipewatch", "--refresh", "0s"]).expect_err("zero");
    assert!(e.to_string().contains("greater than zero"), "{e}");
}

#[test]
fn config_setting_durations() {
    for key in ["refresh", "grace", "lookback", "timeout"] {
        assert_err(
            &format!("[settings]\n{key} = \"0s\"\n[profiles.a]\n"),
            &format!("config.toml:2:{}: ", key.len() + 4),
        );
        assert_err(
            &format!("[settings]\n{key} = \"0s\"\n[profiles.a]\n"),
            &format!("[settings] {key}: invalid duration \"0s\": must be greater than zero"),
        );
        assert_err(
            &format!("[settings]\n{key} = \"soon\"\n[profiles.a]\n"),
            &format!("[settings] {key}: invalid duration \"soon\""),
        );
    }
}
