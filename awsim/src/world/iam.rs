//! IAM identity-policy evaluation for the roles of rule targets: an explicit Deny wins, then an Allow, else the
//! implicit deny ([Policy evaluation logic](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html)).
//! Actions match case-insensitively, resources case-sensitively; both take `*` and `?` wildcards
//! ([IAM JSON policy elements: Action / Resource](https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html)).

use crate::model::{Effect, Role};

/// `SimulatePrincipalPolicy`'s `EvalDecision` values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Allowed by the statement with this id.
    Allowed(String),
    ExplicitDeny(String),
    ImplicitDeny,
}

impl Decision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Allowed(_) => "allowed",
            Decision::ExplicitDeny(_) => "explicitDeny",
            Decision::ImplicitDeny => "implicitDeny",
        }
    }

    pub fn allowed(&self) -> bool {
        matches!(self, Decision::Allowed(_))
    }
}

pub(crate) fn evaluate(role: &Role, action: &str, resource: &str) -> Decision {
    let applies = |s: &crate::model::Statement| {
        s.actions.iter().any(|a| glob(&a.to_lowercase(), &action.to_lowercase()))
            && s.resources.iter().any(|r| glob(r, resource))
    };
    if let Some(s) = role.statements.iter().find(|s| s.effect == Effect::Deny && applies(s)) {
        return Decision::ExplicitDeny(s.sid.clone());
    }
    match role.statements.iter().find(|s| s.effect == Effect::Allow && applies(s)) {
        Some(s) => Decision::Allowed(s.sid.clone()),
        None => Decision::ImplicitDeny,
    }
}

/// `*` any run of characters, `?` one character.
fn glob(pattern: &str, value: &str) -> bool {
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while j < v.len() {
        if i < p.len() && (p[i] == '?' || p[i] == v[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some(i);
            mark = j;
            i += 1;
        } else if let Some(s) = star {
            i = s + 1;
            mark += 1;
            j = mark;
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_then_allow_then_implicit_deny() {
        let arn = "arn:aws:codepipeline:ap-northeast-1:111111111111:web-deploy";
        let role = Role::new("arn:aws:iam::111111111111:role/r").allow("codepipeline:Start*", "arn:aws:codepipeline:*");
        assert!(evaluate(&role, "CodePipeline:StartPipelineExecution", arn).allowed());
        assert_eq!(evaluate(&role, "codepipeline:StopPipelineExecution", arn), Decision::ImplicitDeny);
        let denied = role.deny("codepipeline:*", arn);
        assert_eq!(evaluate(&denied, "codepipeline:StartPipelineExecution", arn).as_str(), "explicitDeny");
        assert!(glob("a?c", "abc") && !glob("a?c", "ac"));
    }
}
