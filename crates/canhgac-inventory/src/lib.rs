//! Inventory files.
