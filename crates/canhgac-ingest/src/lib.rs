//! Log sources and decoders: syslog (UDP, TCP, TLS), NDJSON, EVTX, web access logs and files,
//! turned into [`canhgac_model::Event`]s and attributed to units. Evaluates no rules.
