package store

import (
	"context"
	"sync/atomic"
)

// StaleNote records that a read was answered from a copy whose freshness the store could not confirm:
// a tiered L1 entry past its L1 TTL, served because L2 is failing (store/tiered's fail-safe). A reader
// that wants to know attaches one to the read's context with WithStaleNote; a store that serves such a
// copy calls MarkStale. Reads without a note are served alike, unflagged. Like net/http/httptrace, it
// lets a caller observe a call without widening the Store interface.
type StaleNote struct {
	stale int32 // atomic; not an atomic.Bool, so a struct holding a note may be copied before use
}

type staleNoteKey struct{}

// WithStaleNote returns a context carrying n (the caller's storage, so a reader can keep it in a struct
// it allocates anyway), for a store to mark.
func WithStaleNote(ctx context.Context, n *StaleNote) context.Context {
	return context.WithValue(ctx, staleNoteKey{}, n)
}

// MarkStale flags the StaleNote carried by ctx, if any, and reports whether there was one.
func MarkStale(ctx context.Context) bool {
	n, _ := ctx.Value(staleNoteKey{}).(*StaleNote)
	if n == nil {
		return false
	}
	atomic.StoreInt32(&n.stale, 1)
	return true
}

// Stale reports whether a store marked the note.
func (n *StaleNote) Stale() bool { return n != nil && atomic.LoadInt32(&n.stale) == 1 }

// Reset clears the note, so it can serve another read.
func (n *StaleNote) Reset() { atomic.StoreInt32(&n.stale, 0) }
