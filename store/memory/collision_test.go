package memory

import (
	"testing"
	"time"
)

// Two keys whose 64-bit hashes collide share one ristretto slot: each displaces the other (as an
// eviction would), and neither is ever read, deleted or reported as the other.
func TestHashCollisionNeverServesAnotherKey(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const h = 0x5eed // both keys are forced onto this hash
	st := s.stripe(h)
	write := func(key, val string) {
		st.mu.Lock()
		defer st.mu.Unlock()
		if err := s.put(st, h, s.newEntry(key, []byte(val), time.Hour), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	read := func(key string) string {
		e := s.find(st, h, key)
		if e == nil {
			return "<miss>"
		}
		return string(e.val())
	}
	write("a", "va")
	if got := read("b"); got != "<miss>" {
		t.Fatalf("b read %q from a's slot", got)
	}
	s.drainOnce()
	if got := read("b"); got != "<miss>" {
		t.Fatalf("b read %q from a's settled slot", got)
	}
	if got := read("a"); got != "va" {
		t.Fatalf("a = %q", got)
	}
	if s.deleteOne(st, h, "b") {
		t.Fatal("deleting b reported a's entry as b")
	}
	if got := read("a"); got != "va" {
		t.Fatalf("deleting b removed a: a = %q", got)
	}
	write("b", "vb")
	s.drainOnce()
	if got, other := read("b"), read("a"); got != "vb" || other != "<miss>" {
		t.Fatalf("after writing b: b = %q, a = %q; want vb and a miss", got, other)
	}
}
