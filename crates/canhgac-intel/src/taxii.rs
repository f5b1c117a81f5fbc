//! TAXII.
