//! Conformance corpora run as tests; see tests/.
