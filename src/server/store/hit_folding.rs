//! Folding a message's tracking hits: past a bound, hits are counted by kind and
//! classification in `tracking_counts` instead of kept as rows, so a flood on one token (a
//! privacy proxy, a link scanner, someone reloading) costs a bounded number of rows.
//!
//! `fold_old_hits` folds what the table holds after a batch. A flood's batch is mostly hits
//! that fold would delete the moment they are written: [`folded_in_batch`] finds those before
//! they are written, and [`count_folded`] counts them straight away (on the tracking pixel
//! benchmark, inserting and then deleting them took the writer's thread about a third of
//! the server's CPU).
use super::db::{on_conn, Conn};
use super::script::placeholders;
use super::tracking::StoredHit;
use crate::model::ids::MessageId;
use crate::model::tracking::{Classification, HitKind};
use std::collections::HashMap;

/// Hits kept as rows per message: the newest ones, for the record …
const KEEP_NEWEST: i64 = 100;
/// … and the earliest of each kind and classification, which receipts are recomputed from.
const KEEP_EARLIEST: i64 = 5;

/// The hits of `message` that are neither among its newest nor among the earliest of their kind
/// and classification: counted into `tracking_counts`, then deleted. Bounds the rows a message
/// can have at `KEEP_NEWEST` + 6 × `KEEP_EARLIEST`, however many hits its tokens get.
pub(super) async fn fold_old_hits(mut tx: Conn<'_>, message: MessageId) -> Result<(), sqlx::Error> {
    const FOLDED: &str = "WITH ranked AS ( \
           SELECT id, kind, classification, \
             ROW_NUMBER() OVER (ORDER BY at DESC, id DESC) AS newest, \
             ROW_NUMBER() OVER (PARTITION BY kind, classification ORDER BY at, id) AS earliest \
           FROM tracking_events WHERE message_id = ?1) \
         SELECT id, kind, classification FROM ranked WHERE newest > ?2 AND earliest > ?3";
    let (count,): (i64,) = on_conn!(tx, |c, sql| sqlx::query_as(sql(
        "SELECT COUNT(*) FROM tracking_events WHERE message_id = ?"
    ))
    .bind(message)
    .fetch_one(c)
    .await)?;
    if count <= KEEP_NEWEST {
        return Ok(());
    }
    on_conn!(tx, |c, sql| {
        sqlx::query(sql(&format!(
        "INSERT INTO tracking_counts (message_id, kind, classification, hits) \
         SELECT ?1, kind, classification, COUNT(*) FROM ({FOLDED}) AS folded WHERE true \
         GROUP BY kind, classification \
         ON CONFLICT (message_id, kind, classification) DO UPDATE SET hits = tracking_counts.hits + excluded.hits"
    )))
    .bind(message)
    .bind(KEEP_NEWEST)
    .bind(KEEP_EARLIEST)
    .execute(c)
    .await
    .map(super::db::Done::from)
    })?;
    on_conn!(tx, |c, sql| sqlx::query(sql(&format!(
        "DELETE FROM tracking_events WHERE id IN (SELECT id FROM ({FOLDED}) AS folded)"
    )))
    .bind(message)
    .bind(KEEP_NEWEST)
    .bind(KEEP_EARLIEST)
    .execute(c)
    .await
    .map(super::db::Done::from))?;
    Ok(())
}

/// Which of a batch's hits `fold_old_hits` would count and delete right after the batch is
/// written, whatever the table already holds: opens with at least `KEEP_NEWEST` hits of their
/// message newer than them in the batch and at least `KEEP_EARLIEST` hits of their message,
/// kind and classification earlier. Rows the table already has only add to both. Hits rank as
/// the fold ranks rows: by time, then by the order they are written in (the batch's order).
/// Clicks are always written: a scanner's burst found later may still reclassify them.
pub(super) fn folded_in_batch(hits: &[StoredHit]) -> Vec<bool> {
    let mut folded = vec![false; hits.len()];
    let mut by_message: HashMap<MessageId, Vec<usize>> = HashMap::new();
    for (i, hit) in hits.iter().enumerate() {
        by_message.entry(hit.message_id).or_default().push(i);
    }
    let keep_newest = KEEP_NEWEST as usize;
    for positions in by_message.values_mut() {
        if positions.len() <= keep_newest {
            continue;
        }
        positions.sort_by_key(|&i| (hits[i].at, i));
        // Everything from here on is among the message's newest.
        let newest_from = positions.len() - keep_newest;
        let mut earlier: HashMap<(HitKind, Classification), i64> = HashMap::new();
        for (rank, &i) in positions.iter().enumerate() {
            let hit = &hits[i];
            let seen = earlier.entry((hit.kind, hit.classification)).or_insert(0);
            folded[i] = hit.kind == HitKind::Open && rank < newest_from && *seen >= KEEP_EARLIEST;
            *seen += 1;
        }
    }
    folded
}

