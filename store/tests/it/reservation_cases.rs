//! Conformance cases for reservations against hard caps: all-or-none holds,
//! settlement by ingest, expiry, and what the budget page reads.

use crate::budget_cases::{at, budget, this_month};
use crate::cases::tags;
use chrono::{Duration, Utc};
use domain::Nanos;
use std::sync::Arc;
use store::{CapLoad, CounterKey, Reservation, ReservationSummary, Reserved, Store};

const DOLLAR: i64 = 1_000_000_000;

pub async fn reservations_hold_settle_and_expire(s: Arc<dyn Store>) {
    let now = Utc::now();
    let start = this_month().start;
    s.create_budget(&budget("cap", tags(&[("team", "a")]), None, 10 * DOLLAR, &[], true), now).await.unwrap();
    s.create_budget(&budget("cap2", tags(&[]), None, 100 * DOLLAR, &[], true), now).await.unwrap();
    let key = |id: &str| CounterKey { budget_id: id.into(), split_value: String::new(), period_start: start };
    let holds = vec![(key("cap"), Nanos(10 * DOLLAR)), (key("cap2"), Nanos(100 * DOLLAR))];
    let ttl = Duration::minutes(10);
    let ask = |id: &str, amount: i64| Reservation {
        id: id.into(),
        amount: Nanos(amount),
        expires: now + ttl,
        holds: holds.clone(),
    };
    for i in 0..10 {
        let got = s.reserve(&ask(&format!("r{i}"), DOLLAR), now).await.unwrap();
        assert_eq!(got, Reserved::Granted { expires: now + ttl }, "reservation {i}");
    }
    // The eleventh would pass the $10 cap: nothing is held, on either counter.
    let refused = s.reserve(&ask("r10", DOLLAR), now).await.unwrap();
    let full = CapLoad { spent: Nanos(0), reserved: Nanos(10 * DOLLAR), leased: Nanos(0) };
    assert_eq!(refused, Reserved::Refused(vec![full, full]));
    let loads = s.cap_load(&[key("cap"), key("cap2")], now).await.unwrap();
    assert_eq!(loads, vec![full, full], "the refused reservation held nothing");
    // The same id is not held twice.
    let again = s.reserve(&ask("r3", DOLLAR), now).await.unwrap();
    assert!(matches!(again, Reserved::AlreadyHeld { amount: Nanos(DOLLAR), .. }), "{again:?}");
    assert_eq!(s.cap_load(&[key("cap")], now).await.unwrap()[0].reserved, Nanos(10 * DOLLAR));

    // Ingesting r0 at its real cost, $0.60, settles its hold in the same transaction.
    s.insert_events(&[at("r0", now, 600_000_000, tags(&[("team", "a")]))]).await.unwrap();
    let after = s.cap_load(&[key("cap"), key("cap2")], now).await.unwrap();
    assert_eq!(after[0], CapLoad { spent: Nanos(600_000_000), reserved: Nanos(9 * DOLLAR), leased: Nanos(0) });
    assert_eq!(after[1], CapLoad { spent: Nanos(600_000_000), reserved: Nanos(9 * DOLLAR), leased: Nanos(0) });
    // $9.60 is counted: $1 more would pass the cap, $0.40 reaches it exactly.
    assert!(matches!(s.reserve(&ask("r11", DOLLAR), now).await.unwrap(), Reserved::Refused(_)));
    assert!(matches!(s.reserve(&ask("r12", 400_000_000), now).await.unwrap(), Reserved::Granted { .. }));
    let summary = s.reservation_summary("cap", start, now).await.unwrap();
    assert_eq!(summary, ReservationSummary { live: 10, reserved: Nanos(9_400_000_000), expired: 0 });

    // Past the TTL, the unsettled holds no longer count, and show as expired.
    let later = now + ttl + Duration::seconds(1);
    assert_eq!(
        s.cap_load(&[key("cap")], later).await.unwrap()[0],
        CapLoad { spent: Nanos(600_000_000), reserved: Nanos(0), leased: Nanos(0) }
    );
    assert_eq!(
        s.reservation_summary("cap", start, later).await.unwrap(),
        ReservationSummary { live: 0, reserved: Nanos(0), expired: 10 }
    );
    // An expired id may be reserved again.
    assert_eq!(
        s.reserve(&Reservation { expires: later + ttl, ..ask("r5", DOLLAR) }, later).await.unwrap(),
        Reserved::Granted { expires: later + ttl }
    );
    assert_eq!(s.cap_load(&[key("cap")], later).await.unwrap()[0].reserved, Nanos(DOLLAR));
    // Pruning forgets holds that expired before the instant given, and no others.
    assert_eq!(s.prune_reservations(later).await.unwrap(), 2 * 9);
    assert_eq!(s.reservation_summary("cap", start, later).await.unwrap().live, 1);
    // Deleting the budget drops its holds; the other cap keeps its own.
    assert!(s.delete_budget("cap").await.unwrap());
    assert_eq!(s.reservation_summary("cap", start, later).await.unwrap(), ReservationSummary::default());
    assert_eq!(s.cap_load(&[key("cap2")], later).await.unwrap()[0].reserved, Nanos(DOLLAR));
}

