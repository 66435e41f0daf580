//! Bulk work by file: the kinds of record files and their columns ([`file_kinds`]), the import
//! pipeline ([`import`]) and the export writer ([`export_writer`]) — mirroring
//! `kinerja_store::bulk`.

pub mod export_writer;
pub mod file_kinds;
pub mod import;
