//! RFC 3339 date-times, read without a date-time dependency (the project
//! has none: state only formats "now"): a dataflow's `schedule.start` is
//! checked by validation and sent to the platform as seconds since the epoch.

/// Why a `start` is not an RFC 3339 date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    #[error("expected `YYYY-MM-DDTHH:MM:SS` and a time zone, e.g. `2026-12-01T00:00:00Z`")]
    Shape,
    #[error("expected a time zone after the time: `Z` or an offset such as `+01:00`")]
    NoTimeZone,
    #[error("the date does not exist")]
    NoSuchDate,
    #[error("the time does not exist: hours 00-23, minutes and seconds 00-59")]
    NoSuchTime,
}

/// An RFC 3339 date-time (`2026-12-01T00:00:00Z`, `2026-12-01t01:30:00.5+01:30`)
/// as whole seconds since the Unix epoch (fractions dropped).
pub fn parse_rfc3339(text: &str) -> Result<i64, StartError> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i64, StartError> {
        let part = b.get(range).ok_or(StartError::Shape)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(StartError::Shape);
        }
        Ok(part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt") && at(13, b":") && at(16, b":")) {
        return Err(StartError::Shape);
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut rest = 19;
    if at(rest, b".") {
        let fraction = b[rest + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if fraction == 0 {
            return Err(StartError::Shape);
        }
        rest += 1 + fraction;
    }
    let offset = match b.get(rest) {
        None => return Err(StartError::NoTimeZone),
        Some(b'Z' | b'z') if b.len() == rest + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == rest + 6 && at(rest + 3, b":") => {
            let (h, m) = (digits(rest + 1..rest + 3)?, digits(rest + 4..rest + 6)?);
            if h > 23 || m > 59 {
                return Err(StartError::NoSuchTime);
            }
            let minutes = h * 60 + m;
            if *sign == b'+' { minutes } else { -minutes }
        }
        _ => return Err(StartError::Shape),
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(StartError::NoSuchDate),
    };
    if day < 1 || day > days_in_month {
        return Err(StartError::NoSuchDate);
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err(StartError::NoSuchTime);
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second - offset * 60)
}

#[cfg(test)]
mod tests {
    use super::{StartError, parse_rfc3339};

    #[test]
    fn reads_rfc_3339_date_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Ok(951_782_400));
        assert_eq!(parse_rfc3339("2026-11-26t19:13:01.250z"), Ok(1_795_720_381));
        assert_eq!(
            parse_rfc3339("2026-11-26T20:13:01+01:00"),
            Ok(1_795_720_381)
        );
        assert_eq!(
            parse_rfc3339("2026-11-26T18:43:01-00:30"),
            Ok(1_795_720_381)
        );
        assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Ok(0));
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00.250-00:30"), Ok(1800));
        assert_eq!(parse_rfc3339("2026-12-01T00:00:00Z"), Ok(1_796_083_200));
    }

    #[test]
    fn says_what_is_wrong() {
        assert_eq!(parse_rfc3339("tomorrow"), Err(StartError::Shape));
        assert_eq!(parse_rfc3339("2026-12-01"), Err(StartError::Shape));
        assert_eq!(
            parse_rfc3339("2026-12-01 00:00:00Z"),
            Err(StartError::Shape)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T00:00:00"),
            Err(StartError::NoTimeZone)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T00:00:00.Z"),
            Err(StartError::Shape)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T00:00:00+0100"),
            Err(StartError::Shape)
        );
        assert_eq!(
            parse_rfc3339("2026-02-29T00:00:00Z"),
            Err(StartError::NoSuchDate)
        );
        assert_eq!(
            parse_rfc3339("2026-13-01T00:00:00Z"),
            Err(StartError::NoSuchDate)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T24:00:00Z"),
            Err(StartError::NoSuchTime)
        );
        assert_eq!(
            parse_rfc3339("2026-12-01T00:00:00Zjunk"),
            Err(StartError::Shape)
        );
        assert_eq!(
            parse_rfc3339("２026-12-01T00:00:00Z"),
            Err(StartError::Shape)
        );
    }
}
