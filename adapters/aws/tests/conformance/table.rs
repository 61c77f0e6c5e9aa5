//! The Table contract.

use selfcare::ports::table::{
    ChangeKind, Condition, EXPIRES_AT, GSI1_PK, GSI1_SK, Index, Item, Key, PK, Query, SK, SortKey,
    TableError, Update, Value, Write,
};

use selfcare::ports::Clock;

use crate::support::TableFixture;

crate::contract!(table:
    a_put_item_reads_back_whole,
    an_absent_item_reads_as_none,
    many_items_read_at_once_across_batches_leaving_out_absent_and_expired,
    a_put_that_must_be_new_fails_on_an_existing_item_and_changes_nothing,
    a_stale_version_fails_and_the_current_one_succeeds,
    an_update_creates_counts_and_returns_the_new_item,
    an_update_of_an_absent_item_that_must_exist_fails,
    a_conditional_delete_deletes_only_when_the_condition_holds,
    a_query_reads_one_partition_in_sort_key_order_both_ways,
    sort_key_conditions_select_the_right_items,
    pages_cover_a_partition_exactly_once_in_either_direction,
    an_index_query_pages_through_its_partition,
    a_transaction_writes_all_or_nothing_and_names_the_failed_condition,
    a_transaction_refuses_more_than_one_hundred_writes_or_a_key_twice,
    expired_items_are_never_read,
    many_puts_land_across_batches,
    every_kind_of_value_round_trips,
    the_stream_reports_inserts_modifies_and_removes_in_order_until_acknowledged,
);

fn item(pk: &str, sk: &str) -> Item {
    Item::from([(PK.into(), Value::from(pk)), (SK.into(), Value::from(sk))])
}

fn with(mut item: Item, name: &str, value: impl Into<Value>) -> Item {
    item.insert(name.into(), value.into());
    item
}

fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i[SK].as_s().unwrap_or_default().to_owned())
        .collect()
}

async fn a_put_item_reads_back_whole(f: &TableFixture) {
    let stored = with(item("P#1", "A"), "name", "Ada");
    f.table.put(stored.clone(), None).await.unwrap();
    assert_eq!(
        f.table.get(&Key::new("P#1", "A")).await.unwrap(),
        Some(stored)
    );
}

async fn an_absent_item_reads_as_none(f: &TableFixture) {
    assert_eq!(f.table.get(&Key::new("P#none", "A")).await.unwrap(), None);
}

async fn many_items_read_at_once_across_batches_leaving_out_absent_and_expired(f: &TableFixture) {
    // 230 keys: more than two of DynamoDB's 100-key batches; every third item absent.
    let keys: Vec<Key> = (0..230).map(|n| Key::new(format!("M#{n}"), "A")).collect();
    let stored: Vec<Item> = (0..230)
        .filter(|n| n % 3 != 0)
        .map(|n| with(item(&format!("M#{n}"), "A"), "n", n as i64))
        .collect();
    f.table.put_many(stored.clone()).await.unwrap();
    let past = f.clock.now().unix_timestamp() - 1;
    f.table
        .put(with(item("M#expired", "A"), EXPIRES_AT, past), None)
        .await
        .unwrap();
    let mut asked = keys.clone();
    asked.push(Key::new("M#1", "A"));
    asked.push(Key::new("M#expired", "A"));
    let found = f.table.get_many(&asked).await.unwrap();
    assert_eq!(found.len(), stored.len());
    for item in &stored {
        assert_eq!(found.get(&Key::of(item).unwrap()), Some(item));
    }
    assert!(f.table.get_many(&[]).await.unwrap().is_empty());
}

async fn a_put_that_must_be_new_fails_on_an_existing_item_and_changes_nothing(f: &TableFixture) {
    let first = with(item("P#1", "A"), "name", "first");
    f.table
        .put(first.clone(), Some(Condition::Absent))
        .await
        .unwrap();
    let second = with(item("P#1", "A"), "name", "second");
    let error = f
        .table
        .put(second, Some(Condition::Absent))
        .await
        .unwrap_err();
    assert!(matches!(error, TableError::ConditionFailed), "{error:?}");
    assert_eq!(
        f.table.get(&Key::new("P#1", "A")).await.unwrap(),
        Some(first)
    );
}

async fn a_stale_version_fails_and_the_current_one_succeeds(f: &TableFixture) {
    f.table
        .put(with(item("P#1", "A"), "version", 1), None)
        .await
        .unwrap();
    let stale = Condition::Equals("version".into(), Value::N(0));
    let error = f
        .table
        .put(with(item("P#1", "A"), "version", 2), Some(stale))
        .await
        .unwrap_err();
    assert!(matches!(error, TableError::ConditionFailed));
    let current = Condition::Equals("version".into(), Value::N(1));
    f.table
        .put(with(item("P#1", "A"), "version", 2), Some(current))
        .await
        .unwrap();
    let read = f.table.get(&Key::new("P#1", "A")).await.unwrap().unwrap();
    assert_eq!(read["version"], Value::N(2));
}

