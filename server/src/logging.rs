//! The server's logs, on standard error: human-readable text lines (the default), or JSON
//! lines for a log collector (`serve --log-format json`, `COMPTOIR_LOG_FORMAT=json`).
//!
//! A JSON line carries the event's fields flattened beside `timestamp`, `level`, `target`
//! and `message`, and the fields of the request's span under `span` (its `request_id`,
//! method and path, see [`crate::api::request_id`]). Secrets never reach a log: no handler
//! logs a password, a token, a two-factor code or secret, or a header, and the request
//! types that carry them print as `…` in their `Debug`.
//!
//! `RUST_LOG` chooses what is logged (default `info`); the line each answered request
//! writes has the target `comptoir_server::access` (`RUST_LOG=info,comptoir_server::access=warn`
//! leaves it out).

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("“{other}” is not a log format: text or json")),
        }
    }
}

impl std::fmt::Display for LogFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Json => "json",
        })
    }
}

/// Why the logs could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the logs: {0}")]
pub struct LogError(String);

/// Sends this process's logs to standard error in `format`, filtered by `RUST_LOG`
/// (default `info`). Once per process.
pub fn init(format: LogFormat) -> Result<(), LogError> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init(),
    }
    .map_err(|e| LogError(e.to_string()))
}
