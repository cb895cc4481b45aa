package store

import (
	"context"
	"time"
)

type readBudgetKey struct{}

// WithReadBudget returns a context asking the stores that do I/O to give up a read after d (d > 0),
// as if the read's context had a deadline d from the moment the store starts it, without the cost of
// a timer per call: the root Cache's Fetch uses it so that a hung backend costs a Fetch at most d
// before it loads instead. A store that does I/O takes the smaller of d and its own call budget
// (store/redis does; tiered passes the context on to L2); an in-process store never blocks and
// ignores it. A read given up this way fails with an error wrapping ErrUnavailable.
func WithReadBudget(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, readBudgetKey{}, d)
}

// ReadBudget returns the budget WithReadBudget attached to ctx, and whether there is one.
func ReadBudget(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(readBudgetKey{}).(time.Duration)
	return d, ok && d > 0
}
