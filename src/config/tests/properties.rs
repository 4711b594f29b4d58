//! Properties over generated input (proptest): the parser never panics and its errors stay one line naming the
//! file; durations read back what humantime writes, in the file as on the command line; any profile name made of
//! bare-key characters resolves to itself, in file order.

use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::{Index, select};

use super::*;

/// Pieces of TOML and of pipewatch's own keys and values, so that generated text gets past the tokenizer.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    ".",
    "=",
    ",",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "#",
    "\n",
    "\r\n",
    " ",
    "\t",
    "\\",
    "\\u00e9",
    "\\n",
    "settings",
    "profiles",
    "a",
    "account-a",
    "\"\"",
    "role_arn",
    "external_id",
    "role_session_name",
    "duration",
    "credential_source",
    "aws_profile",
    "region",
    "endpoint_url",
    "repositories",
    "pipelines",
    "refresh",
    "grace",
    "lookback",
    "timeout",
    "\"arn:aws:iam::111111111111:role/x\"",
    "arn:",
    ":",
    "iam",
    "111111111111",
    "1",
    "0",
    "-1",
    "1e400",
    "nan",
    "inf",
    "true",
    "1979-05-27T07:32:00Z",
    "\"0s\"",
    "\"1h\"",
    "\"15m\"",
    "\"12h 1s\"",
    "\"EcsContainer\"",
    "\"http://x\"",
    "é",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "🦀",
    "[profiles.a]\n",
    "[settings]\n",
];

/// Parses `text` as `fuzz.toml`: a panic fails the property (proptest catches it and shrinks the input), and an
/// error must be one line that names the file.
fn parses_or_explains(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = parse(text, Path::new("fuzz.toml")) {
        let shown = e.to_string();
        prop_assert!(!shown.contains('\n') && !shown.contains('\r'), "multi-line error for {text:?}: {shown}");
        prop_assert!(shown.contains("fuzz.toml"), "error without the path for {text:?}: {shown}");
    }
    Ok(())
}

/// One edit of a byte string: remove a byte, overwrite one, or insert a token.
#[derive(Debug, Clone)]
enum Edit {
    Remove(Index),
    Overwrite(Index, u8),
    Insert(Index, &'static str),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<Index>().prop_map(Edit::Remove),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Edit::Overwrite(at, byte)),
        (any::<Index>(), select(TOKENS)).prop_map(|(at, token)| Edit::Insert(at, token)),
    ]
}

fn apply_edits(base: &str, edits: &[Edit]) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for edit in edits {
        match *edit {
            Edit::Remove(at) if !bytes.is_empty() => {
                bytes.remove(at.index(bytes.len()));
            }
            Edit::Overwrite(at, byte) if !bytes.is_empty() => {
                let at = at.index(bytes.len());
                bytes[at] = byte;
            }
            Edit::Remove(_) | Edit::Overwrite(..) => {}
            Edit::Insert(at, token) => {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, token.bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Strings shaped like durations (numbers with humantime's units, spaces around), valid or not: zero, overflow,
/// unknown units and missing units all occur.
fn duration_like() -> impl Strategy<Value = String> {
    "[ ]{0,2}([0-9]{1,6} ?(ns|us|ms|s|sec|m|min|h|hr|hours|d|days|w|M|y|x|)[ ]{0,2}){1,3}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        parses_or_explains(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in proptest::collection::vec(any::<char>(), 0..64)) {
        parses_or_explains(&text.into_iter().collect::<String>())?;
    }

    #[test]
    fn parse_never_panics_on_token_soup(tokens in proptest::collection::vec(select(TOKENS), 0..40)) {
        parses_or_explains(&tokens.concat())?;
    }

    /// Small edits of a valid config reach the semantic checks, not just the tokenizer.
    #[test]
    fn parse_never_panics_on_edits_of_a_valid_config(edits in proptest::collection::vec(edit(), 1..5)) {
        parses_or_explains(&apply_edits(FULL, &edits))?;
    }

    /// What `parse_duration` accepts is not zero, and humantime's own spelling of it reads back the same.
    #[test]
    fn accepted_durations_round_trip(s in duration_like()) {
        match parse_duration(&s) {
            Ok(d) => {
                prop_assert!(!d.is_zero(), "{s:?} accepted as zero");
                let formatted = humantime::format_duration(d).to_string();
                prop_assert_eq!(parse_duration(&formatted), Ok(d), "{:?} formatted as {:?}", s, formatted);
            }
            Err(message) => prop_assert!(!message.contains('\n'), "{message}"),
        }
    }

    /// Every non-zero duration, as humantime writes it, parses back to itself.
    #[test]
    fn formatted_durations_parse_back(secs in 0u64..10_000_000_000, nanos in 0u32..1_000_000_000) {
        let d = Duration::new(secs, nanos);
        prop_assume!(!d.is_zero());
        let formatted = humantime::format_duration(d).to_string();
        prop_assert_eq!(parse_duration(&formatted), Ok(d), "{:?}", formatted);
    }

    /// A duration in `[settings]` means what it means on the command line, and is refused with the same words.
    #[test]
    fn file_and_command_line_read_durations_alike(s in duration_like()) {
        let text = format!("[settings]\ngrace = \"{s}\"\n[profiles.a]\n");
        match (parse(&text, Path::new("config.toml")), parse_duration(&s)) {
            (Ok(config), Ok(d)) => prop_assert_eq!(config.settings.grace, d),
            (Err(e), Err(message)) => {
                let expected = format!("config.toml:2:9: [settings] grace: {message}");
                prop_assert_eq!(e.to_string(), expected);
            }
            (file, command_line) => prop_assert!(false, "{s:?}: file {file:?}, command line {command_line:?}"),
        }
    }

    /// Profiles named with any bare-key characters resolve to those names, in file order, and an error inside
    /// one names its table.
    #[test]
    fn profile_names_resolve_to_themselves(
        names in proptest::collection::btree_set("[A-Za-z0-9_-]{1,40}", 1..6)
            .prop_map(|set| set.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
    ) {
        let text: String = names.iter().map(|name| format!("[profiles.{name}]\n")).collect();
        let config = parse(&text, Path::new("config.toml")).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let resolved: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
        prop_assert_eq!(resolved, names.iter().map(String::as_str).collect::<Vec<_>>());

        let last = names.last().map(String::as_str).unwrap_or_default();
        let shown = err(&format!("{text}rol_arn = \"x\"\n"));
        let expected = format!("config.toml:{}:1: [profiles.{last}]: unknown field `rol_arn`", names.len() + 1);
        prop_assert!(shown.starts_with(&expected), "{shown}");
    }
}
