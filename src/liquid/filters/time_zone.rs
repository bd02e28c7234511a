//! IANA time zones for the `date` filter: the offset of a named zone at an instant, as liquidjs
//! finds it through `Intl` (any name `Intl.DateTimeFormat` takes, in any letter case).
//!
//! The host answers ([`crate::host::zone_offset_secs`]): on wasm32 its `Intl` (browsers, Node
//! and workerd carry the time zone database, so the wasm builds carry none), natively (the CLI,
//! the tests) `chrono-tz`'s copy of the database.

/// Minutes the zone `name` is behind UTC at `ms` (JavaScript's `getTimezoneOffset` sign:
/// New York in winter is `300`); `None` when no zone has that name. `ms` is a valid time.
pub(super) fn offset_minutes(name: &str, ms: f64) -> Option<f64> {
    crate::host::zone_offset_secs(name, ms).map(|secs| -secs / 60.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAN: f64 = 1_704_067_200_000.0; // 2024-01-01T00:00:00Z
    const JUL: f64 = 1_719_792_000_000.0; // 2024-07-01T00:00:00Z

    #[test]
    fn named_zones_with_and_without_daylight_saving() {
        assert_eq!(offset_minutes("America/New_York", JAN), Some(300.0));
        assert_eq!(offset_minutes("america/new_york", JUL), Some(240.0));
        assert_eq!(offset_minutes("Europe/Berlin", JUL), Some(-120.0));
        assert_eq!(offset_minutes("Asia/Kolkata", JAN), Some(-330.0));
        assert_eq!(offset_minutes("Australia/Lord_Howe", JAN), Some(-660.0));
        assert_eq!(offset_minutes("UTC", JUL), Some(0.0));
        assert_eq!(offset_minutes("Etc/GMT+5", JUL), Some(300.0));
        assert_eq!(offset_minutes("US/Eastern", JAN), Some(300.0));
        assert_eq!(offset_minutes("Mars/Olympus", JAN), None);
        assert_eq!(offset_minutes("", JAN), None);
        // New York's local mean time before 1883: −4:56:02.
        assert_eq!(
            offset_minutes("America/New_York", -3e12),
            Some(296.0 + 2.0 / 60.0)
        );
        // Past chrono's calendar: no panic, an offset.
        assert!(offset_minutes("Europe/Berlin", 8.64e15).is_some());
        assert!(offset_minutes("Europe/Berlin", -8.64e15).is_some());
    }

    #[test]
    fn both_sides_of_a_change() {
        // New York springs forward at 2024-03-10T07:00:00Z.
        let change = 1_710_054_000_000.0;
        assert_eq!(
            offset_minutes("America/New_York", change - 1.0),
            Some(300.0)
        );
        assert_eq!(offset_minutes("America/New_York", change), Some(240.0));
    }
}
