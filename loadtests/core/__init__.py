"""Pure definitions every part of the load tests shares: knobs, phases, the per-second
timeline, server profiles and the run record. Light imports only (pydantic, numpy, the
standard library): this package is imported inside locust too."""
