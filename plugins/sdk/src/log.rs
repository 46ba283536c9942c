//! Writing to the check's log, which the report shows (the host bounds its size).

use crate::bindings::modelgate::plugin::host;
use crate::LogLevel;

/// Writes one line to the check's log at `level`.
pub fn log(level: LogLevel, message: impl AsRef<str>) {
    host::log(level, message.as_ref());
}

/// Writes a `trace` line to the check's log.
pub fn trace(message: impl AsRef<str>) {
    log(LogLevel::Trace, message);
}

/// Writes a `debug` line to the check's log.
pub fn debug(message: impl AsRef<str>) {
    log(LogLevel::Debug, message);
}

/// Writes an `info` line to the check's log.
pub fn info(message: impl AsRef<str>) {
    log(LogLevel::Info, message);
}

/// Writes a `warn` line to the check's log.
pub fn warn(message: impl AsRef<str>) {
    log(LogLevel::Warn, message);
}

/// Writes an `error` line to the check's log.
pub fn error(message: impl AsRef<str>) {
    log(LogLevel::Error, message);
}
