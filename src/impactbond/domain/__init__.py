"""The contract and the people as attrs value types: participants, trajectories, outcomes,
payment rules, terms, the contract and its Definitions.  Each type checks itself and never
coerces; building them from files is the job of :mod:`impactbond.io`."""
