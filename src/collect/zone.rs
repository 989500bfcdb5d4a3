//! The host's time zone, from the SYSTEM hive's `ControlSet00n\Control\TimeZoneInformation`, to
//! turn the local times a FAT volume keeps into UTC. `Bias` is minutes: UTC = local time + bias;
//! `StandardBias` or `DaylightBias` is added to it, by whether the file's local time falls in
//! daylight saving time by the zone's rules (`DaylightStart`, `StandardStart`: a SYSTEMTIME,
//! the `wDay`th `wDayOfWeek` of `wMonth`, 5 meaning the last). Windows wrote a FAT time with the
//! bias in force when it wrote it; the rules give that bias for the file's own date, which is
//! what the host would show for it. Without the key, a FAT time's zone is unknown (`files.rs`).

use crate::collect::regf::Hive;
use crate::facts::registry::RegData;
use crate::facts::values::utc_seconds;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Minutes.
    pub bias: i64,
    pub standard_bias: i64,
    pub daylight_bias: i64,
    /// When daylight saving time starts and ends (in local time), if the zone has it.
    pub daylight: Option<(Rule, Rule)>,
}

/// A yearly transition: month, week (1-5, 5 the last), day of week (0 Sunday), hour, minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    month: i64,
    week: i64,
    weekday: i64,
    hour: i64,
    minute: i64,
}

/// The zone of the SYSTEM hive's control set, when it has one.
pub(super) fn of(system: Option<&Hive>, control_set: Option<&str>) -> Option<Zone> {
    let (hive, cs) = system.zip(control_set)?;
    let key = hive
        .key(&format!("{cs}\\Control\\TimeZoneInformation"))
        .ok()??;
    let int = |name: &str| match hive.value(&key, name).ok()??.value {
        // DWORDs are read unsigned: -60 is 0xFFFFFFC4.
        RegData::Int(n) => Some(i64::from(n as u32 as i32)),
        _ => None,
    };
    let rule = |name: &str| match hive.value(&key, name).ok()??.value {
        RegData::Text(hex) => Rule::from_hex(&hex),
        _ => None,
    };
    let bias = int("Bias")?;
    if bias.abs() > 24 * 60 {
        return None;
    }
    let daylight = rule("DaylightStart").zip(rule("StandardStart"));
    Some(Zone {
        bias,
        standard_bias: int("StandardBias").unwrap_or(0).clamp(-24 * 60, 24 * 60),
        daylight_bias: int("DaylightBias").unwrap_or(0).clamp(-24 * 60, 24 * 60),
        daylight,
    })
}

impl Rule {
    /// A SYSTEMTIME (16 bytes) as the hive's hexadecimal text; `None` when its month is 0 (no
    /// daylight saving time) or a field is out of range.
    fn from_hex(hex: &str) -> Option<Rule> {
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect::<Option<_>>()?;
        if bytes.len() < 16 {
            return None;
        }
        let w = |i: usize| i64::from(u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]));
        let rule = Rule {
            month: w(1),
            weekday: w(2),
            week: w(3),
            hour: w(4),
            minute: w(5),
        };
        let ok = (1..=12).contains(&rule.month)
            && (0..=6).contains(&rule.weekday)
            && (1..=5).contains(&rule.week)
            && (0..=23).contains(&rule.hour)
            && (0..=59).contains(&rule.minute);
        ok.then_some(rule)
    }

    /// The rule's moment in `year`, local seconds.
    fn in_year(self, year: i64) -> Option<i64> {
        let first = utc_seconds(&format!("{year:04}-{:02}-01", self.month)).ok()?;
        let (ny, nm) = if self.month == 12 {
            (year + 1, 1)
        } else {
            (year, self.month + 1)
        };
        let next = utc_seconds(&format!("{ny:04}-{nm:02}-01")).ok()?;
        let days = (next - first) / 86_400;
        // 1970-01-01 was a Thursday (4).
        let first_weekday = (first / 86_400 + 4).rem_euclid(7);
        let mut day = (self.weekday - first_weekday).rem_euclid(7) + 7 * (self.week - 1);
        while day >= days {
            day -= 7;
        }
        Some(first + day * 86_400 + self.hour * 3600 + self.minute * 60)
    }
}

