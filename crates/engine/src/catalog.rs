//! The catalog the planner resolves table names through. Tables are DataFusion
//! `TableProvider`s; each column's KQL type comes from its field metadata (`kql.type`) or, for
//! plain Arrow data such as external Parquet, from the natural reading of its Arrow type.
//!
//! Watchlists (Sentinel's `_GetWatchlist('name')`) resolve through the catalog too: a catalog
//! that holds them returns each as a table whose rows are the watchlist's items, with the
//! columns Sentinel's function gives (`_DTItemId`, `LastUpdatedTimeUTC`, `SearchKey`,
//! `WatchlistName`, `WatchlistItemId`, then the watchlist's own columns).

use datafusion::catalog::TableProvider;
use std::collections::BTreeMap;
use std::sync::Arc;

pub trait Catalog: Send + Sync {
    /// The table called `name` (case-sensitive, as in Kusto).
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>>;
    /// Every table name, for wildcards in `union` and for `search`.
    fn table_names(&self) -> Vec<String>;
    /// The watchlist called `name` (as `_GetWatchlist('name')` reads it): `Ok(None)` when the
    /// catalog has no such watchlist, `Err` when it has one that cannot be read.
    fn watchlist(&self, _name: &str) -> Result<Option<Arc<dyn TableProvider>>, String> {
        Ok(None)
    }
    /// Every watchlist name, for the error that names an unknown one.
    fn watchlist_names(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A catalog of registered providers (files given with `--table`, in-memory tables in tests).
#[derive(Default, Clone)]
pub struct MemoryCatalog {
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
    watchlists: BTreeMap<String, Arc<dyn TableProvider>>,
}

impl MemoryCatalog {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn register(&mut self, name: impl Into<String>, table: Arc<dyn TableProvider>) {
        self.tables.insert(name.into(), table);
    }
    /// Registers a watchlist; `table` must already have Sentinel's watchlist columns.
    pub fn register_watchlist(&mut self, name: impl Into<String>, table: Arc<dyn TableProvider>) {
        self.watchlists.insert(name.into(), table);
    }
}

impl Catalog for MemoryCatalog {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.tables.get(name).cloned()
    }
    fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }
    fn watchlist(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, String> {
        Ok(self.watchlists.get(name).cloned())
    }
    fn watchlist_names(&self) -> Vec<String> {
        self.watchlists.keys().cloned().collect()
    }
}

/// Several catalogs searched in order (e.g. a store, then files named on the command line).
pub struct ChainCatalog(pub Vec<Arc<dyn Catalog>>);

impl Catalog for ChainCatalog {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        self.0.iter().find_map(|c| c.table(name))
    }
    fn table_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.iter().flat_map(|c| c.table_names()).collect();
        v.sort();
        v.dedup();
        v
    }
    fn watchlist(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, String> {
        for c in &self.0 {
            if let Some(w) = c.watchlist(name)? {
                return Ok(Some(w));
            }
        }
        Ok(None)
    }
    fn watchlist_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.0.iter().flat_map(|c| c.watchlist_names()).collect();
        v.sort();
        v.dedup();
        v
    }
}
