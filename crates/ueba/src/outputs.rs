//! Writing IdentityInfo (ingested rows kept as they are, plus one derived row per user seen in
//! the sign-ins without one) and UserPeerAnalytics. Both are replaced whole every run.

use crate::identity::{DERIVED_SOURCE, Identities};
use crate::peers::{Peer, TABLE as PEERS};
use crate::read::{Reader, str_col};
use crate::state::State;
use engine::datafusion::arrow::array::{
    ArrayRef, Int32Array, Int64Array, RecordBatch, StringBuilder, new_null_array,
};
use engine::datafusion::arrow::datatypes::Schema;
use engine::value::datetime::format_iso;
use ingest::buffer::TableBuffer;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use store::{ColumnDef, Transaction};

const IDENTITY: &str = "IdentityInfo";

fn schema_columns(table: &str) -> Vec<ColumnDef> {
    ingest::schemas::known(table)
        .map(|s| {
            s.columns
                .iter()
                .map(|(n, t)| ColumnDef::new(n, *t))
                .collect()
        })
        .unwrap_or_default()
}

fn id_of(table: &str, key: &str) -> (String, u64) {
    let id = ingest::itemid::item_id(table, ingest::itemid::base_hash(key.as_bytes()), 0);
    let h = ingest::itemid::id_hash(&id);
    (id, h)
}

/// Rewrites IdentityInfo: the ingested rows unchanged, then the derived rows. Returns the
/// number of derived rows.
pub fn write_identity(
    reader: &Reader,
    exists: bool,
    txn: &mut Transaction,
    state: &State,
    ids: &Identities,
) -> Result<u64, String> {
    let mut cols: Vec<ColumnDef> = Vec::new();
    txn.replace_table(IDENTITY).map_err(|e| e.to_string())?;
    if exists {
        let res = reader.query(&format!(
            "IdentityInfo | where SourceSystem != \"{DERIVED_SOURCE}\""
        ))?;
        cols = res
            .columns
            .iter()
            .map(|(n, t)| ColumnDef::new(n, *t))
            .collect();
        let fields: Vec<_> = res.columns.iter().map(|(n, t)| t.field(n)).collect();
        let schema = Arc::new(Schema::new(fields));
        for b in &res.batches {
            if b.num_rows() == 0 {
                continue;
            }
            let batch = RecordBatch::try_new(schema.clone(), b.columns().to_vec())
                .map_err(|e| format!("re-reading IdentityInfo: {e}"))?;
            let hashes: Vec<u64> = match b.schema().index_of("_ItemId") {
                Ok(_) => {
                    let c = str_col(b, "_ItemId")?;
                    (0..b.num_rows())
                        .map(|i| ingest::itemid::id_hash(c.get(i)))
                        .collect()
                }
                Err(_) => (0..b.num_rows() as u64).collect(),
            };
            txn.write(IDENTITY, &cols, &batch, &hashes)
                .map_err(|e| e.to_string())?;
        }
    }
    for c in schema_columns(IDENTITY) {
        if !cols.iter().any(|x| x.name == c.name) {
            cols.push(c);
        }
    }
    if !cols.iter().any(|c| c.name == "_ItemId") {
        cols.push(ColumnDef::new("_ItemId", engine::KqlType::String));
    }
    let mut buf = TableBuffer::new(IDENTITY, cols);
    let mut n = 0u64;
    let mut users: Vec<&crate::state::UserState> = state.users.iter().collect();
    users.sort_by(|a, b| a.key.cmp(&b.key));
    for u in users {
        if ids.ingested.contains(&u.key) || u.last_seen == 0 {
            continue;
        }
        let upn = if u.upn.is_empty() { &u.key } else { &u.upn };
        let (name, domain) = upn.rsplit_once('@').unwrap_or((upn.as_str(), ""));
        let (item, hash) = id_of(IDENTITY, &u.key);
        let mut row = Map::new();
        row.insert("TimeGenerated".into(), json!(format_iso(u.last_seen)));
        row.insert("AccountUPN".into(), json!(upn));
        row.insert("AccountObjectId".into(), json!(u.object_id));
        row.insert("AccountDisplayName".into(), json!(u.display));
        row.insert("AccountName".into(), json!(name));
        row.insert("AccountDomain".into(), json!(domain));
        row.insert("LastSeenDate".into(), json!(format_iso(u.last_seen)));
        if let Some(c) = ids.created(&u.key, &u.object_id) {
            row.insert("AccountCreationTime".into(), json!(format_iso(c)));
        }
        row.insert("SourceSystem".into(), json!(DERIVED_SOURCE));
        row.insert("Type".into(), json!(IDENTITY));
        row.insert("_ItemId".into(), Value::String(item));
        buf.push(&row, hash)?;
        n += 1;
    }
    if buf.rows() > 0 {
        let (cols, batch, hashes) = buf.take()?;
        txn.write(IDENTITY, &cols, &batch, &hashes)
            .map_err(|e| e.to_string())?;
    }
    Ok(n)
}

