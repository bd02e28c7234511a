//! The ledger in the Worker: the `Ledger` Durable Object (SQLite-backed: the core's
//! [`Store`] over three tables) and the calls the Worker makes to its shards. Every decision
//! is the core's ([`crate::ledger`]); this module moves rows and calls.

use crate::ledger::call::{apply, expired, Call, Reply, Store};
use crate::ledger::claims::Row;
use crate::ledger::overview::{Query, ShardOverview};
use crate::ledger::tally::{Count, Sample};
use futures_util::future::{join_all, select, Either};
use serde::Deserialize;
use std::pin::pin;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{
    durable_object, Delay, DurableObject, Env, Method, Request, RequestInit, Response, Result,
    SqlStorage, SqlStorageValue, State,
};

/// The Durable Object namespace binding (wrangler.toml).
const LEDGER: &str = "LEDGER";
/// Longest wait for one shard: past it, delivery goes on without its answer.
const CALL_TIMEOUT_MS: u64 = 3_000;

/// Calls each shard (`(shard, call)`), all at once; each reply, or `None` when the shard could
/// not be reached in time (or there is no ledger binding).
pub(super) async fn call_all(env: &Env, calls: &[(u32, Call)]) -> Vec<Option<Reply>> {
    let Ok(namespace) = env.durable_object(LEDGER) else {
        return vec![None; calls.len()];
    };
    let namespace = &namespace;
    join_all(calls.iter().map(|(shard, call)| async move {
        let sending = async {
            let stub = namespace
                .id_from_name(&format!("shard-{shard}"))?
                .get_stub()?;
            let mut init = RequestInit::new();
            init.with_method(Method::Post)
                .with_body(Some(JsValue::from_str(&serde_json::to_string(call)?)));
            let request = Request::new_with_init("https://ledger.internal/call", &init)?;
            let mut response = stub.fetch_with_request(request).await?;
            let text = response.text().await?;
            Ok::<Reply, worker::Error>(serde_json::from_str(&text)?)
        };
        let deadline = Delay::from(Duration::from_millis(CALL_TIMEOUT_MS));
        match select(pin!(sending), pin!(deadline)).await {
            Either::Left((Ok(reply), _)) => Some(reply),
            _ => None,
        }
    }))
    .await
}

/// One shard of the ledger.
#[durable_object]
pub struct Ledger {
    state: State,
}

