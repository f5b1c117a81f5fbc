//! Nuclei-compatible template engine of canhgac (skeleton; being built).
