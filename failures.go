package cachekit

import (
	"sync"
	"sync/atomic"
	"time"
)

// failures remembers, per full key, a recent load failure (for Policy.FailBackoff) or negative result
// (Policy.NegativeTTL) until a deadline by the Cache's clock. Entries go when they are read past their
// deadline or the key loads successfully, so the map holds only keys failing right now.
type failures struct {
	m sync.Map     // full key → *failure
	n atomic.Int64 // entries put and not yet removed (approximate): lets writes skip the map when 0
}

type failure struct {
	err   error
	until time.Time
}

func (f *failures) put(full string, err error, until time.Time) {
	if _, loaded := f.m.Swap(full, &failure{err: err, until: until}); !loaded {
		f.n.Add(1)
	}
}

// get returns the key's failure if it still applies at now.
func (f *failures) get(full string, now time.Time) *failure {
	v, ok := f.m.Load(full)
	if !ok {
		return nil
	}
	fl := v.(*failure)
	if !now.Before(fl.until) {
		if f.m.CompareAndDelete(full, v) {
			f.n.Add(-1)
		}
		return nil
	}
	return fl
}

func (f *failures) clear(full string) {
	if _, loaded := f.m.LoadAndDelete(full); loaded {
		f.n.Add(-1)
	}
}

// clearMatching forgets the failures of the keys match accepts: an invalidation or a write of a key
// ends its back-off and its remembered "no such value".
func (f *failures) clearMatching(match func(full string) bool) {
	if f.n.Load() == 0 {
		return
	}
	f.m.Range(func(k, _ any) bool {
		if match(k.(string)) {
			f.clear(k.(string))
		}
		return true
	})
}
