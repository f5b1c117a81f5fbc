//! Detection: runs Sigma rules and indicator matchers over events, applies per-rule and per-unit
//! tuning, and emits alert drafts; also the offline hunt over files. Talks to no network.

mod indicators;

pub use indicators::{IndicatorHit, IndicatorSet, RejectedIndicator};