async fn an_update_creates_counts_and_returns_the_new_item(f: &TableFixture) {
    let key = Key::new("P#1", "COUNTER");
    let first = f
        .table
        .update(
            &key,
            Update::default().add("calls", 3).set("label", "calls"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(first["calls"], Value::N(3));
    let second = f
        .table
        .update(
            &key,
            Update::default().add("calls", 4).remove("label"),
            Some(Condition::Exists),
        )
        .await
        .unwrap();
    assert_eq!(second["calls"], Value::N(7));
    assert!(!second.contains_key("label"));
    assert_eq!(f.table.get(&key).await.unwrap(), Some(second));
}

async fn an_update_of_an_absent_item_that_must_exist_fails(f: &TableFixture) {
    let key = Key::new("P#1", "MISSING");
    let error = f
        .table
        .update(
            &key,
            Update::default().set("x", "y"),
            Some(Condition::Exists),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, TableError::ConditionFailed));
    assert_eq!(f.table.get(&key).await.unwrap(), None);
}

async fn a_conditional_delete_deletes_only_when_the_condition_holds(f: &TableFixture) {
    f.table
        .put(with(item("P#1", "A"), "version", 5), None)
        .await
        .unwrap();
    let key = Key::new("P#1", "A");
    let wrong = Condition::Equals("version".into(), Value::N(4));
    assert!(matches!(
        f.table.delete(&key, Some(wrong)).await.unwrap_err(),
        TableError::ConditionFailed
    ));
    assert!(f.table.get(&key).await.unwrap().is_some());
    let right = Condition::Equals("version".into(), Value::N(5));
    f.table.delete(&key, Some(right)).await.unwrap();
    assert_eq!(f.table.get(&key).await.unwrap(), None);
}

async fn put_partition(f: &TableFixture, pk: &str, sks: &[&str]) {
    for sk in sks {
        f.table.put(item(pk, sk), None).await.unwrap();
    }
}

async fn a_query_reads_one_partition_in_sort_key_order_both_ways(f: &TableFixture) {
    put_partition(f, "P#1", &["B", "A", "C"]).await;
    put_partition(f, "P#2", &["A"]).await;
    put_partition(f, "P#10", &["A"]).await;
    let forward = f
        .table
        .query(Query::partition(Index::Primary, "P#1"))
        .await
        .unwrap();
    assert_eq!(sks(&forward.items), ["A", "B", "C"]);
    assert_eq!(forward.next, None);
    let backward = f
        .table
        .query(Query::partition(Index::Primary, "P#1").backward())
        .await
        .unwrap();
    assert_eq!(sks(&backward.items), ["C", "B", "A"]);
}

async fn sort_key_conditions_select_the_right_items(f: &TableFixture) {
    put_partition(
        f,
        "P#1",
        &[
            "ACCOUNT",
            "LOGIN#1",
            "LOGIN#2",
            "SERVICE#1",
            "USAGE#2026-01",
        ],
    )
    .await;
    let select = |sort: SortKey| Query::partition(Index::Primary, "P#1").sort(sort);
    let cases = [
        (
            SortKey::BeginsWith("LOGIN#".into()),
            vec!["LOGIN#1", "LOGIN#2"],
        ),
        (SortKey::Equals("ACCOUNT".into()), vec!["ACCOUNT"]),
        (
            SortKey::Between("LOGIN#2".into(), "SERVICE#1".into()),
            vec!["LOGIN#2", "SERVICE#1"],
        ),
        (
            SortKey::GreaterThan("SERVICE#1".into()),
            vec!["USAGE#2026-01"],
        ),
        (SortKey::LessThan("LOGIN#".into()), vec!["ACCOUNT"]),
    ];
    for (sort, expected) in cases {
        let page = f.table.query(select(sort.clone())).await.unwrap();
        assert_eq!(sks(&page.items), expected, "{sort:?}");
    }
}

async fn pages_cover_a_partition_exactly_once_in_either_direction(f: &TableFixture) {
    let all: Vec<String> = (0..23).map(|i| format!("ITEM#{i:03}")).collect();
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    put_partition(f, "P#1", &refs).await;
    for forward in [true, false] {
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let mut query = Query::partition(Index::Primary, "P#1")
                .limit(5)
                .after(after);
            if !forward {
                query = query.backward();
            }
            let page = f.table.query(query).await.unwrap();
            assert!(page.items.len() <= 5);
            seen.extend(sks(&page.items));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut expected = all.clone();
        if !forward {
            expected.reverse();
        }
        assert_eq!(seen, expected, "forward: {forward}");
    }
}

async fn an_index_query_pages_through_its_partition(f: &TableFixture) {
    for (i, name) in ["carol", "alice", "bob", "dave", "erin"].iter().enumerate() {
        let stored = with(
            with(
                item(&format!("ACCOUNT#{i}"), "ACCOUNT"),
                GSI1_PK,
                "T#1#BY_NAME",
            ),
            GSI1_SK,
            *name,
        );
        f.table.put(stored, None).await.unwrap();
    }
    let other = with(
        with(item("ACCOUNT#x", "ACCOUNT"), GSI1_PK, "T#2#BY_NAME"),
        GSI1_SK,
        "aaron",
    );
    f.table.put(other, None).await.unwrap();
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let page = f
            .table
            .query(
                Query::partition(Index::Gsi1, "T#1#BY_NAME")
                    .limit(2)
                    .after(after),
            )
            .await
            .unwrap();
        names.extend(
            page.items
                .iter()
                .map(|i| i[GSI1_SK].as_s().unwrap().to_owned()),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(names, ["alice", "bob", "carol", "dave", "erin"]);
    let prefixed = f
        .table
        .query(Query::partition(Index::Gsi1, "T#1#BY_NAME").sort(SortKey::BeginsWith("b".into())))
        .await
        .unwrap();
    assert_eq!(prefixed.items.len(), 1);
    assert_eq!(prefixed.items[0][PK], Value::from("ACCOUNT#2"));
}

async fn a_transaction_writes_all_or_nothing_and_names_the_failed_condition(f: &TableFixture) {
    f.table
        .put(with(item("P#1", "TAKEN"), "owner", "someone"), None)
        .await
        .unwrap();
    let attempt = vec![
        Write::Put {
            item: item("P#1", "NEW"),
            condition: Some(Condition::Absent),
        },
        Write::Update {
            key: Key::new("P#1", "COUNTER"),
            update: Update::default().add("n", 1),
            condition: None,
        },
        Write::Put {
            item: item("P#1", "TAKEN"),
            condition: Some(Condition::Absent),
        },
    ];
    let error = f.table.transact(attempt).await.unwrap_err();
    assert!(
        matches!(error, TableError::TransactionConditionFailed { index: 2 }),
        "{error:?}"
    );
    assert_eq!(f.table.get(&Key::new("P#1", "NEW")).await.unwrap(), None);
    assert_eq!(
        f.table.get(&Key::new("P#1", "COUNTER")).await.unwrap(),
        None
    );

    let success = vec![
        Write::Put {
            item: item("P#1", "NEW"),
            condition: Some(Condition::Absent),
        },
        Write::Check {
            key: Key::new("P#1", "TAKEN"),
            condition: Condition::Exists,
        },
    ];
    f.table.transact(success).await.unwrap();
    assert!(
        f.table
            .get(&Key::new("P#1", "NEW"))
            .await
            .unwrap()
            .is_some()
    );
}

async fn a_transaction_refuses_more_than_one_hundred_writes_or_a_key_twice(f: &TableFixture) {
    let too_many: Vec<Write> = (0..101)
        .map(|i| Write::Put {
            item: item("P#1", &format!("I#{i}")),
            condition: None,
        })
        .collect();
    assert!(matches!(
        f.table.transact(too_many).await.unwrap_err(),
        TableError::Invalid(_)
    ));
    let twice = vec![
        Write::Put {
            item: item("P#1", "A"),
            condition: None,
        },
        Write::Delete {
            key: Key::new("P#1", "A"),
            condition: None,
        },
    ];
    assert!(matches!(
        f.table.transact(twice).await.unwrap_err(),
        TableError::Invalid(_)
    ));
    let hundred: Vec<Write> = (0..100)
        .map(|i| Write::Put {
            item: item("P#1", &format!("I#{i:03}")),
            condition: None,
        })
        .collect();
    f.table.transact(hundred).await.unwrap();
    let page = f
        .table
        .query(Query::partition(Index::Primary, "P#1").limit(200))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 100);
}

async fn expired_items_are_never_read(f: &TableFixture) {
    let now = f.clock.now().unix_timestamp();
    f.table
        .put(with(item("P#1", "GONE"), EXPIRES_AT, now - 1), None)
        .await
        .unwrap();
    f.table
        .put(with(item("P#1", "LIVE"), EXPIRES_AT, now + 60), None)
        .await
        .unwrap();
    assert_eq!(f.table.get(&Key::new("P#1", "GONE")).await.unwrap(), None);
    let page = f
        .table
        .query(Query::partition(Index::Primary, "P#1"))
        .await
        .unwrap();
    assert_eq!(sks(&page.items), ["LIVE"]);
    f.clock.advance(time::Duration::seconds(61));
    assert_eq!(f.table.get(&Key::new("P#1", "LIVE")).await.unwrap(), None);
}

async fn many_puts_land_across_batches(f: &TableFixture) {
    let items: Vec<Item> = (0..60)
        .map(|i| with(item("P#bulk", &format!("R#{i:03}")), "n", i))
        .collect();
    if let Some(faults) = &f.faults {
        // DynamoDB may leave part of any batch unprocessed; the adapter must send it again.
        faults.leave_unprocessed(2);
    }
    f.table.put_many(items).await.unwrap();
    let page = f
        .table
        .query(Query::partition(Index::Primary, "P#bulk").limit(100))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 60);
    assert_eq!(page.items[59]["n"], Value::N(59));
    if let Some(faults) = &f.faults {
        assert!(faults.puts_left_unprocessed() > 0, "the fault was injected");
    }
}