pub async fn leases_share_the_room_a_cap_has_left(s: Arc<dyn Store>) {
    let now = Utc::now();
    let start = this_month().start;
    s.create_budget(&budget("cap", tags(&[]), None, 100 * DOLLAR, &[], true), now).await.unwrap();
    let key = CounterKey { budget_id: "cap".into(), split_value: String::new(), period_start: start };
    let limits = [(key.clone(), Nanos(100 * DOLLAR))];
    let until = now + Duration::seconds(2);
    s.insert_events(&[at("spent", now, 20 * DOLLAR, tags(&[]))]).await.unwrap();
    s.reserve(
        &Reservation {
            id: "held".into(),
            amount: Nanos(10 * DOLLAR),
            expires: now + Duration::minutes(10),
            holds: limits.to_vec(),
        },
        now,
    )
    .await
    .unwrap();
    // Room: $100 - $20 spent - $10 held = $70; a tenth of it.
    let a = s.lease("proc-a", &limits, (10, Nanos(1)), now, until).await.unwrap();
    assert_eq!(a[0].granted, Nanos(7 * DOLLAR));
    assert_eq!(a[0].load, CapLoad { spent: Nanos(20 * DOLLAR), reserved: Nanos(10 * DOLLAR), leased: Nanos(0) });
    // Another process's lease comes from the room A's does not hold: ($70 - $7) / 10.
    let b = s.lease("proc-b", &limits, (10, Nanos(1)), now, until).await.unwrap();
    assert_eq!((b[0].granted, b[0].load.leased), (Nanos(6_300_000_000), Nanos(7 * DOLLAR)));
    // Renewing replaces A's own lease rather than adding to it.
    let a2 = s.lease("proc-a", &limits, (10, Nanos(1)), now, until).await.unwrap();
    assert_eq!((a2[0].granted, a2[0].load.leased), (Nanos(6_370_000_000), Nanos(6_300_000_000)));
    // Exact decisions count the live leases as load: A's $6.37 and B's $6.30.
    let leased = Nanos(6_370_000_000 + 6_300_000_000);
    if s.shared_counters() {
        assert_eq!(s.cap_load(std::slice::from_ref(&key), now).await.unwrap()[0].leased, leased);
    }
    let big = Reservation { id: "big".into(), amount: Nanos(58 * DOLLAR), expires: until, holds: limits.to_vec() };
    match s.reserve(&big, now).await.unwrap() {
        Reserved::Refused(loads) => assert_eq!(loads[0].leased, leased, "$30 + $12.67 + $58 > $100"),
        other => panic!("the leases' room was reserved again: {other:?}"),
    }
    // Many counters in one grant, in any order, one named twice, none counted yet:
    // each granted as alone, the other holder's leases counted per counter.
    let split = |v: &str| CounterKey { budget_id: "cap".into(), split_value: v.into(), period_start: start };
    let many = [(split("x"), Nanos(100 * DOLLAR)), (split("y"), Nanos(50 * DOLLAR)), (split("x"), Nanos(100 * DOLLAR))];
    let m = s.lease("proc-m", &many, (10, Nanos(1)), now, until).await.unwrap();
    let grants: Vec<Nanos> = m.iter().map(|l| l.granted).collect();
    assert_eq!(grants, [Nanos(10 * DOLLAR), Nanos(5 * DOLLAR), Nanos(10 * DOLLAR)]);
    let n = s.lease("proc-n", &[many[1].clone(), many[0].clone()], (10, Nanos(1)), now, until).await.unwrap();
    let seen: Vec<(Nanos, Nanos)> = n.iter().map(|l| (l.granted, l.load.leased)).collect();
    assert_eq!(seen, [(Nanos(4_500_000_000), Nanos(5 * DOLLAR)), (Nanos(9 * DOLLAR), Nanos(10 * DOLLAR))]);
    // A slice smaller than the estimate asking holds no room at all.
    let d = s.lease("proc-d", &limits, (10, Nanos(50 * DOLLAR)), now, until).await.unwrap();
    assert_eq!(d[0].granted, Nanos(0));
    // Past their expiry, leases hold nothing.
    let later = until + Duration::seconds(1);
    let c = s.lease("proc-c", &limits, (10, Nanos(1)), later, later + Duration::seconds(2)).await.unwrap();
    assert_eq!((c[0].granted, c[0].load.leased), (Nanos(7 * DOLLAR), Nanos(0)));
    // With no room left, the lease is empty.
    s.insert_events(&[at("more", now, 70 * DOLLAR, tags(&[]))]).await.unwrap();
    let full = s.lease("proc-a", &limits, (10, Nanos(1)), later, later + Duration::seconds(2)).await.unwrap();
    assert_eq!(full[0].granted, Nanos(0));
    let pruned = s.prune_reservations(later + Duration::seconds(5)).await.unwrap();
    assert_eq!(pruned, 8, "the leases of proc-a to proc-d, and proc-m and proc-n on x and y");
}
