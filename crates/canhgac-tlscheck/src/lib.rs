//! TLS review of canhgac (skeleton; being built).
