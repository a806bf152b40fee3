//! A process's own figures on Linux, from `/proc/<pid>/`: CPU time (user and system, every
//! thread) and peak resident memory. Used by `lifecycle plan --resources` and the benchmarks;
//! `None` where `/proc` is not available.

use std::time::Duration;

/// The unit of the times in `/proc/<pid>/stat` (Linux's `USER_HZ`, 100 on every architecture
/// this runs on).
const USER_HZ: u64 = 100;

/// `utime + stime` (fields 14 and 15) of a `/proc/<pid>/stat` line, in ticks of 1/[`USER_HZ`] s.
/// The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so
/// fields are counted after its last `)`.
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime.saturating_add(stime))
}

/// CPU time process `pid` (`self`: this one) has used so far.
pub fn cpu_time_of(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks.saturating_mul(1000 / USER_HZ)))
}

/// Peak resident memory (Linux `VmHWM`) of process `pid` (`self`: this one), in MiB.
pub fn peak_rss_of(pid: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cpu_ticks_are_user_plus_system_counted_after_the_command_name() {
        let stat = "4242 (hb (serve) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 30 0 0 20 0 9 0";
        assert_eq!(super::cpu_ticks(stat), Some(280));
        assert_eq!(super::cpu_ticks("4242 (hb) S 1 2"), None, "too few fields");
        assert_eq!(super::cpu_ticks("no parenthesis"), None);
    }
}