impl Zone {
    /// A local time (seconds, as if UTC) in UTC.
    pub fn to_utc(&self, local: i64) -> i64 {
        let dst = self.daylight.and_then(|(start, end)| {
            let year = crate::facts::values::iso_utc(local)
                .get(..4)?
                .parse()
                .ok()?;
            let (s, e) = (start.in_year(year)?, end.in_year(year)?);
            Some(if s < e {
                s <= local && local < e
            } else {
                local >= s || local < e
            })
        });
        let extra = if dst == Some(true) {
            self.daylight_bias
        } else {
            self.standard_bias
        };
        local + (self.bias + extra) * 60
    }

    /// How the zone converts, for the document's record.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "time zone (FAT file times to UTC): Bias {} minutes, StandardBias {}",
            self.bias, self.standard_bias
        );
        if self.daylight.is_some() {
            s.push_str(&format!(
                ", DaylightBias {} by its rules",
                self.daylight_bias
            ));
        } else {
            s.push_str(", no daylight saving time");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us_eastern_1999() -> Zone {
        // First Sunday of April 2:00, last Sunday of October 2:00 (the NT 4.0 era's rules).
        Zone {
            bias: 300,
            standard_bias: 0,
            daylight_bias: -60,
            daylight: Some((
                Rule {
                    month: 4,
                    week: 1,
                    weekday: 0,
                    hour: 2,
                    minute: 0,
                },
                Rule {
                    month: 10,
                    week: 5,
                    weekday: 0,
                    hour: 2,
                    minute: 0,
                },
            )),
        }
    }

    #[test]
    fn local_times_convert_with_the_bias_of_their_date() {
        let z = us_eastern_1999();
        let t = |s: &str| utc_seconds(s).unwrap();
        // November: standard time, UTC-5.
        assert_eq!(
            z.to_utc(t("1999-11-18T07:04:00Z")),
            t("1999-11-18T12:04:00Z")
        );
        // July: daylight time, UTC-4.
        assert_eq!(
            z.to_utc(t("1999-07-01T08:00:00Z")),
            t("1999-07-01T12:00:00Z")
        );
        // 1999-04-04 was the first Sunday of April; 1999-10-31 the last of October.
        assert_eq!(
            z.to_utc(t("1999-04-04T01:59:00Z")),
            t("1999-04-04T06:59:00Z")
        );
        assert_eq!(
            z.to_utc(t("1999-04-04T03:00:00Z")),
            t("1999-04-04T07:00:00Z")
        );
        assert_eq!(
            z.to_utc(t("1999-10-31T02:00:00Z")),
            t("1999-10-31T07:00:00Z")
        );
    }

    #[test]
    fn a_southern_zone_and_one_without_daylight_time() {
        let t = |s: &str| utc_seconds(s).unwrap();
        let sydney = Zone {
            bias: -600,
            standard_bias: 0,
            daylight_bias: -60,
            daylight: Some((
                Rule {
                    month: 10,
                    week: 5,
                    weekday: 0,
                    hour: 2,
                    minute: 0,
                },
                Rule {
                    month: 3,
                    week: 5,
                    weekday: 0,
                    hour: 3,
                    minute: 0,
                },
            )),
        };
        assert_eq!(
            sydney.to_utc(t("2000-01-10T11:00:00Z")),
            t("2000-01-10T00:00:00Z")
        );
        assert_eq!(
            sydney.to_utc(t("2000-06-10T10:00:00Z")),
            t("2000-06-10T00:00:00Z")
        );
        let utc_plus_1 = Zone {
            bias: -60,
            standard_bias: 0,
            daylight_bias: 0,
            daylight: None,
        };
        assert_eq!(
            utc_plus_1.to_utc(t("2000-06-10T10:00:00Z")),
            t("2000-06-10T09:00:00Z")
        );
    }

    #[test]
    fn a_systemtime_is_read_from_the_hives_hexadecimal() {
        // wYear 0, wMonth 4, wDayOfWeek 0, wDay 1, wHour 2.
        let r = Rule::from_hex("00000400000001000200000000000000").unwrap();
        assert_eq!(
            r,
            Rule {
                month: 4,
                week: 1,
                weekday: 0,
                hour: 2,
                minute: 0
            }
        );
        assert_eq!(Rule::from_hex("00000000000000000000000000000000"), None);
        assert_eq!(Rule::from_hex("zz"), None);
    }
}
