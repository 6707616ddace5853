//! The Log Analytics mapping of a Graph-shaped sign-in (a Graph `/auditLogs/signIns` record,
//! the `properties` of a diagnostic record, a portal CSV row rebuilt in Graph shape), compiled
//! into a [`Plan`] per record shape: which column each member goes to, decided once from the
//! keys, so that the records of an export (which all list the same keys in the same order)
//! are mapped by position, without looking column names up per value.
//!
//! A plan writes into a [`SlotRow`]: one slot per column the plan can set, a later setting of
//! a column replacing an earlier one. The fast path types slots straight into the table
//! buffer ([`crate::buffer::TableBuffer::push_slots`]); other callers turn them into a
//! [`RawRow`] ([`map_signin`]).

use super::graph_signin::{INTERACTIVE, NON_INTERACTIVE, SERVICE_PRINCIPAL};
use super::{Field, RawRow, Src, pascal_column};
use std::borrow::Cow;
use std::collections::HashMap;

/// What the mapping does with one member of the record.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// `createdDateTime`: `CreatedDateTime`, and `TimeGenerated` unless already set.
    Created,
    /// `location`: `LocationDetails`, and `Location` (its `countryOrRegion`) unless set.
    Location,
    /// `status`: `Status`, and `ResultType` / `ResultDescription` (its `errorCode` /
    /// `failureReason`) unless set.
    Status,
    /// The member's value goes to this slot as it is.
    Set(usize),
}

