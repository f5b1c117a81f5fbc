//! Mail posture checks of canhgac (skeleton; being built).
