//! EventBridge event patterns, matched as the EventBridge documentation describes them (written for awsim, shares
//! nothing with pipewatch's own judge, which it is meant to test).
//!
//! Rules followed: [Event patterns](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html)
//! ("the event must contain all the field names listed in the pattern"; values are matched in arrays, "if the
//! value in the event is an array, then the event pattern matches if the intersection of the event pattern array
//! and the event array is non-empty"; nested objects match nested fields) and
//! [Comparison operators](https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html)
//! ("Comparison operators only work on leaf nodes, with the exception of `$or` and `anything-but`"): exact values,
//! `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (value, list, `prefix`, `suffix`,
//! `equals-ignore-case`, `wildcard`), `numeric`, `exists`, `wildcard`, `cidr` (IPv4), `$or`.

use serde_json::{Map, Value};

/// Why a pattern cannot be evaluated (PutRule would reject it: `InvalidEventPatternException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

/// Whether `event` matches `pattern` (JSON text).
pub fn matches_str(pattern: &str, event: &Value) -> Result<bool, PatternError> {
    let p: Value = serde_json::from_str(pattern).map_err(|e| PatternError(format!("not JSON: {e}")))?;
    matches(&p, event)
}

/// Whether `event` matches `pattern` (a JSON object).
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, PatternError> {
    let obj = pattern.as_object().ok_or_else(|| PatternError("a pattern is a JSON object".into()))?;
    object(obj, Some(event))
}

fn object(pattern: &Map<String, Value>, event: Option<&Value>) -> Result<bool, PatternError> {
    let mut all = true;
    for (key, p) in pattern {
        let ok = if key == "$or" {
            let alts = p.as_array().ok_or_else(|| PatternError("$or takes an array of patterns".into()))?;
            let mut any = false;
            for alt in alts {
                let alt = alt.as_object().ok_or_else(|| PatternError("$or alternatives are objects".into()))?;
                any |= object(alt, event)?;
            }
            any
        } else {
            let field = event.and_then(|e| e.get(key));
            match p {
                Value::Object(nested) => object(nested, field)?,
                Value::Array(values) => leaf(values, field)?,
                _ => return Err(PatternError(format!("`{key}`: match values must be in an array"))),
            }
        };
        all &= ok;
    }
    Ok(all)
}

/// A leaf: any of the pattern's values matches (the field's value, or any element of it when it is an array).
fn leaf(values: &[Value], field: Option<&Value>) -> Result<bool, PatternError> {
    let mut any = false;
    for v in values {
        // `exists` judges the field as a whole; every other matcher judges each value of it.
        if let Some(want) = v.as_object().and_then(|o| o.get("exists")) {
            let want = want.as_bool().ok_or_else(|| PatternError("exists takes true or false".into()))?;
            let present = match field {
                None => false,
                Some(Value::Array(a)) => !a.is_empty(),
                Some(_) => true,
            };
            any |= present == want;
            continue;
        }
        let Some(field) = field else {
            // Still judge the filter's syntax, as PutRule would.
            one(v, &Value::Null)?;
            continue;
        };
        let items: Vec<&Value> = match field {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            any |= one(v, item)?;
        }
    }
    Ok(any)
}

fn one(p: &Value, item: &Value) -> Result<bool, PatternError> {
    match p {
        Value::Object(op) => operator(op, item),
        Value::Array(_) => Err(PatternError("nested arrays are not match values".into())),
        _ => Ok(equal(p, item)),
    }
}

fn equal(p: &Value, item: &Value) -> bool {
    match (p, item) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => p == item,
    }
}

fn operator(op: &Map<String, Value>, item: &Value) -> Result<bool, PatternError> {
    let (name, arg) = match op.iter().next() {
        Some(kv) if op.len() == 1 => kv,
        _ => return Err(PatternError("a filter object has exactly one operator".into())),
    };
    let s = item.as_str();
    Ok(match name.as_str() {
        "prefix" => text_op(arg, s, |v, p| v.starts_with(p), |v, p| v.to_lowercase().starts_with(&p.to_lowercase()))?,
        "suffix" => text_op(arg, s, |v, p| v.ends_with(p), |v, p| v.to_lowercase().ends_with(&p.to_lowercase()))?,
        "equals-ignore-case" => {
            let p = arg.as_str().ok_or_else(|| PatternError("equals-ignore-case takes a string".into()))?;
            s.is_some_and(|v| v.to_lowercase() == p.to_lowercase())
        }
        "wildcard" => {
            let p = arg.as_str().ok_or_else(|| PatternError("wildcard takes a string".into()))?;
            s.is_some_and(|v| wildcard(p, v))
        }
        "anything-but" => !anything_but_excludes(arg, item)?,
        "numeric" => numeric(arg, item)?,
        "cidr" => {
            let p = arg.as_str().ok_or_else(|| PatternError("cidr takes a string".into()))?;
            s.is_some_and(|v| cidr(p, v))
        }
        other => return Err(PatternError(format!("unknown operator `{other}`"))),
    })
}