/// Slots of the columns the mapping derives or reads back.
#[derive(Debug)]
struct Fixed {
    time_generated: usize,
    created: usize,
    location: usize,
    location_details: usize,
    result_type: usize,
    result_description: usize,
    status: usize,
    user_display_name: usize,
    service_principal_name: usize,
    identity: usize,
    resource_tenant_id: usize,
    home_tenant_id: usize,
    aad_tenant_id: usize,
    tenant_id: usize,
    /// Constant columns set unless the record sets them, in order.
    constants: [(usize, &'static str); 8],
    duration_ms: usize,
    result_signature: usize,
    item_id: usize,
    type_: usize,
}

/// The mapping of records of one table with one list of keys.
#[derive(Debug)]
pub struct Plan {
    pub table: &'static str,
    keys: Vec<Box<str>>,
    steps: Vec<Step>,
    names: Vec<Cow<'static, str>>,
    by_name: HashMap<Cow<'static, str>, usize, ahash::RandomState>,
    fixed: Fixed,
    /// The table buffer's column of each slot, once known (a plan serves one table buffer:
    /// plans and buffers belong to one mapping thread).
    columns: Vec<Option<usize>>,
    /// Slots an envelope set, in its order (their columns come first, as in a row of named
    /// values that starts with the envelope).
    envelope: Vec<usize>,
}

impl Plan {
    /// The plan for records of `table` whose members have `keys`, in order.
    pub fn compile<'k>(table: &'static str, keys: impl IntoIterator<Item = &'k str>) -> Plan {
        let mut p = Plan {
            table,
            keys: Vec::new(),
            steps: Vec::new(),
            names: Vec::new(),
            by_name: HashMap::default(),
            fixed: Fixed {
                time_generated: 0,
                created: 0,
                location: 0,
                location_details: 0,
                result_type: 0,
                result_description: 0,
                status: 0,
                user_display_name: 0,
                service_principal_name: 0,
                identity: 0,
                resource_tenant_id: 0,
                home_tenant_id: 0,
                aad_tenant_id: 0,
                tenant_id: 0,
                constants: [(0, ""); 8],
                duration_ms: 0,
                result_signature: 0,
                item_id: 0,
                type_: 0,
            },
            columns: Vec::new(),
            envelope: Vec::new(),
        };
        // Slots in the order the mapping first sets them: the record's members, then what is
        // derived (columns a table's schema lacks are added to the table in this order).
        for key in keys {
            let step = match key {
                "createdDateTime" => {
                    p.slot("TimeGenerated");
                    p.slot("CreatedDateTime");
                    Step::Created
                }
                "location" => {
                    p.slot("Location");
                    p.slot("LocationDetails");
                    Step::Location
                }
                "status" => {
                    p.slot("ResultType");
                    p.slot("ResultDescription");
                    p.slot("Status");
                    Step::Status
                }
                "id" => Step::Set(p.slot("Id")),
                "resourceId" => Step::Set(p.slot("ResourceIdentity")),
                "appliedConditionalAccessPolicies" => {
                    Step::Set(p.slot("ConditionalAccessPolicies"))
                }
                "riskEventTypes_v2" => Step::Set(p.slot("RiskEventTypes_V2")),
                "processingTimeInMilliseconds" if table == NON_INTERACTIVE => {
                    Step::Set(p.slot("ProcessingTimeInMs"))
                }
                "managedServiceIdentity" => Step::Set(p.slot("ManagedServiceIdentity")),
                "autonomousSystemNumber" => Step::Set(p.slot("AutonomousSystemNumber")),
                other => Step::Set(p.slot(pascal_column(table, other))),
            };
            p.keys.push(key.into());
            p.steps.push(step);
        }
        p.fixed = Fixed {
            time_generated: p.slot("TimeGenerated"),
            created: p.slot("CreatedDateTime"),
            location: p.slot("Location"),
            location_details: p.slot("LocationDetails"),
            result_type: p.slot("ResultType"),
            result_description: p.slot("ResultDescription"),
            status: p.slot("Status"),
            user_display_name: p.slot("UserDisplayName"),
            service_principal_name: p.slot("ServicePrincipalName"),
            identity: p.slot("Identity"),
            resource_tenant_id: p.slot("ResourceTenantId"),
            home_tenant_id: p.slot("HomeTenantId"),
            aad_tenant_id: p.slot("AADTenantId"),
            tenant_id: p.slot("TenantId"),
            constants: [
                (p.slot("Category"), category(table)),
                (p.slot("OperationName"), "Sign-in activity"),
                (p.slot("OperationVersion"), "1.0"),
                (p.slot("SourceSystem"), "Azure AD"),
                (p.slot("Level"), "4"),
                (p.slot("Resource"), "Microsoft.aadiam"),
                (p.slot("ResourceProvider"), "Microsoft.aadiam"),
                (p.slot("ResourceGroup"), "Microsoft.aadiam"),
            ],
            duration_ms: p.slot("DurationMs"),
            result_signature: p.slot("ResultSignature"),
            item_id: p.slot("_ItemId"),
            type_: p.slot("Type"),
        };
        p
    }

    /// The slot of column `name`, added when the plan has none.
    pub fn slot(&mut self, name: impl Into<Cow<'static, str>>) -> usize {
        let name = name.into();
        if let Some(&s) = self.by_name.get(&name) {
            return s;
        }
        let s = self.names.len();
        self.names.push(name.clone());
        self.by_name.insert(name, s);
        self.columns.push(None);
        s
    }

    /// The slot of column `name`, if the plan has one.
    pub fn slot_of(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Slots a row of this plan has.
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// The column name of each slot.
    pub fn names(&self) -> &[Cow<'static, str>] {
        &self.names
    }

    /// The slots in the order their columns are added to a table: the envelope's, then the
    /// rest as the mapping first sets them.
    pub fn column_order(&self) -> Vec<usize> {
        let rest = (0..self.names.len()).filter(|s| !self.envelope.contains(s));
        self.envelope.iter().copied().chain(rest).collect()
    }

    /// The column names of the slots and the table buffer's column of each, where known.
    pub fn columns_mut(&mut self) -> (&[Cow<'static, str>], &mut [Option<usize>]) {
        (&self.names, &mut self.columns)
    }

    /// The `_ItemId` slot.
    pub fn item_id_slot(&self) -> usize {
        self.fixed.item_id
    }

    /// The `Type` slot.
    pub fn type_slot(&self) -> usize {
        self.fixed.type_
    }

    /// Whether the plan was compiled for records of `table` with these members' keys.
    pub fn fits<F>(&self, table: &str, members: &[(Cow<'_, str>, F)]) -> bool {
        (std::ptr::eq(self.table, table) || self.table == table)
            && self.keys.len() == members.len()
            && self
                .keys
                .iter()
                .zip(members)
                .all(|(k, (m, _))| same_key(k.as_bytes(), m.as_bytes()))
    }

    /// Maps a record whose members fit the plan into `row` (which may already hold envelope
    /// columns: a column the record sets again takes the record's value).
    pub fn run<'a, F: Field<'a>>(&self, members: &[(Cow<'a, str>, F)], row: &mut SlotRow<'a>) {
        let f = &self.fixed;
        for ((_, v), step) in members.iter().zip(&self.steps) {
            let v = *v;
            match *step {
                Step::Set(s) => row.set(s, v.src()),
                Step::Created => {
                    row.set_default(f.time_generated, v.src());
                    row.set(f.created, v.src());
                }
                Step::Location => {
                    if let Some(c) = v.get("countryOrRegion") {
                        row.set_default(f.location, c.src());
                    }
                    row.set(f.location_details, v.src());
                }
                Step::Status => {
                    if let Some(code) = v.get("errorCode") {
                        row.set_default(f.result_type, code.src());
                    }
                    if let Some(r) = v.get("failureReason") {
                        row.set_default(f.result_description, r.src());
                    }
                    row.set(f.status, v.src());
                }
            }
        }
        let identity = row
            .get(f.user_display_name)
            .or_else(|| row.get(f.service_principal_name))
            .cloned();
        if let Some(i) = identity {
            row.set_default(f.identity, i);
        }
        let tenant = row
            .get(f.resource_tenant_id)
            .or_else(|| row.get(f.home_tenant_id))
            .cloned();
        if let Some(t) = tenant {
            row.set_default(f.aad_tenant_id, t.clone());
            row.set_default(f.tenant_id, t);
        }
        for (slot, text) in f.constants {
            row.set_default(slot, Src::Text(Cow::Borrowed(text)));
        }
        row.set_default(f.duration_ms, Src::Json("0"));
        let ok = row.get(f.result_type).is_some_and(Src::is_zero);
        let signature = if ok { "SUCCESS" } else { "FAILURE" };
        row.set_default(f.result_signature, Src::Text(Cow::Borrowed(signature)));
    }

    /// A mapped row as a [`RawRow`] of `self.table`.
    pub fn to_raw<'a>(&self, row: SlotRow<'a>) -> RawRow<'a> {
        let mut out = RawRow::new(self.table);
        for (slot, v) in row.vals.into_iter().enumerate() {
            if let (Some(v), Some(name)) = (v, self.names.get(slot)) {
                out.set(name.clone(), v);
            }
        }
        out
    }
}

/// Key equality, inline: every record's keys are checked against its plan's, and keys are
/// short (a library call per key costs more than the comparison).
#[inline]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word = |s: &[u8], i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[i..i + 8]);
        u64::from_le_bytes(w)
    };
    if n < 8 {
        return a == b;
    }
    let mut i = 0;
    while i + 8 <= n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last word overlaps the ones compared.
    i == n || word(a, n - 8) == word(b, n - 8)
}

/// The diagnostic category of a sign-in table.
fn category(table: &str) -> &'static str {
    match table {
        INTERACTIVE => "SignInLogs",
        NON_INTERACTIVE => "NonInteractiveUserSignInLogs",
        SERVICE_PRINCIPAL => "ServicePrincipalSignInLogs",
        _ => "ManagedIdentitySignInLogs",
    }
}

/// A row being mapped: a value per slot of its plan.
#[derive(Debug, Default)]
pub struct SlotRow<'a> {
    vals: Vec<Option<Src<'a>>>,
}

impl<'a> SlotRow<'a> {
    /// An empty row in the allocation of `spare` (a row of an earlier record, whose values
    /// borrowed from another text).
    pub fn reuse(spare: SlotRow<'_>) -> SlotRow<'a> {
        SlotRow {
            vals: crate::reuse::emptied(spare.vals, || None),
        }
    }

    /// Empties the row to `width` unset slots.
    pub fn reset(&mut self, width: usize) {
        self.vals.clear();
        self.vals.resize_with(width, || None);
    }

    /// Sets a slot (a later setting wins).
    #[inline]
    pub fn set(&mut self, slot: usize, v: Src<'a>) {
        if slot >= self.vals.len() {
            self.vals.resize_with(slot + 1, || None);
        }
        self.vals[slot] = Some(v);
    }

    /// The slot's value unless absent or null.
    #[inline]
    pub fn get(&self, slot: usize) -> Option<&Src<'a>> {
        self.vals.get(slot)?.as_ref().filter(|v| !v.is_null())
    }

