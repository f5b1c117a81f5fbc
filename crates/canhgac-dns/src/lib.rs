//! DNS client of canhgac (skeleton; being built).