/// Adds the `folded` hits of `hits` to `tracking_counts`, as `fold_old_hits` would have after
/// writing them: one upsert row per message, kind and classification.
pub(super) async fn count_folded(
    mut tx: Conn<'_>,
    hits: &[StoredHit],
    folded: &[bool],
) -> Result<(), sqlx::Error> {
    let mut counts: HashMap<(MessageId, HitKind, Classification), i64> = HashMap::new();
    for (hit, _) in hits.iter().zip(folded).filter(|(_, f)| **f) {
        *counts
            .entry((hit.message_id, hit.kind, hit.classification))
            .or_insert(0) += 1;
    }
    if counts.is_empty() {
        return Ok(());
    }
    let counts: Vec<_> = counts.into_iter().collect();
    // Four values a row: far under either backend's limit for the few keys a batch has.
    for chunk in counts.chunks(200) {
        let rows = vec![placeholders(4); chunk.len()].join(", ");
        let sql = format!(
            "INSERT INTO tracking_counts (message_id, kind, classification, hits) VALUES {rows} \
             ON CONFLICT (message_id, kind, classification) \
             DO UPDATE SET hits = tracking_counts.hits + excluded.hits"
        );
        on_conn!(tx, |c, fit| {
            let mut query = sqlx::query(fit(&sql));
            for ((message, kind, classification), n) in chunk {
                query = query
                    .bind(*message)
                    .bind(kind.as_str())
                    .bind(classification.as_str())
                    .bind(*n);
            }
            query.execute(c).await.map(super::db::Done::from)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ids::WorkspaceId;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    fn hit(
        message: MessageId,
        kind: HitKind,
        class: Classification,
        at: DateTime<Utc>,
    ) -> StoredHit {
        StoredHit {
            message_id: message,
            workspace_id: WorkspaceId::new_random(),
            kind,
            link_id: None,
            classification: class,
            method: "GET",
            ip_prefix: None,
            user_agent: String::new(),
            at,
        }
    }

    fn second(n: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::seconds(n)
    }

    fn opens(message: MessageId, n: i64) -> Vec<StoredHit> {
        (0..n)
            .map(|i| hit(message, HitKind::Open, Classification::Human, second(i)))
            .collect()
    }

    #[test]
    fn a_batch_within_the_bound_is_written_whole() {
        let batch = opens(MessageId::new_random(), KEEP_NEWEST);
        assert!(folded_in_batch(&batch).iter().all(|f| !f));
    }

    #[test]
    fn a_flood_keeps_only_its_newest_and_its_earliest() {
        let batch = opens(MessageId::new_random(), 400);
        let folded = folded_in_batch(&batch);
        // Written: the earliest 5 and the newest 100; everything between is counted.
        let kept: Vec<usize> = (0..400).filter(|&i| !folded[i]).collect();
        let expected: Vec<usize> = (0..5).chain(300..400).collect();
        assert_eq!(kept, expected);
    }

    #[test]
    fn clicks_other_classifications_and_other_messages_keep_their_own_rows() {
        let flooded = MessageId::new_random();
        let quiet = MessageId::new_random();
        let mut batch = opens(flooded, 300);
        // Later in the batch but earlier in time: ranked by time.
        for i in 0..7 {
            batch.push(hit(
                flooded,
                HitKind::Open,
                Classification::ProxyPrefetch,
                second(-10 + i),
            ));
        }
        for i in 0..20 {
            batch.push(hit(
                flooded,
                HitKind::Click,
                Classification::Human,
                second(i),
            ));
        }
        batch.extend(opens(quiet, 3));
        let folded = folded_in_batch(&batch);
        let folded_of = |range: std::ops::Range<usize>| range.filter(|&i| folded[i]).count();
        // 327 hits of the flooded message: the newest 100 are human opens 227..300.
        assert_eq!(folded_of(0..300), 300 - 5 - 100);
        assert_eq!(
            folded_of(300..307),
            7 - 5,
            "proxy opens keep their earliest 5"
        );
        assert_eq!(folded_of(307..327), 0, "clicks are always written");
        assert_eq!(folded_of(327..330), 0, "another message is not flooded");
    }

    #[test]
    fn hits_at_the_same_moment_rank_in_the_order_they_are_written() {
        let message = MessageId::new_random();
        let batch: Vec<StoredHit> = (0..200)
            .map(|_| hit(message, HitKind::Open, Classification::Human, second(0)))
            .collect();
        let folded = folded_in_batch(&batch);
        let kept: Vec<usize> = (0..200).filter(|&i| !folded[i]).collect();
        let expected: Vec<usize> = (0..5).chain(100..200).collect();
        assert_eq!(kept, expected);
    }
}