    /// Sets a slot unless it holds a non-null value.
    #[inline]
    pub fn set_default(&mut self, slot: usize, v: Src<'a>) {
        if self.get(slot).is_none() {
            self.set(slot, v);
        }
    }

    /// The values set, by slot.
    pub fn values(&self) -> impl Iterator<Item = (usize, &Src<'a>)> {
        self.vals
            .iter()
            .enumerate()
            .filter_map(|(s, v)| v.as_ref().map(|v| (s, v)))
    }
}

/// Plans compiled so far, per table and record shape (bounded: shapes come from the input).
#[derive(Debug, Default)]
pub struct Plans {
    plans: Vec<Plan>,
    /// The plan used last, per table (records of an export alternate between tables).
    last: Vec<(&'static str, usize)>,
}

/// Shapes remembered at once; beyond, the oldest are dropped.
const MAX_PLANS: usize = 64;
/// Records with more members than this are outsized (sign-ins have about forty).
const MAX_KEYS: usize = 1024;

impl Plans {
    /// The index of the plan for records of `table` with `members`' keys, compiled on first
    /// sight.
    pub fn find<F>(&mut self, table: &'static str, members: &[(Cow<'_, str>, F)]) -> usize {
        if let Some(&(_, i)) = self.last.iter().find(|(t, _)| *t == table)
            && self.plans.get(i).is_some_and(|p| p.fits(table, members))
        {
            return i;
        }
        let i = match self.plans.iter().position(|p| p.fits(table, members)) {
            Some(i) => i,
            None => {
                if self.plans.len() >= MAX_PLANS {
                    self.plans.remove(0);
                }
                if members.len() > MAX_KEYS {
                    // At most one plan for an outsized record is kept (keys come from the
                    // input: a record of a million members must not be remembered 64 times).
                    self.plans.retain(|p| p.keys.len() <= MAX_KEYS);
                }
                // Indices moved: the per-table memory starts over.
                self.last.clear();
                self.plans.push(Plan::compile(
                    table,
                    members.iter().map(|(k, _)| k.as_ref()),
                ));
                self.plans.len() - 1
            }
        };
        match self.last.iter_mut().find(|(t, _)| *t == table) {
            Some(l) => l.1 = i,
            None => self.last.push((table, i)),
        }
        i
    }

