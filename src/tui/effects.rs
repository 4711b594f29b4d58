//! What the dashboard does outside its own state, on the loop's behalf: the bytes of an OSC 52 clipboard write
//! and of an OSC 8 hyperlink, and opening a URL in the browser without waiting for it.
//!
//! Nothing that came from AWS reaches these bytes unencoded: a clipboard payload is base64, a link is a console URL
//! (percent-encoded ASCII, see `console`) and is refused otherwise, and its visible text is the URL itself.

use std::process::{Command, Stdio};

use base64::Engine;
use tokio::sync::mpsc::UnboundedSender;

use super::msg::Msg;

/// The OSC 52 sequence that puts `text` on the system clipboard; inside tmux, also wrapped for tmux's passthrough
/// (tmux takes the plain one itself with `set -g set-clipboard on`, and passes the wrapped one on to the outer
/// terminal with `allow-passthrough on`).
pub fn osc52(text: &str, in_tmux: bool) -> Vec<u8> {
    let payload = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = format!("\x1b]52;c;{payload}\x07").into_bytes();
    if in_tmux {
        out.extend(format!("\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\").into_bytes());
    }
    out
}

/// Whether `url` can go inside an OSC 8 sequence as it is: printable ASCII only.
fn linkable(url: &str) -> bool {
    !url.is_empty() && url.len() <= 2048 && url.bytes().all(|b| b.is_ascii_graphic())
}

/// `shown` as an OSC 8 hyperlink to `url` (with an id, so a link cut across lines stays one link); `None` when the
/// URL or the text could carry anything else than printable ASCII.
pub fn osc8(url: &str, shown: &str) -> Option<String> {
    (linkable(url) && shown.chars().all(|c| c.is_ascii_graphic() || c == ' ' || c == '…'))
        .then(|| format!("\x1b]8;id=pipewatch;{url}\x1b\\{shown}\x1b]8;;\x1b\\"))
}

/// The command that opens `url`: `$BROWSER` (its `:`-separated alternatives, `%s` standing for the URL, else the
/// URL appended), else `xdg-open` (or `open` on macOS).
pub fn browser_commands(url: &str, browser: Option<&str>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for alternative in browser.unwrap_or("").split(':').filter(|a| !a.trim().is_empty()) {
        let mut words: Vec<String> = alternative.split_whitespace().map(str::to_string).collect();
        if words.iter().any(|w| w.contains("%s")) {
            words = words.into_iter().map(|w| w.replace("%s", url)).collect();
        } else {
            words.push(url.to_string());
        }
        out.push(words);
    }
    let fallback = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    out.push(vec![fallback.to_string(), url.to_string()]);
    out
}

/// Opens `url` on a thread of its own, so the dashboard never waits for the browser; a failure comes back as
/// [`Msg::OpenFailed`].
pub fn open(url: String, tx: UnboundedSender<Msg>) {
    if !linkable(&url) {
        let _ = tx.send(Msg::OpenFailed("not a link that can be opened".into()));
        return;
    }
    let spawned = std::thread::Builder::new().name("pipewatch-open".into()).spawn(move || {
        let browser = std::env::var("BROWSER").ok();
        let mut why = String::new();
        for words in browser_commands(&url, browser.as_deref()) {
            let Some((program, args)) = words.split_first() else { continue };
            let child = Command::new(program)
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            match child.and_then(|mut c| c.wait()) {
                Ok(status) if status.success() => return,
                Ok(status) => why = format!("{program} failed ({status})"),
                Err(e) => why = format!("cannot run {program}: {e}"),
            }
        }
        let _ = tx.send(Msg::OpenFailed(format!("could not open the link: {why}; set $BROWSER")));
    });
    if spawned.is_err() {
        // No thread, no browser: said in the footer by the caller's next notice.
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clipboard_payload_is_base64_whatever_it_holds() {
        let bytes = osc52("a\x1b]0;x\x07b", false);
        assert_eq!(bytes, b"\x1b]52;c;YRtdMDt4B2I=\x07");
        let tmux = String::from_utf8(osc52("sha256:ab", true)).unwrap();
        assert_eq!(tmux, "\x1b]52;c;c2hhMjU2OmFi\x07\x1bPtmux;\x1b\x1b]52;c;c2hhMjU2OmFi\x07\x1b\\");
    }

    #[test]
    fn hyperlinks_take_only_printable_ascii() {
        assert_eq!(
            osc8("https://x.example/a%1B", "https://x.example/a…").as_deref(),
            Some("\x1b]8;id=pipewatch;https://x.example/a%1B\x1b\\https://x.example/a…\x1b]8;;\x1b\\")
        );
        assert_eq!(osc8("https://x.example/\x1b]8;;evil", "x"), None);
        assert_eq!(osc8("https://x.example/a b", "x"), None);
        assert_eq!(osc8("https://x.example/", "\x1b[2J"), None);
    }

    #[test]
    fn browser_alternatives_then_the_platform_opener() {
        let url = "https://h/p";
        assert_eq!(
            browser_commands(url, Some("firefox --new-tab:w3m %s")),
            vec![
                vec!["firefox".to_string(), "--new-tab".into(), url.into()],
                vec!["w3m".into(), url.into()],
                vec![if cfg!(target_os = "macos") { "open" } else { "xdg-open" }.to_string(), url.into()],
            ]
        );
        assert_eq!(browser_commands(url, None).len(), 1);
    }
}
