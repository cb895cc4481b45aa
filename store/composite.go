package store

// Composite is an optional interface of a Store built over other stores (the tiered store). Tiers
// returns them outermost first (L1, L2), the same order as Stats.Tiers, so that a caller can reach a
// backend inside (to install go-redis instrumentation on the Redis client of an L2, say). The stores
// returned stay owned by the composite: closing them is its job.
type Composite interface {
	Tiers() []Store
}
