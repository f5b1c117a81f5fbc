//! Threat intelligence for canhgac. For now: breach and exposure lists of official email
//! addresses (`exposure`). Indicator feeds (CSV, STIX 2.1, MISP, TAXII), advisories and
//! Shadowserver reports come with the intel capability.
