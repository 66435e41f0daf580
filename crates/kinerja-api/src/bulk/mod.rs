//! Bulk work by file: the kinds of record files and their columns ([`file_kinds`]), the import
//! pipeline ([`import`]), the export writer ([`export_writer`]) and the national SKP export
//! ([`national_export`]) — mirroring
//! `kinerja_store::bulk`.

pub mod export_writer;
pub mod file_kinds;
pub mod import;
pub mod national_export;
