package store_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cachekit/cachekit/store"
)

// TestQueryRepeatedOptionIsError: every single-valued reader of Query (String and the typed readers,
// Has, and Forward for options passed on) turns an option given twice into an error wrapping
// ErrInvalidURL that names it, instead of silently choosing a value; Strings and Forward's repeatable
// names accept repetition.
func TestQueryRepeatedOptionIsError(t *testing.T) {
	readers := map[string]func(q *store.Query){
		"String":   func(q *store.Query) { q.String("x", "") },
		"Int":      func(q *store.Query) { q.Int("x", 0) },
		"Bool":     func(q *store.Query) { q.Bool("x", false) },
		"Duration": func(q *store.Query) { q.Duration("x", time.Second) },
		"Bytes":    func(q *store.Query) { q.Bytes("x", 0) },
		"Has":      func(q *store.Query) { q.Has("x") },
		"Forward":  func(q *store.Query) { q.Forward() },
	}
	for name, read := range readers {
		q := store.NewQuery(url.Values{"x": {"1", "1"}})
		read(q)
		if err := q.Done(); !errors.Is(err, store.ErrInvalidURL) || !strings.Contains(err.Error(), "option x given 2 times") {
			t.Errorf("%s of a repeated option: Done = %v, want ErrInvalidURL naming x", name, err)
		}
	}
	q := store.NewQuery(url.Values{"addr": {"a:1", "b:2"}, "y": {"1"}})
	if vs := q.Strings("addr"); len(vs) != 2 {
		t.Errorf("Strings = %q", vs)
	}
	if fw := q.Forward(); fw.Get("y") != "1" || fw.Has("addr") {
		t.Errorf("Forward = %v, want only the unread y", fw)
	}
	if err := q.Done(); err != nil {
		t.Errorf("Done after Strings and Forward: %v", err)
	}
	q = store.NewQuery(url.Values{"addr": {"a:1", "b:2"}})
	if fw := q.Forward("addr"); len(fw["addr"]) != 2 {
		t.Errorf("Forward(addr) = %v", fw)
	}
	if err := q.Done(); err != nil {
		t.Errorf("Done after Forward of a repeatable option: %v", err)
	}
}
