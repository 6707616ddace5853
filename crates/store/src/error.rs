use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    DataFusion(#[from] engine::datafusion::error::DataFusionError),
    #[error(transparent)]
    Arrow(#[from] engine::datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Parquet(#[from] engine::datafusion::parquet::errors::ParquetError),
}

impl StoreError {
    pub fn io(path: &Path, e: std::io::Error) -> Self {
        StoreError::Io(format!("{}: {e}", path.display()))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
