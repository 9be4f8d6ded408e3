//! npm names its debug logs after the moment it started, in UTC:
//! `2026-11-27T23_28_00_771Z-debug-0.log`. npmx writes the same stamp for the
//! moment it starts npm, so "started after npm was spawned" is a string
//! comparison. No date library for one format.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `YYYY-MM-DDTHH_MM_SS_mmmZ` for `time` (UTC).
pub(crate) fn log_stamp(time: SystemTime) -> String {
  let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
  let millis = since_epoch.subsec_millis();
  let secs = since_epoch.as_secs();
  let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
  let (year, month, day) = civil_from_days(days);
  format!(
    "{year:04}-{month:02}-{day:02}T{:02}_{:02}_{:02}_{millis:03}Z",
    rem / 3600,
    rem / 60 % 60,
    rem % 60
  )
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
  let z = days + 719_468;
  let era = z.div_euclid(146_097);
  let doe = z.rem_euclid(146_097);
  let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  let mp = (5 * doy + 2) / 153;
  let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
  let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
  let year = yoe + era * 400 + i64::from(month <= 2);
  (year, month, day)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn stamps_like_npm() {
    let t = UNIX_EPOCH + Duration::from_millis(1_795_822_080_771);
    assert_eq!(log_stamp(t), "2026-11-27T23_28_00_771Z");
    assert_eq!(log_stamp(UNIX_EPOCH), "1970-01-01T00_00_00_000Z");
    let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
    assert_eq!(log_stamp(leap), "2000-02-29T00_00_00_000Z");
  }
}
