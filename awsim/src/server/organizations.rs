//! AWS Organizations (awsJson1_1, `AWSOrganizationsV20161128`): ListAccounts, from the management account
//! ([ListAccounts](https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html): "This operation
//! can be called only from the organization's management account or by a member account that is a delegated
//! administrator").

use serde_json::{Value, json};

use super::ecr::unknown;
use super::json::{epoch, page, str_field};
use super::{ApiError, Cx};
use crate::world::State;

pub(crate) fn handle(st: &mut State, cx: &Cx, op: &str, body: &Value) -> Result<Value, ApiError> {
    if op != "ListAccounts" {
        return Err(unknown(op));
    }
    let Some((management, accounts)) = &st.organization else {
        return Err(ApiError::new(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    };
    if *management != cx.account {
        return Err(ApiError::new("AccessDeniedException", "You don't have permissions to access this resource."));
    }
    let items: Vec<Value> = accounts
        .iter()
        .map(|a| {
            json!({"Id": a.id, "Arn": format!("arn:aws:organizations::{management}:account/o-awsim/{}", a.id),
                "Email": a.email, "Name": a.name, "Status": a.status, "JoinedMethod": "CREATED",
                "JoinedTimestamp": epoch(jiff::Timestamp::UNIX_EPOCH)})
        })
        .collect();
    // MaxResults 1-20 (ListAccounts).
    let size = body["MaxResults"].as_u64().unwrap_or(20).clamp(1, 20) as usize;
    let (items, next) = page(&items, str_field(body, "NextToken"), size)?;
    let mut out = json!({"Accounts": items});
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}