    /// Maps a sign-in of `table` into `row` by its plan (after the envelope's columns, if
    /// any), giving the plan's index.
    pub fn map<'a, F: Field<'a>>(
        &mut self,
        table: &'static str,
        members: &[(Cow<'a, str>, F)],
        envelope: Option<RawRow<'a>>,
        row: &mut SlotRow<'a>,
    ) -> usize {
        let i = self.find(table, members);
        if let Some(plan) = self.plans.get_mut(i) {
            row.reset(plan.width());
            if let Some(env) = envelope {
                apply_envelope(plan, env, row);
            }
            plan.run(members, row);
        }
        i
    }

    pub fn get(&self, i: usize) -> Option<&Plan> {
        self.plans.get(i)
    }

    pub fn get_mut(&mut self, i: usize) -> Option<&mut Plan> {
        self.plans.get_mut(i)
    }
}

/// Maps a Graph-shaped sign-in to a row of `table`. `envelope` holds diagnostic-record fields
/// already mapped; a column the sign-in sets again takes the sign-in's value. Plans are kept
/// per thread, so a file's rows share them.
pub fn map_signin<'a, F: Field<'a>>(
    table: &'static str,
    members: &[(Cow<'a, str>, F)],
    envelope: Option<RawRow<'a>>,
) -> RawRow<'a> {
    thread_local! {
        static PLANS: std::cell::RefCell<Plans> = std::cell::RefCell::new(Plans::default());
    }
    PLANS.with(|plans| {
        let mut plans = plans.borrow_mut();
        let mut row = SlotRow::default();
        let i = plans.map(table, members, envelope, &mut row);
        match plans.get(i) {
            Some(plan) => plan.to_raw(row),
            None => RawRow::new(table),
        }
    })
}

/// Envelope slots remembered per plan at most (envelopes have about twenty fields).
const MAX_ENVELOPE: usize = 256;

/// Puts a diagnostic envelope's columns into `row`, adding slots the plan lacks.
fn apply_envelope<'a>(plan: &mut Plan, env: RawRow<'a>, row: &mut SlotRow<'a>) {
    for (k, v) in env.cols {
        let slot = match plan.slot_of(&k) {
            Some(s) => s,
            None => plan.slot(Cow::Owned(k.into_owned())),
        };
        if !plan.envelope.contains(&slot) && plan.envelope.len() < MAX_ENVELOPE {
            plan.envelope.push(slot);
        }
        row.set(slot, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn members(v: &Value) -> Vec<(Cow<'_, str>, &Value)> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (Cow::Borrowed(k.as_str()), v))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn later_settings_win_and_defaults_keep_set_values() {
        let rec = json!({
            "createdDateTime": "2026-10-01T00:00:00Z",
            "timeGenerated": "2026-10-02T00:00:00Z",
            "status": {"errorCode": 0, "failureReason": "Other."},
            "resultType": "50126",
            "location": {"countryOrRegion": "NO"},
            "userDisplayName": null,
            "servicePrincipalName": "svc",
        });
        let m = members(&rec);
        let row = map_signin(INTERACTIVE, &m, None);
        let get = |k: &str| row.get(k).map(Src::to_value);
        assert_eq!(get("TimeGenerated"), Some(json!("2026-10-02T00:00:00Z")));
        assert_eq!(get("ResultType"), Some(json!("50126")));
        assert_eq!(get("ResultSignature"), Some(json!("FAILURE")));
        assert_eq!(get("Location"), Some(json!("NO")));
        assert_eq!(get("Identity"), Some(json!("svc")));
        assert_eq!(get("Category"), Some(json!("SignInLogs")));
    }

    #[test]
    fn envelope_values_stand_unless_the_record_sets_them() {
        let rec = json!({"createdDateTime": "2026-10-01T00:00:00Z", "category": "x"});
        let m = members(&rec);
        let mut env = RawRow::new(INTERACTIVE);
        env.set("TimeGenerated", Src::Text("2026-10-05T00:00:00Z".into()));
        env.set("Category", Src::Text("SignInLogs".into()));
        env.set("CallerIpAddress", Src::Text("10.0.0.1".into()));
        let row = map_signin(INTERACTIVE, &m, Some(env));
        let get = |k: &str| row.get(k).map(Src::to_value);
        assert_eq!(get("TimeGenerated"), Some(json!("2026-10-05T00:00:00Z")));
        assert_eq!(get("Category"), Some(json!("x")));
        assert_eq!(get("CallerIpAddress"), Some(json!("10.0.0.1")));
    }

    #[test]
    fn keys_compare_equal_only_when_equal() {
        let keys = [
            "",
            "a",
            "id",
            "userId",
            "ipAddress",
            "createdDateTime",
            "createdDateTimf",
            "xreatedDateTime",
            "autonomousSystemNumber",
            "autonomousSystemNumbex",
            "12345678",
            "12345679",
            "1234567",
            "123456789012345x",
            "123456789012345y",
        ];
        for a in keys {
            for b in keys {
                assert_eq!(same_key(a.as_bytes(), b.as_bytes()), a == b, "{a} {b}");
            }
        }
    }

    #[test]
    fn plans_are_found_by_table_and_keys() {
        let a = json!({"createdDateTime": "t", "id": "1"});
        let b = json!({"id": "1", "createdDateTime": "t"});
        let mut plans = Plans::default();
        let pa = plans.find(INTERACTIVE, &members(&a));
        let pb = plans.find(INTERACTIVE, &members(&b));
        let pc = plans.find(NON_INTERACTIVE, &members(&a));
        assert_ne!(pa, pb);
        assert_ne!(pa, pc);
        assert_eq!(plans.find(INTERACTIVE, &members(&a)), pa);
    }

    #[test]
    fn outsized_records_keep_one_plan_at_most() {
        let big = |tag: &str| {
            let o: serde_json::Map<String, Value> = (0..MAX_KEYS + 1)
                .map(|i| (format!("{tag}{i}"), json!(i)))
                .collect();
            Value::Object(o)
        };
        let mut plans = Plans::default();
        let (x, y) = (big("x"), big("y"));
        plans.find(INTERACTIVE, &members(&x));
        let i = plans.find(INTERACTIVE, &members(&y));
        assert_eq!(plans.plans.len(), 1);
        assert!(
            plans
                .get(i)
                .is_some_and(|p| p.fits(INTERACTIVE, &members(&y)))
        );
    }
}
