//! The shared pace: policy, announced budget, in-flight cap, pauses (paused tokio time).

use super::pace::*;
use std::time::Duration;
use tokio::time::Instant;

#[tokio::test]
async fn concurrency_cap_is_shared_by_all_holders() {
    let pacer = Pacer::per_second("t", 1000, 2);
    let a = pacer.acquire().await;
    let _b = pacer.acquire().await;
    let p2 = pacer.clone();
    let third = tokio::spawn(async move {
        let _c = p2.acquire().await;
    });
    tokio::task::yield_now().await;
    assert!(
        !third.is_finished(),
        "a third caller must wait while two are in flight"
    );
    drop(a);
    third.await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn rate_is_shared_and_pause_holds_everyone() {
    let pacer = Pacer::per_second("t", 2, 10);
    let start = Instant::now();
    pacer.pause_until(start + Duration::from_secs(3));
    pacer.pause_until(start + Duration::from_secs(1)); // never shortens a pause
    drop(pacer.acquire().await);
    assert!(start.elapsed() >= Duration::from_secs(3));
}

/// Start times (seconds since `t0`) of `n` calls made one after another by one caller.
async fn starts(pacer: &Pacer, n: usize, t0: Instant, latency: Duration) -> Vec<f64> {
    let mut out = Vec::new();
    for _ in 0..n {
        let permit = pacer.acquire().await;
        out.push(t0.elapsed().as_secs_f64());
        tokio::time::sleep(latency).await;
        drop(permit);
    }
    out
}

#[tokio::test(start_paused = true)]
async fn an_announced_budget_is_spread_from_each_start_not_each_answer() {
    // Policy: 1 call per 6 s. Announced: 9 left in 10 s. Answers take 300 ms.
    let pacer = Pacer::per_window("t", 10, Duration::from_secs(60), 4);
    let t0 = Instant::now();
    pacer.observe(Announced {
        remaining: 9,
        reset: Duration::from_secs(10),
    });
    let at = starts(&pacer, 10, t0, Duration::from_millis(300)).await;
    // Nine calls inside the window, 10/9 s apart from start to start: latency costs nothing.
    for (i, w) in at.windows(2).take(8).enumerate() {
        assert!(
            (w[1] - w[0] - 10.0 / 9.0).abs() < 0.01,
            "gap {i} was {:.3} s: {at:?}",
            w[1] - w[0]
        );
    }
    assert!(at[8] < 10.0, "the ninth call fits in the window: {at:?}");
    // The budget is spent: the tenth waits for the reset.
    assert!(at[9] >= 10.0, "the tenth call waits for the reset: {at:?}");
}

#[tokio::test(start_paused = true)]
async fn a_window_with_plenty_left_is_spent_faster_than_the_policy() {
    let pacer = Pacer::per_window("t", 50, Duration::from_secs(60), 4);
    let t0 = Instant::now();
    pacer.observe(Announced {
        remaining: 40,
        reset: Duration::from_secs(4),
    });
    let at = starts(&pacer, 40, t0, Duration::ZERO).await;
    assert!(
        at[39] < 4.0,
        "40 calls announced for 4 s all start within it (the policy alone would take 47 s): {at:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn calls_in_flight_are_taken_off_an_announced_budget() {
    let pacer = Pacer::per_window("t", 50, Duration::from_secs(60), 4);
    let held = pacer.acquire().await; // one call still in flight, perhaps not yet counted
    pacer.observe(Announced {
        remaining: 1,
        reset: Duration::from_secs(30),
    });
    let t0 = Instant::now();
    drop(pacer.acquire().await);
    assert!(
        t0.elapsed() >= Duration::from_secs(30),
        "the one call left is the one in flight: wait for the reset"
    );
    drop(held);
}

#[tokio::test(start_paused = true)]
async fn callers_waiting_for_a_slot_are_not_taken_off_the_budget() {
    let pacer = Pacer::per_window("t", 50, Duration::from_secs(60), 4);
    let t0 = Instant::now();
    pacer.observe(Announced {
        remaining: 2,
        reset: Duration::from_secs(60),
    });
    let first = pacer.acquire().await; // the next slot is 30 s away
                                       // Three callers wait for a slot: they hold permits but have sent nothing.
    let waiters: Vec<_> = (0..3)
        .map(|_| {
            let p = pacer.clone();
            tokio::spawn(async move {
                let _turn = p.acquire().await;
                t0.elapsed()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(first);
    // The first call's answer: one call left in this window.
    pacer.observe(Announced {
        remaining: 1,
        reset: Duration::from_secs(59),
    });
    let mut started = Vec::new();
    for w in waiters {
        started.push(w.await.unwrap());
    }
    started.sort();
    assert!(
        started[0] < Duration::from_secs(59),
        "the call left is spent in this window, not after the reset: {started:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_arriving_during_a_wait_holds_the_waiting_caller() {
    let pacer = Pacer::per_window("t", 50, Duration::from_secs(60), 4);
    pacer.observe(Announced {
        remaining: 1,
        reset: Duration::from_secs(10),
    });
    drop(pacer.acquire().await); // spends the last call: the next waits for the reset
    let t0 = Instant::now();
    let p2 = pacer.clone();
    let waiter = tokio::spawn(async move {
        drop(p2.acquire().await);
        t0.elapsed()
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The answer to the last call was a 429 asking for 30 s: the waiter must honour it.
    pacer.pause_until(t0 + Duration::from_secs(30));
    let waited = waiter.await.unwrap();
    assert!(waited >= Duration::from_secs(30), "waited only {waited:?}");
}

#[tokio::test(start_paused = true)]
async fn an_older_answer_never_raises_the_budget_of_the_same_window() {
    let pacer = Pacer::per_window("t", 50, Duration::from_secs(60), 4);
    pacer.observe(Announced {
        remaining: 0,
        reset: Duration::from_secs(20),
    });
    pacer.observe(Announced {
        remaining: 5,
        reset: Duration::from_secs(20),
    });
    let t0 = Instant::now();
    drop(pacer.acquire().await);
    assert!(t0.elapsed() >= Duration::from_secs(20));
}

#[tokio::test(start_paused = true)]
async fn absurd_waits_are_capped_at_an_hour() {
    let pacer = Pacer::per_window("t", 50, Duration::from_secs(60), 4);
    pacer.pause_until(Instant::now() + Duration::from_secs(10 * 86_400));
    pacer.observe(Announced {
        remaining: 0,
        reset: Duration::from_secs(10 * 86_400),
    });
    let t0 = Instant::now();
    drop(pacer.acquire().await);
    assert!(t0.elapsed() <= MAX_UPSTREAM_WAIT + Duration::from_secs(1));
}
