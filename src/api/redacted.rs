//! Redacting an `ApiError`: every text field that may quote a server (a
//! message, a title, an excerpt, a URL from a next link) passes through the
//! run's `Redactor` before the error leaves the client, then is made one
//! capped line (`escape::server_text`): redacted first, since a secret cut
//! in half would no longer match.

use super::error::ApiError;
use super::redact::Redactor;
use crate::escape::server_text;

impl ApiError {
    /// The same error with every known secret masked in every text field.
    pub(crate) fn redacted(self, r: &Redactor) -> ApiError {
        let t = |s: String| server_text(&r.redact(&s));
        let boxed = |e: Box<ApiError>| Box::new(e.redacted(r));
        match self {
            ApiError::CreateOutcomeUnknown { name, source } => ApiError::CreateOutcomeUnknown {
                name,
                source: boxed(source),
            },
            ApiError::PatchOutcomeUnknown { id, source } => ApiError::PatchOutcomeUnknown {
                id: t(id),
                source: boxed(source),
            },
            ApiError::RetriesExhausted {
                attempts,
                elapsed,
                last,
            } => ApiError::RetriesExhausted {
                attempts,
                elapsed,
                last: boxed(last),
            },
            ApiError::RetryAfterTooLong {
                after_secs,
                left,
                last,
            } => ApiError::RetryAfterTooLong {
                after_secs,
                left,
                last: boxed(last),
            },
            ApiError::Service {
                status,
                code,
                title,
                message,
            } => ApiError::Service {
                status,
                code: t(code),
                title: t(title),
                message: t(message),
            },
            ApiError::NotPatchable {
                what,
                id,
                code,
                message,
            } => ApiError::NotPatchable {
                what,
                id: t(id),
                code: t(code),
                message: t(message),
            },
            ApiError::Gateway {
                status,
                code,
                message,
            } => ApiError::Gateway {
                status,
                code: t(code),
                message: t(message),
            },
            ApiError::Ims {
                status,
                error,
                description,
            } => ApiError::Ims {
                status,
                error: t(error),
                description: t(description),
            },
            other => other.redacted_fields(r),
        }
    }

    /// `redacted` for the variants with one or two text fields.
    fn redacted_fields(self, r: &Redactor) -> ApiError {
        let t = |s: String| server_text(&r.redact(&s));
        match self {
            ApiError::EtagMismatch { what, id } => ApiError::EtagMismatch { what, id: t(id) },
            ApiError::NotFound { what, id } => ApiError::NotFound { what, id: t(id) },
            ApiError::Permission {
                code,
                sandbox,
                message,
            } => ApiError::Permission {
                code: t(code),
                sandbox,
                message: t(message),
            },
            ApiError::Http {
                status,
                url,
                excerpt,
            } => ApiError::Http {
                status,
                url: t(url),
                excerpt: t(excerpt),
            },
            ApiError::Redirected {
                status,
                url,
                location,
            } => ApiError::Redirected {
                status,
                url: t(url),
                location: t(location),
            },
            ApiError::InvalidScope {
                scopes,
                description,
            } => ApiError::InvalidScope {
                scopes,
                description: t(description),
            },
            ApiError::Transport {
                url,
                message,
                timeout,
                connect,
            } => ApiError::Transport {
                url: t(url),
                message: t(message),
                timeout,
                connect,
            },
            ApiError::TooLarge { url, limit } => ApiError::TooLarge { url: t(url), limit },
            ApiError::ForeignLink { href, origin } => ApiError::ForeignLink {
                href: t(href),
                origin,
            },
            ApiError::PageLoop { href } => ApiError::PageLoop { href: t(href) },
            ApiError::Decode { url, message } => ApiError::Decode {
                url: t(url),
                message: t(message),
            },
            other => other,
        }
    }
}
