//! The store as a KQL catalog: every table in the manifest, read through [`StoreTable`], and
//! the store's watchlists for `_GetWatchlist`.

use crate::Store;
use crate::table::StoreTable;
use engine::catalog::Catalog;
use engine::datafusion::catalog::TableProvider;
use std::sync::Arc;

pub struct StoreCatalog {
    root: std::path::PathBuf,
    manifest: crate::Manifest,
    watchlists: crate::watchlist::Index,
}

impl StoreCatalog {
    pub fn new(store: &Store) -> Self {
        Self {
            root: store.root().to_path_buf(),
            manifest: store.manifest().clone(),
            watchlists: store.watchlists().clone(),
        }
    }
}

impl Catalog for StoreCatalog {
    fn table(&self, name: &str) -> Option<Arc<dyn TableProvider>> {
        let entry = self.manifest.tables.get(name)?;
        Some(Arc::new(StoreTable::new(&self.root, entry)))
    }

    fn table_names(&self) -> Vec<String> {
        self.manifest.tables.keys().cloned().collect()
    }

    fn watchlist(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, String> {
        self.watchlists
            .provider(&self.root, name)
            .map_err(|e| e.to_string())
    }

    fn watchlist_names(&self) -> Vec<String> {
        self.watchlists.names()
    }
}
