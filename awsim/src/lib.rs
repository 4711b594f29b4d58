//! awsim: an AWS stand-in that *behaves* as the AWS documentation says, for pipewatch's tests and benchmarks.
//!
//! A [`World`] holds accounts × regions with ECR repositories, CodePipeline pipelines and their runs, EventBridge
//! rules and targets, IAM roles, CloudTrail trails and event history. Its behaviours (a push raises events, rules
//! start pipelines, CloudTrail records arrive late, ...) each cite the page of the AWS documentation or the section
//! of pipewatch's `tests/fixtures/aws/FACTS.md` they follow. A [`Server`] answers the AWS SDK for Rust's requests
//! (awsJson1_1, awsQuery, Smithy RPC v2 CBOR) from the world, with optional latency and AWS-like throttling.
//!
//! ```no_run
//! use awsim::{Manifest, Principal, PushSpec, Server, World};
//! let world = World::new();
//! let (a, region) = ("111111111111", "ap-northeast-1");
//! world.console_pipeline(a, region, "web-deploy", "web", None);
//! let at = world.now();
//! world
//!     .push(PushSpec::new(a, region, "web", Principal::assumed_role(a, "ci", "build-1"), at).tag("latest"))
//!     .unwrap();
//! let server = Server::start(world.clone()).unwrap();
//! println!("{}", server.endpoint());
//! ```

mod clock;
pub mod generate;
mod identity;
mod limits;
pub mod model;
mod oci;
pub mod pattern;
mod server;
mod world;

pub use identity::Principal;
pub use limits::{Rate, RequestRecord};
pub use model::*;
pub use oci::{Attestations, CosignKind, Manifest};
pub use server::Server;
pub use world::{
    CrossAccountPush, EventStartRevision, PushResult, PushSpec, ReplicateSpec, Settings, World, WorldError,
};
