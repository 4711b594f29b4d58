//! Profile names for the accounts of an organization: the account's name made a bare TOML key (letters, digits,
//! `-`, `_`), lower case, and never two alike.

use std::collections::{BTreeMap, BTreeSet};

use super::OrgAccount;

/// One profile name per account, in the order of `accounts`: the slug of the account's name (the account id when
/// the name has no letter or digit); a slug several accounts share gets `-<account id>` on each of them; if that
/// still meets another name, `-2`, `-3`, ... follow.
pub fn profile_names(accounts: &[OrgAccount]) -> Vec<String> {
    let slugs: Vec<String> =
        accounts.iter().map(|a| slug(&a.name).unwrap_or_else(|| format!("account-{}", a.id))).collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &slugs {
        *count.entry(s.as_str()).or_default() += 1;
    }
    let wanted: Vec<String> = slugs
        .iter()
        .zip(accounts)
        .map(
            |(s, a)| if count[s.as_str()] > 1 { format!("{s}-{}", slug(&a.id).unwrap_or_default()) } else { s.clone() },
        )
        .collect();
    let mut taken: BTreeSet<String> = BTreeSet::new();
    wanted
        .into_iter()
        .map(|w| {
            let mut name = w.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{w}-{n}");
                n += 1;
            }
            taken.insert(name.clone());
            name
        })
        .collect()
}

/// `"Prod / Payments (EU)"` → `prod-payments-eu`; `None` when nothing of the name is left.
fn slug(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-');
    (!out.is_empty()).then(|| out.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str, name: &str) -> OrgAccount {
        OrgAccount { id: id.into(), name: name.into(), email: String::new(), status: "ACTIVE".into() }
    }

    #[test]
    fn names_become_bare_lower_case_keys() {
        let accounts = [
            account("111111111111", "Prod / Payments (EU)"),
            account("222222222222", "  sandbox_01 "),
            account("333333333333", "Ünïcode Team"),
            account("444444444444", "😀 !!"),
            account("555555555555", "a\x1b[31mb\nc"),
        ];
        assert_eq!(
            profile_names(&accounts),
            ["prod-payments-eu", "sandbox_01", "n-code-team", "account-444444444444", "a-31mb-c"]
        );
    }

    #[test]
    fn collisions_get_the_account_id_then_a_number() {
        let accounts = [
            account("111111111111", "Dev"),
            account("222222222222", "dev"),
            account("333333333333", "DEV!"),
            account("444444444444", "dev-111111111111"),
            account("555555555555", "prod"),
        ];
        let names = profile_names(&accounts);
        assert_eq!(names, ["dev-111111111111", "dev-222222222222", "dev-333333333333", "dev-111111111111-2", "prod"]);
        assert_eq!(names.iter().collect::<BTreeSet<_>>().len(), names.len());
    }
}