impl DurableObject for Ledger {
    fn new(state: State, _env: Env) -> Self {
        Ledger { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let call: Call = serde_json::from_str(&req.text().await?)?;
        let mut store = SqlStore::open(self.state.storage().sql())?;
        let reply = apply(&mut store, &call);
        if let Some(e) = store.error {
            return Response::error(format!("ledger: {e}"), 500);
        }
        Response::from_json(&reply)
    }
}

/// The core's [`Store`] over the shard's SQLite tables. Deliveries are a table keyed by their
/// key alone (`WITHOUT ROWID`: no second index to write) with one index, on the time that
/// expires them: a claim and a settlement write two rows each, what Cloudflare bills. A failed statement is kept in `error`
/// and the call answered 500, so that the caller goes on without this shard.
struct SqlStore {
    sql: SqlStorage,
    error: Option<String>,
    rows_written: u64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS deliveries (key TEXT PRIMARY KEY, state TEXT NOT NULL, until_ms INTEGER NOT NULL, mapping TEXT NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_until ON deliveries (until_ms);
CREATE TABLE IF NOT EXISTS counts (minute INTEGER NOT NULL, mapping TEXT NOT NULL, step TEXT NOT NULL, type TEXT NOT NULL, event TEXT NOT NULL, reason TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (minute, mapping, step, type, event, reason));
CREATE TABLE IF NOT EXISTS samples (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, mapping TEXT NOT NULL, step TEXT NOT NULL, reason TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS samples_by_reason ON samples (step, reason, mapping, at_ms);
";

fn text(s: &str) -> SqlStorageValue {
    SqlStorageValue::String(s.to_string())
}

fn int(n: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(n)
}

/// A step's or a state's name as the core writes it (serde's).
fn name_of(value: impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Deserialize)]
struct CountRow {
    minute: i64,
    mapping: String,
    step: String,
    #[serde(rename = "type")]
    kind: String,
    event: String,
    reason: String,
    n: i64,
}

#[derive(Deserialize)]
struct SampleRow {
    at_ms: i64,
    mapping: String,
    step: String,
    reason: String,
    text: String,
}

#[derive(Deserialize)]
struct Total {
    n: i64,
}

impl SqlStore {
    fn open(sql: SqlStorage) -> Result<SqlStore> {
        sql.exec(SCHEMA, None)?;
        Ok(SqlStore {
            sql,
            error: None,
            rows_written: 0,
        })
    }

    fn run(&mut self, query: &str, values: Vec<SqlStorageValue>) -> Option<worker::SqlCursor> {
        match self.sql.exec(query, values) {
            Ok(cursor) => {
                self.rows_written += cursor.rows_written() as u64;
                Some(cursor)
            }
            Err(e) => {
                self.error.get_or_insert_with(|| e.to_string());
                None
            }
        }
    }

    fn rows<T: serde::de::DeserializeOwned>(
        &mut self,
        query: &str,
        values: Vec<SqlStorageValue>,
    ) -> Vec<T> {
        let Some(cursor) = self.run(query, values) else {
            return Vec::new();
        };
        match cursor.to_array() {
            Ok(rows) => rows,
            Err(e) => {
                self.error.get_or_insert_with(|| e.to_string());
                Vec::new()
            }
        }
    }
}

impl Store for SqlStore {
    fn rows_written(&self) -> u64 {
        self.rows_written
    }

    fn delivery(&mut self, key: &str) -> Option<Row> {
        self.rows::<Row>(
            "SELECT state, until_ms, mapping FROM deliveries WHERE key = ?",
            vec![text(key)],
        )
        .pop()
    }

    fn set_delivery(&mut self, key: &str, row: Option<&Row>) {
        match row {
            Some(row) => self.run(
                // An upsert changes the row in place (a REPLACE deletes and inserts: twice
                // the rows written).
                "INSERT INTO deliveries (key, state, until_ms, mapping) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (key) DO UPDATE SET state = excluded.state, until_ms = excluded.until_ms, mapping = excluded.mapping",
                vec![text(key), text(&name_of(row.state)), int(row.until_ms), text(&row.mapping)],
            ),
            None => self.run("DELETE FROM deliveries WHERE key = ?", vec![text(key)]),
        };
    }

    fn add_count(&mut self, c: &Count) {
        self.run(
            "INSERT INTO counts (minute, mapping, step, type, event, reason, n) VALUES (?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (minute, mapping, step, type, event, reason) DO UPDATE SET n = n + excluded.n",
            vec![
                int(c.minute),
                text(&c.mapping),
                text(c.step.name()),
                text(&c.kind),
                text(&c.event),
                text(&c.reason),
                int(i64::try_from(c.n).unwrap_or(i64::MAX)),
            ],
        );
    }

    fn add_sample(&mut self, s: &Sample, keep: usize) {
        self.run(
            "INSERT INTO samples (at_ms, mapping, step, reason, text) VALUES (?, ?, ?, ?, ?)",
            vec![
                int(s.at_ms),
                text(&s.mapping),
                text(s.step.name()),
                text(&s.reason),
                text(&s.text),
            ],
        );
        self.run(
            "DELETE FROM samples WHERE step = ? AND reason = ? AND mapping = ? AND id NOT IN \
             (SELECT id FROM samples WHERE step = ? AND reason = ? AND mapping = ? ORDER BY at_ms DESC, id DESC LIMIT ?)",
            vec![
                text(s.step.name()),
                text(&s.reason),
                text(&s.mapping),
                text(s.step.name()),
                text(&s.reason),
                text(&s.mapping),
                int(keep as i64),
            ],
        );
    }

    fn expire(&mut self, now_ms: i64, counts_before_ms: i64) {
        // The core decides what has expired; the queries find candidates by time.
        let due: Vec<(String, Row)> = self
            .rows::<KeyedRow>(
                "SELECT key, state, until_ms, mapping FROM deliveries WHERE until_ms <= ? LIMIT 500",
                vec![int(now_ms)],
            )
            .into_iter()
            .map(|r| (r.key, Row { state: r.state, until_ms: r.until_ms, mapping: r.mapping }))
            .collect();
        for (key, row) in due {
            if expired(&row, now_ms) {
                self.set_delivery(&key, None);
            }
        }
        self.run(
            "DELETE FROM counts WHERE minute < ?",
            vec![int(counts_before_ms.div_euclid(60_000))],
        );
        self.run(
            "DELETE FROM samples WHERE at_ms < ?",
            vec![int(counts_before_ms)],
        );
    }

    fn overview(&mut self, query: &Query, now_ms: i64) -> ShardOverview {
        // Per minute up to a day, per hour beyond: the rows read stay few over 14 days.
        let bucket = query.bucket_minutes();
        let mapping = query.mapping.clone().unwrap_or_default();
        let any = i64::from(query.mapping.is_none());
        let counts: Vec<Count> = self
            .rows::<CountRow>(
                "SELECT (minute / ?) * ? AS minute, mapping, step, type, event, reason, SUM(n) AS n FROM counts \
                 WHERE minute BETWEEN ? AND ? AND (mapping = '' OR ? = 1 OR mapping = ?) \
                 GROUP BY 1, mapping, step, type, event, reason",
                vec![int(bucket), int(bucket), int(query.from_minute), int(query.to_minute), int(any), text(&mapping)],
            )
            .into_iter()
            .filter_map(|r| {
                Some(Count {
                    minute: r.minute,
                    mapping: r.mapping,
                    step: serde_json::from_value(serde_json::Value::String(r.step)).ok()?,
                    kind: r.kind,
                    event: r.event,
                    reason: r.reason,
                    n: u64::try_from(r.n).unwrap_or(0),
                })
            })
            .collect();
        let samples: Vec<Sample> = self
            .rows::<SampleRow>(
                "SELECT at_ms, mapping, step, reason, text FROM samples WHERE at_ms BETWEEN ? AND ?",
                vec![int(query.from_minute * 60_000), int(query.to_minute * 60_000 + 59_999)],
            )
            .into_iter()
            .filter_map(|r| {
                Some(Sample {
                    at_ms: r.at_ms,
                    mapping: r.mapping,
                    step: serde_json::from_value(serde_json::Value::String(r.step)).ok()?,
                    reason: r.reason,
                    text: r.text,
                })
            })
            .collect();
        let pending = self
            .rows::<Total>(
                "SELECT COUNT(*) AS n FROM deliveries WHERE state = 'retrying' AND (? = 1 OR mapping = ?)",
                vec![int(any), text(&mapping)],
            )
            .first()
            .map_or(0, |t| u64::try_from(t.n).unwrap_or(0));
        // Every mapping this shard counted, for the page's selector.
        let mappings: Vec<String> = self
            .rows::<MappingRow>(
                "SELECT DISTINCT mapping FROM counts WHERE mapping != ''",
                Vec::new(),
            )
            .into_iter()
            .map(|r| r.mapping)
            .collect();
        let mut part = ShardOverview::from_rows(query, &counts, &samples, pending, now_ms);
        for m in mappings {
            if !part.mappings.contains(&m) {
                part.mappings.push(m);
            }
        }
        part
    }
}

#[derive(Deserialize)]
struct KeyedRow {
    key: String,
    state: crate::ledger::claims::State,
    until_ms: i64,
    mapping: String,
}

#[derive(Deserialize)]
struct MappingRow {
    mapping: String,
}