/// `prefix`/`suffix` with a string or `{"equals-ignore-case": s}`; only string values can match.
fn text_op(
    arg: &Value,
    s: Option<&str>,
    exact: fn(&str, &str) -> bool,
    folded: fn(&str, &str) -> bool,
) -> Result<bool, PatternError> {
    let (p, fold) = match arg {
        Value::String(p) => (p.as_str(), false),
        Value::Object(o) => match o.get("equals-ignore-case").and_then(Value::as_str) {
            Some(p) => (p, true),
            None => return Err(PatternError("prefix/suffix take a string or equals-ignore-case".into())),
        },
        _ => return Err(PatternError("prefix/suffix take a string".into())),
    };
    Ok(s.is_some_and(|v| if fold { folded(v, p) } else { exact(v, p) }))
}

/// Whether `anything-but`'s argument names `item` (so the match fails).
fn anything_but_excludes(arg: &Value, item: &Value) -> Result<bool, PatternError> {
    let s = item.as_str();
    Ok(match arg {
        Value::Array(list) => list.iter().any(|v| equal(v, item)),
        Value::Object(o) => {
            let (name, inner) = match o.iter().next() {
                Some(kv) if o.len() == 1 => kv,
                _ => return Err(PatternError("anything-but takes one operator".into())),
            };
            let strings: Vec<&str> = match inner {
                Value::String(x) => vec![x.as_str()],
                Value::Array(xs) => xs.iter().filter_map(Value::as_str).collect(),
                _ => return Err(PatternError("anything-but operators take strings".into())),
            };
            let test: fn(&str, &str) -> bool = match name.as_str() {
                "prefix" => |v, p| v.starts_with(p),
                "suffix" => |v, p| v.ends_with(p),
                "equals-ignore-case" => |v, p| v.to_lowercase() == p.to_lowercase(),
                "wildcard" => |v, p| wildcard(p, v),
                other => return Err(PatternError(format!("anything-but does not take `{other}`"))),
            };
            s.is_some_and(|v| strings.iter().any(|p| test(v, p)))
        }
        scalar => equal(scalar, item),
    })
}

/// `numeric: [op, n, (op, n)]`; only numbers match.
fn numeric(arg: &Value, item: &Value) -> Result<bool, PatternError> {
    let terms = arg.as_array().ok_or_else(|| PatternError("numeric takes an array".into()))?;
    if terms.is_empty() || terms.len() % 2 != 0 || terms.len() > 4 {
        return Err(PatternError("numeric takes one or two (operator, number) pairs".into()));
    }
    let Some(x) = item.as_f64().filter(|_| item.is_number()) else { return Ok(false) };
    let mut ok = true;
    for pair in terms.chunks(2) {
        let op = pair[0].as_str().ok_or_else(|| PatternError("numeric operators are strings".into()))?;
        let n = pair[1].as_f64().ok_or_else(|| PatternError("numeric bounds are numbers".into()))?;
        ok &= match op {
            "=" => x == n,
            "<" => x < n,
            "<=" => x <= n,
            ">" => x > n,
            ">=" => x >= n,
            other => return Err(PatternError(format!("unknown numeric operator `{other}`"))),
        };
    }
    Ok(ok)
}

/// `*` matches any run of characters; `\*` a literal star, `\\` a backslash.
fn wildcard(pattern: &str, value: &str) -> bool {
    #[derive(PartialEq)]
    enum Tok {
        Star,
        Ch(char),
    }
    let mut toks = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => toks.push(Tok::Ch(chars.next().unwrap_or('\\'))),
            '*' => toks.push(Tok::Star),
            c => toks.push(Tok::Ch(c)),
        }
    }
    let v: Vec<char> = value.chars().collect();
    // Greedy matching with backtracking to the last star: linear in practice, never exponential.
    let (mut t, mut i, mut star, mut mark) = (0, 0, None, 0);
    while i < v.len() {
        if t < toks.len() && toks[t] == Tok::Ch(v[i]) {
            t += 1;
            i += 1;
        } else if t < toks.len() && toks[t] == Tok::Star {
            star = Some(t);
            mark = i;
            t += 1;
        } else if let Some(s) = star {
            t = s + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    toks[t..].iter().all(|x| *x == Tok::Star)
}

fn cidr(block: &str, ip: &str) -> bool {
    fn v4(s: &str) -> Option<u32> {
        let parts: Vec<u8> = s.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        (parts.len() == 4).then(|| u32::from_be_bytes([parts[0], parts[1], parts[2], parts[3]]))
    }
    let Some((net, bits)) = block.split_once('/') else { return false };
    let (Some(net), Some(addr), Ok(bits)) = (v4(net), v4(ip), bits.parse::<u32>()) else { return false };
    if bits > 32 {
        return false;
    }
    let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
    net & mask == addr & mask
}

#[cfg(test)]
#[path = "pattern_tests.rs"]
mod tests;
