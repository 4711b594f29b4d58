//! Tests of the harness itself (moto, seed.py, endpoints), independent of the pipewatch binary.

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::json;

use super::{Moto, dead_endpoint, fresh_account, hung_endpoint, seed};

fn addr(endpoint: &str) -> String {
    endpoint.trim_start_matches("http://").to_string()
}

#[test]
fn seed_creates_images_pipelines_and_executions_per_account() {
    let (a, b) = (fresh_account(), fresh_account());
    let out = seed(json!({"accounts": [
        {"id": a,
         "repositories": [{"name": "web", "images": [
             {"seed": "a1", "tags": ["latest", "v1"]},
             {"seed": "a2"},
         ]}],
         "pipelines": [{"name": "web-deploy",
                        "sources": [{"action": "Source", "repository": "web", "tag": "latest"}],
                        "start_executions": 2}],
         "rules": [{"name": "web-push", "repository": "web", "tag": "latest", "pipeline": "web-deploy"}]},
        {"id": b, "repositories": [{"name": "web", "images": [{"seed": "a1", "tags": ["latest"]}]}]},
    ]}));

    let acc = &out["accounts"][0];
    assert_eq!(acc["id"], a.as_str());
    let images = acc["repositories"][0]["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    assert_eq!(images[0]["tags"], json!(["latest", "v1"]));
    assert_eq!(images[1]["tags"], json!([]));
    assert!(images.iter().all(|i| i["present"] == true));
    let (d1, d2) = (images[0]["digest"].as_str().unwrap(), images[1]["digest"].as_str().unwrap());
    assert!(d1.starts_with("sha256:") && d1.len() == 71, "{d1}");
    assert_ne!(d1, d2);
    assert_eq!(acc["digests"]["web/a1"], d1);
    let pushed: jiff::Timestamp = images[0]["pushed_at"].as_str().unwrap().parse().unwrap();
    assert!((jiff::Timestamp::now() - pushed).get_seconds().abs() < 60);

    let pipeline = &acc["pipelines"][0];
    assert_eq!(pipeline["arn"], format!("arn:aws:codepipeline:ap-northeast-1:{a}:web-deploy"));
    let started = pipeline["started"].as_array().unwrap();
    assert_eq!(started.len(), 2);
    let listed: Vec<_> = pipeline["executions"].as_array().unwrap().iter().map(|e| &e["id"]).collect();
    assert_eq!(listed, vec![&started[1], &started[0]], "newest first");
    for e in pipeline["executions"].as_array().unwrap() {
        assert_eq!(e["status"], "Succeeded");
        assert_eq!(e["trigger"], "StartPipelineExecution");
    }
    assert_eq!(acc["rules"][0]["arn"], format!("arn:aws:events:ap-northeast-1:{a}:rule/web-push"));

    // Same image content in another account: same digest, separate backend.
    let other = &out["accounts"][1];
    assert_eq!(other["digests"]["web/a1"], d1);
    assert_eq!(other["pipelines"], json!([]));
}

#[test]
fn seed_is_incremental() {
    let a = fresh_account();
    let scenario = |images: serde_json::Value, starts: u32| {
        json!({"accounts": [{"id": a,
            "repositories": [{"name": "web", "images": images}],
            "pipelines": [{"name": "p", "sources": [{"repository": "web"}], "start_executions": starts}]}]})
    };
    let first = seed(scenario(json!([{"seed": "x", "tags": ["latest", "keep"]}]), 1));
    let second = seed(scenario(json!([{"seed": "y", "tags": ["latest"]}]), 0));
    let x = &first["accounts"][0]["repositories"][0]["images"][0];
    let y = &second["accounts"][0]["repositories"][0]["images"][0];
    assert_eq!(y["tags"], json!(["latest"]));
    assert_ne!(x["digest"], y["digest"]);
    assert_eq!(second["accounts"][0]["pipelines"][0]["executions"].as_array().unwrap().len(), 1);
    assert_eq!(second["accounts"][0]["pipelines"][0]["started"], json!([]));
}

#[test]
fn moto_endpoint_and_fake_endpoints() {
    let moto = Moto::shared();
    assert_eq!(moto.endpoint(), format!("http://127.0.0.1:{}", moto.port()));
    TcpStream::connect(addr(&moto.endpoint())).expect("moto listens");

    let dead = dead_endpoint();
    assert!(TcpStream::connect(addr(&dead)).is_err(), "{dead} should refuse connections");

    let hung = hung_endpoint();
    assert_eq!(hung, hung_endpoint(), "one hung listener per process");
    let mut stream = TcpStream::connect(addr(&hung)).expect("hung endpoint accepts");
    stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 1];
    let err = stream.read(&mut buf).expect_err("hung endpoint never answers nor closes");
    assert!(matches!(err.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut), "{err}");
}