static NOBODY: [String; 3] = [String::new(), String::new(), String::new()];

fn who_of(who: &[[String; 3]], u: u32) -> &[String; 3] {
    who.get(u as usize).unwrap_or(&NOBODY)
}

fn text_col<'w>(chunk: &[Peer], f: &dyn Fn(&Peer) -> &'w str) -> ArrayRef {
    let mut b = StringBuilder::new();
    for p in chunk {
        b.append_value(f(p));
    }
    Arc::new(b.finish())
}

/// Replaces UserPeerAnalytics with `peers`. Returns the row count.
pub fn write_peers(
    txn: &mut Transaction,
    state: &State,
    ids: &Identities,
    peers: &[Peer],
    now: i64,
) -> Result<u64, String> {
    txn.replace_table(PEERS).map_err(|e| e.to_string())?;
    let mut cols = schema_columns(PEERS);
    cols.push(ColumnDef::new("_ItemId", engine::KqlType::String));
    // (object id, display name, UPN) per user, as IdentityInfo or the sign-ins give them.
    let who: Vec<[String; 3]> = state
        .users
        .iter()
        .map(|s| {
            let dir = ids.lookup(&s.key);
            let pick =
                |a: Option<&str>, b: &str| a.filter(|x| !x.is_empty()).unwrap_or(b).to_string();
            [
                pick(dir.map(|d| d.object_id.as_str()), &s.object_id),
                pick(dir.map(|d| d.display.as_str()), &s.display),
                pick(
                    dir.map(|d| d.upn.as_str()),
                    if s.upn.is_empty() { &s.key } else { &s.upn },
                ),
            ]
        })
        .collect();
    let lower: Vec<String> = who.iter().map(|w| w[2].to_lowercase()).collect();
    let get = |u: u32| who_of(&who, u);
    let mut written = 0u64;
    for chunk in peers.chunks(256 * 1024) {
        let n = chunk.len();
        let mut hashes = Vec::with_capacity(n);
        let mut item_ids = StringBuilder::new();
        let mut key = String::new();
        for p in chunk {
            key.clear();
            key.push_str(lower.get(p.user as usize).map_or("", String::as_str));
            key.push('\u{0}');
            key.push_str(lower.get(p.peer as usize).map_or("", String::as_str));
            let (item, hash) = id_of(PEERS, &key);
            item_ids.append_value(&item);
            hashes.push(hash);
        }
        let mut item_ids = Some(item_ids);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
        for c in &cols {
            let a: ArrayRef = match c.name.as_str() {
                "TimeGenerated" => Arc::new(Int64Array::from_value(now, n)),
                "Rank" => Arc::new(Int32Array::from_iter_values(chunk.iter().map(|p| p.rank))),
                "UserId" => text_col(chunk, &|p| &get(p.user)[0]),
                "UserName" => text_col(chunk, &|p| &get(p.user)[1]),
                "UserPrincipalName" => text_col(chunk, &|p| &get(p.user)[2]),
                "PeerUserId" => text_col(chunk, &|p| &get(p.peer)[0]),
                "PeerUserName" => text_col(chunk, &|p| &get(p.peer)[1]),
                "PeerUserPrincipalName" => text_col(chunk, &|p| &get(p.peer)[2]),
                "Type" => text_col(chunk, &|_| PEERS),
                "_ItemId" => match item_ids.take() {
                    Some(mut b) => Arc::new(b.finish()),
                    None => new_null_array(&c.ty().arrow(), n),
                },
                _ => new_null_array(&c.ty().arrow(), n),
            };
            arrays.push(a);
        }
        let fields: Vec<_> = cols.iter().map(|c| c.ty().field(&c.name)).collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| format!("building UserPeerAnalytics rows: {e}"))?;
        txn.write(PEERS, &cols, &batch, &hashes)
            .map_err(|e| e.to_string())?;
        written += n as u64;
    }
    Ok(written)
}
