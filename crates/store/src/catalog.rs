//! The store as a KQL catalog: every table in the manifest, read through [`StoreTable`].

use crate::Store;
use crate::table::StoreTable;
use engine::catalog::Catalog;
use engine::datafusion::catalog::TableProvider;
use std::sync::Arc;

pub struct StoreCatalog {
    root: std::path::PathBuf,
    manifest: crate::Manifest,
}

impl StoreCatalog {
    pub fn new(store: &Store) -> Self {
        Self {
            root: store.root().to_path_buf(),
            manifest: store.manifest().clone(),
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
}
