//! Offline vulnerability database of canhgac (skeleton; being built).
