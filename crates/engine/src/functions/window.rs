//! Window family: functions over serialized (ordered) rows. Planned by `plan::windows`.

pub const WINDOW_FUNCTIONS: &[&str] = &[
    "row_number",
    "prev",
    "next",
    "row_cumsum",
    "row_rank_dense",
    "row_rank_min",
];

pub fn is_window(name: &str) -> bool {
    WINDOW_FUNCTIONS.contains(&name)
}