async fn every_kind_of_value_round_trips(f: &TableFixture) {
    let nested = Value::M(
        [
            (
                "list".to_owned(),
                Value::L(vec![Value::N(-5), Value::from("x"), Value::Null]),
            ),
            ("flag".to_owned(), Value::Bool(false)),
        ]
        .into(),
    );
    let stored = [
        ("text", Value::from("héllo ✓")),
        ("number", Value::N(i64::MAX)),
        ("negative", Value::N(-42)),
        ("bytes", Value::B(vec![0, 1, 2, 255])),
        ("yes", Value::Bool(true)),
        ("nothing", Value::Null),
        ("nested", nested),
        ("tags", Value::Ss(["b".to_owned(), "a".to_owned()].into())),
    ]
    .into_iter()
    .fold(item("P#1", "KINDS"), |acc, (k, v)| with(acc, k, v));
    f.table.put(stored.clone(), None).await.unwrap();
    assert_eq!(
        f.table.get(&Key::new("P#1", "KINDS")).await.unwrap(),
        Some(stored)
    );
}

async fn the_stream_reports_inserts_modifies_and_removes_in_order_until_acknowledged(
    f: &TableFixture,
) {
    let key = Key::new("P#stream", "A");
    f.table
        .put(with(item("P#stream", "A"), "v", 1), None)
        .await
        .unwrap();
    f.table
        .update(&key, Update::default().set("v", 2), None)
        .await
        .unwrap();
    f.table.delete(&key, None).await.unwrap();
    let changes = f.feed.next_changes().await.unwrap();
    let ours: Vec<_> = changes.iter().filter(|c| c.key == key).collect();
    let kinds: Vec<ChangeKind> = ours.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [ChangeKind::Insert, ChangeKind::Modify, ChangeKind::Remove]
    );
    assert_eq!(ours[0].new.as_ref().unwrap()["v"], Value::N(1));
    assert_eq!(ours[1].old.as_ref().unwrap()["v"], Value::N(1));
    assert_eq!(ours[1].new.as_ref().unwrap()["v"], Value::N(2));
    assert_eq!(ours[2].old.as_ref().unwrap()["v"], Value::N(2));
    assert_eq!(ours[2].new, None);
    // Not acknowledged: delivered again.
    assert_eq!(f.feed.next_changes().await.unwrap().len(), changes.len());
    f.feed.acknowledge(changes.last().unwrap()).await.unwrap();
    assert!(f.feed.next_changes().await.unwrap().is_empty());
    f.table.put(item("P#stream", "B"), None).await.unwrap();
    let next = f.feed.next_changes().await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].key, Key::new("P#stream", "B"));
}

/// Faults moto never produces, injected on the wire (AWS adapter only).
mod aws_faults {
    use super::*;
    use crate::support;

    #[tokio::test]
    async fn a_throttled_write_is_retried_and_writes_once() {
        let f = support::table::aws().await;
        let faults = f.faults.clone().unwrap();
        faults.throttle_next(2);
        // Must be new: had a throttled attempt written anything, the retry would fail.
        f.table
            .put(item("P#1", "A"), Some(Condition::Absent))
            .await
            .unwrap();
        assert_eq!(faults.throttled(), 2);
        assert!(f.table.get(&Key::new("P#1", "A")).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn throttling_past_the_retries_is_an_outage_not_a_conflict() {
        let f = support::table::aws().await;
        let faults = f.faults.clone().unwrap();
        faults.throttle_next(50);
        let error = f.table.put(item("P#1", "A"), None).await.unwrap_err();
        assert!(matches!(error, TableError::Unavailable(_)), "{error:?}");
        faults.throttle_next(0);
        assert_eq!(f.table.get(&Key::new("P#1", "A")).await.unwrap(), None);
    }
}
