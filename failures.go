package cachekit

import (
	"sync"
	"time"
)

// failures remembers, per full key, a recent load failure (for Policy.FailBackoff) or negative result
// (Policy.NegativeTTL) until a deadline by the Cache's clock. Entries go when they are read past their
// deadline or the key loads successfully, so the map holds only keys failing right now.
type failures struct{ m sync.Map } // full key → *failure

type failure struct {
	err   error
	until time.Time
}

func (f *failures) put(full string, err error, until time.Time) {
	f.m.Store(full, &failure{err: err, until: until})
}

// get returns the key's failure if it still applies at now.
func (f *failures) get(full string, now time.Time) *failure {
	v, ok := f.m.Load(full)
	if !ok {
		return nil
	}
	fl := v.(*failure)
	if !now.Before(fl.until) {
		f.m.CompareAndDelete(full, v)
		return nil
	}
	return fl
}

func (f *failures) clear(full string) { f.m.Delete(full) }
