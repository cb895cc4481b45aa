package tiered

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// guardStripes is the number of key stripes; a power of two. More stripes mean fewer L1 inserts skipped
// because an unrelated key of the same stripe changed meanwhile; a pattern delete or flush locks them all.
const guardStripes = 1024

// guard keeps L1 from ever taking in a value older than one an invalidation already removed.
//
// Every change to a key — a local write or delete, or a remote invalidation — bumps the version of the
// key's stripe and drops or replaces the key in L1 while holding the stripe's lock; a pattern delete or
// flush bumps the global version and drops its keys from L1 while holding every stripe's lock. Whoever
// wants to insert into L1 (a backfill after an L2 read, a write-through after an L2 write) snapshots the
// versions BEFORE its L2 call, and inserts only if, under the stripe lock, nothing was bumped since: a
// bump means a change it did not see may already have been applied to L1, so its own value may be older.
// The check and the insert are atomic with respect to every bump-and-drop, so no older value is ever
// visible in L1, not even briefly.
type guard struct {
	seed    maphash.Seed
	global  atomic.Uint64
	stripes [guardStripes]guardStripe
}

type guardStripe struct {
	mu  sync.Mutex
	ver atomic.Uint64 // written under mu, read without it by snap
}

// snapshot is the state of the versions guarding one key.
type snapshot struct {
	global, stripe uint64
	idx            uint32
}

func (g *guard) init() { g.seed = maphash.MakeSeed() }

func (g *guard) index(key string) uint32 {
	return uint32(maphash.String(g.seed, key) & (guardStripes - 1))
}

// snap returns the versions guarding key.
func (g *guard) snap(key string) snapshot {
	i := g.index(key)
	return snapshot{global: g.global.Load(), stripe: g.stripes[i].ver.Load(), idx: i}
}

// lock locks the stripe of sn and returns it.
func (g *guard) lock(idx uint32) *guardStripe {
	st := &g.stripes[idx]
	st.mu.Lock()
	return st
}

// unchangedLocked reports whether nothing was bumped since sn beyond own bumps of this caller; the
// stripe of sn must be locked.
func (g *guard) unchangedLocked(sn snapshot, own uint64) bool {
	return g.global.Load() == sn.global && g.stripes[sn.idx].ver.Load() == sn.stripe+own
}

// lockAll locks every stripe (in index order, the only order in which more than one is ever held).
func (g *guard) lockAll() {
	for i := range g.stripes {
		g.stripes[i].mu.Lock()
	}
}

func (g *guard) unlockAll() {
	for i := range g.stripes {
		g.stripes[i].mu.Unlock()
	}
}
