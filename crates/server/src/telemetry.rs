//! Structured logs. Personal data (names, 证号, addresses, phone numbers) is never logged: request
//! logs carry the route template, not the raw path or query, and domain types print masked forms.

use tracing_subscriber::EnvFilter;

use crate::configuration::LogFormat;

/// Installs the global subscriber and the panic hook. `RUST_LOG` overrides the default level
/// (`info`). Calling it twice is harmless (the second call does nothing), which tests rely on.
pub fn init(format: LogFormat) {
    std::panic::set_hook(Box::new(log_panic));
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _already_set = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// A panic, logged with where it happened and not its message: the message is whatever the
/// panicking code formatted, which could be a licence's personal data. (Rust's default hook prints
/// the message to standard error.) A bug is found from its place; `RUST_BACKTRACE` still works
/// through the log's `backtrace` field when set.
fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let location = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()))
        .unwrap_or_default();
    let thread = std::thread::current();
    let backtrace = std::backtrace::Backtrace::capture();
    let backtrace = match backtrace.status() {
        std::backtrace::BacktraceStatus::Captured => backtrace.to_string(),
        _ => String::new(),
    };
    tracing::error!(
        %location,
        thread = thread.name().unwrap_or("unnamed"),
        backtrace,
        "panic (its message is not logged: it could carry personal data)"
    );
}
