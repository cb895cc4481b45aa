package keyspace_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/keyspace"
)

// ValidateRelative's one-pass fast path accepts only keys the segment-by-segment check accepts, and
// accepts every printable-ASCII key that check accepts, so it changes speed, never the verdict.
func TestValidateRelativeFastPathAgreesWithSegmentCheck(t *testing.T) {
	seg := strings.Repeat("s", keyspace.MaxSegmentLen)
	cases := []string{
		"a", "a:b", "ticker:QRL/USDT", ":", ":a", "a:", "a::b", "a: b", "a:\x00", "a:\x1f:b", "a\x7f", "é:b",
		seg, seg + "s", seg + ":" + seg, seg + "s:b", "b:" + seg + "s", "\xff",
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "/", " ", ":", "::", "\x00", "\x1f", "\x7f", "é", "\xff", "~", strings.Repeat("x", 200)}
	for range 20000 {
		var b strings.Builder
		for n := r.IntN(8); n > 0; n-- {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, rel := range cases {
		if rel == "" || len(rel) > keyspace.MaxKeyLen {
			continue // rejected before either check runs
		}
		slow := keyspace.ValidateSegments(rel)
		fast := keyspace.PrintableASCIIKey(rel)
		if fast && slow != nil {
			t.Fatalf("fast path accepts %q, which the segment check rejects: %v", rel, slow)
		}
		ascii := true
		for i := 0; i < len(rel); i++ {
			ascii = ascii && rel[i] >= 0x20 && rel[i] < 0x7f
		}
		if ascii && slow == nil && !fast {
			t.Fatalf("fast path rejects valid printable-ASCII key %q", rel)
		}
		if got := keyspace.ValidateRelative(rel); (got == nil) != (slow == nil) {
			t.Fatalf("ValidateRelative(%q) = %v; the segment check says %v", rel, got, slow)
		}
	}
}
