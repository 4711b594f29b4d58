//! Generated worlds for benchmarks and manual runs: many accounts, each with console-style pipelines over its
//! repositories and a history of pushes, most of which started a run and a few of which did not.

use jiff::{SignedDuration, Timestamp};

use crate::identity::Principal;
use crate::oci::Manifest;
use crate::world::{PushSpec, World};

/// The shape of a generated world.
#[derive(Debug, Clone, PartialEq)]
pub struct Shape {
    pub accounts: usize,
    pub regions: Vec<String>,
    pub pipelines_per_account: usize,
    pub repositories_per_account: usize,
    pub pushes_per_repository: usize,
    pub seed: u64,
}

/// The id of the `i`-th generated account (12 digits, from 100000000001).
pub fn account_id(i: usize) -> String {
    format!("{:012}", 100_000_000_001_u64 + i as u64)
}

/// One in this many pushes is made with another account's identity, so it starts no run (FACTS.md §5, the
/// world's default reading).
const UNTRIGGERED_ONE_IN: u32 = 10;

impl World {
    /// A world of `accounts` accounts × `regions`, each with `repositories_per_account` repositories (`repo-N`)
    /// and `pipelines_per_account` console-style pipelines (`pipe-N`, watching `repo-(N mod repositories)`
    /// `:latest`), and `pushes_per_repository` pushes per repository over the last hours: most by the account's
    /// own CI role (they start runs), about one in ten with another account's identity (they start none). Ids
    /// and choices follow `seed`; times are relative to now.
    pub fn generate(
        accounts: usize,
        regions: &[&str],
        pipelines_per_account: usize,
        repositories_per_account: usize,
        pushes_per_repository: usize,
        seed: u64,
    ) -> World {
        let w = World::with_seed(seed);
        let mut rng = fastrand::Rng::with_seed(seed ^ 0x9e37_79b9);
        let now = Timestamp::now();
        let repos = repositories_per_account.max(1);
        for a in 0..accounts {
            let account = account_id(a);
            let stranger = account_id(accounts + a);
            for region in regions {
                for r in 0..repos {
                    w.add_repository(&account, region, &format!("repo-{r}"));
                }
                for p in 0..pipelines_per_account {
                    w.console_pipeline(&account, region, &format!("pipe-{p}"), &format!("repo-{}", p % repos), None);
                }
                for r in 0..repositories_per_account {
                    for k in 0..pushes_per_repository {
                        let ago = SignedDuration::from_mins(((pushes_per_repository - k) * 20) as i64)
                            + SignedDuration::from_secs(rng.i64(0..600));
                        let caller = if rng.u32(0..UNTRIGGERED_ONE_IN) == 0 {
                            Principal::iam_user(&stranger, "deployer")
                        } else {
                            Principal::assumed_role(&account, "service-role/codebuild", &format!("build-{k}"))
                        };
                        let repo = format!("repo-{r}");
                        let spec = PushSpec::new(&account, region, &repo, caller, now - ago)
                            .tag("latest")
                            .tag(&format!("{:07x}", rng.u32(..0x0fff_ffff)))
                            .manifest(Manifest::image(&format!("{account}/{region}/{repo}/{k}")));
                        w.push(spec).expect("the repository was just added");
                    }
                }
            }
        }
        w
    }

    /// [`World::generate`] from a [`Shape`].
    pub fn generate_shape(shape: &Shape) -> World {
        let regions: Vec<&str> = shape.regions.iter().map(String::as_str).collect();
        World::generate(
            shape.accounts,
            &regions,
            shape.pipelines_per_account,
            shape.repositories_per_account,
            shape.pushes_per_repository,
            shape.seed,
        )
    }
}

/// A pipewatch config with one profile per account and region, each assuming
/// `arn:aws:iam::<account>:role/pipewatch-read` through `endpoint`.
pub fn pipewatch_config(shape: &Shape, endpoint: &str) -> String {
    let first = shape.regions.first().map(String::as_str).unwrap_or("us-east-1");
    let mut out = format!(
        "# Written by `awsim serve`: {} accounts x {} regions at {endpoint}\n[settings]\nregion = \"{first}\"\n\
         grace = \"5m\"\nlookback = \"24h\"\ntimeout = \"30s\"\n",
        shape.accounts,
        shape.regions.len()
    );
    for a in 0..shape.accounts {
        let account = account_id(a);
        for region in &shape.regions {
            out += &format!(
                "\n[profiles.a{account}-{region}]\nrole_arn = \"arn:aws:iam::{account}:role/pipewatch-read\"\n\
                 endpoint_url = \"{endpoint}\"\nregion = \"{region}\"\n"
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_generated_pushes_started_a_run_and_a_few_did_not() {
        let w = World::generate(2, &["ap-northeast-1"], 2, 2, 30, 7);
        let (a, r) = (account_id(0), "ap-northeast-1");
        let pushes = w.trail_records(&a, r).len();
        assert_eq!(pushes, 120, "60 pushes, one PutImage record per tag");
        let runs = w.executions(&a, r, "pipe-0").len() + w.executions(&a, r, "pipe-1").len();
        assert!(runs < 60 && runs > 40, "{runs} runs for 60 pushes");
        let config = pipewatch_config(
            &Shape {
                accounts: 2,
                regions: vec![r.into()],
                pipelines_per_account: 2,
                repositories_per_account: 2,
                pushes_per_repository: 30,
                seed: 7,
            },
            "http://127.0.0.1:1",
        );
        assert_eq!(config.matches("[profiles.").count(), 2);
        assert!(config.contains("role_arn = \"arn:aws:iam::100000000002:role/pipewatch-read\""));
    }
}
