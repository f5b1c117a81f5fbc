//! Durable event storage: append (acknowledged only once on disk), search, and retention by age
//! and size that needs no maintenance.
