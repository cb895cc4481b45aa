package glob_test

import (
	"strings"
	"testing"

	"github.com/cachekit/cachekit/internal/glob"
)

// referenceMatch is an independent model of Redis's SCAN MATCH, written for the tests: a line-by-line
// transliteration of the recursive stringmatchlen in util.c (byte cursors, recursion per '*', the
// skip-longer-matches flag and the nesting limit), plus SCAN's shortcut for the pattern "*". It shares no
// code with Match, whose greedy algorithm is structured differently.
func referenceMatch(pattern, key string) bool {
	if pattern == "*" {
		return true // SCAN and KEYS skip the matcher for "*".
	}
	skip := false
	return refMatch([]byte(pattern), []byte(key), &skip, 0)
}

// at returns b[i], or 0 past the end: Redis's patterns are NUL-terminated sds strings.
func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

func refMatch(pat, str []byte, skipLonger *bool, nesting int) bool {
	if nesting > 1000 {
		return false
	}
	for len(pat) > 0 && len(str) > 0 {
		switch pat[0] {
		case '*':
			for len(pat) > 0 && at(pat, 1) == '*' {
				pat = pat[1:]
			}
			if len(pat) == 1 {
				return true
			}
			for len(str) > 0 {
				if refMatch(pat[1:], str, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				str = str[1:]
			}
			*skipLonger = true
			return false
		case '?':
			str = str[1:]
		case '[':
			// Work on an index so the "step back" of an unclosed class can be expressed.
			i := 1
			not := at(pat, i) == '^'
			if not {
				i++
			}
			match := false
			for {
				rest := len(pat) - i
				if at(pat, i) == '\\' && rest >= 2 {
					i++
					if pat[i] == str[0] {
						match = true
					}
				} else if at(pat, i) == ']' {
					break
				} else if rest == 0 {
					i--
					break
				} else if rest >= 3 && pat[i+1] == '-' {
					start, end, c := int(int8(pat[i])), int(int8(pat[i+2])), int(int8(str[0]))
					if start > end {
						start, end = end, start
					}
					i += 2
					if c >= start && c <= end {
						match = true
					}
				} else if pat[i] == str[0] {
					match = true
				}
				i++
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			str = str[1:]
			pat = pat[i:] // the common step below moves past ']'
		case '\\':
			if len(pat) >= 2 {
				pat = pat[1:]
			}
			fallthrough
		default:
			if pat[0] != str[0] {
				return false
			}
			str = str[1:]
		}
		pat = pat[1:]
		if len(str) == 0 {
			for at(pat, 0) == '*' {
				pat = pat[1:]
			}
			break
		}
	}
	return len(pat) == 0 && len(str) == 0
}

// FuzzMatch compares Match with referenceMatch on arbitrary inputs; neither may panic.
func FuzzMatch(f *testing.F) {
	for _, c := range globCases {
		if len(c.pattern) < 200 && len(c.key) < 200 {
			f.Add(c.pattern, c.key)
		}
	}
	f.Add("a*[b-]*\\", "a]]b\\")
	f.Add("*[^", "x")
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if len(pattern) > 64 {
			pattern = pattern[:64] // the reference is slow on long star-heavy patterns
		}
		if got, want := glob.Match(pattern, key), referenceMatch(pattern, key); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, key, got, want)
		}
		if glob.Match(pattern, key) && !strings.HasPrefix(key, glob.LiteralPrefix(pattern)) {
			t.Fatalf("Match(%q, %q) but key lacks LiteralPrefix %q", pattern, key, glob.LiteralPrefix(pattern))
		}
	})
}

// TestMatchRandomAgainstReference runs a deterministic sample of small patterns over a small alphabet
// rich in metacharacters, so the comparison runs on every `go test`, not only under -fuzz.
func TestMatchRandomAgainstReference(t *testing.T) {
	const alphabet = "ab*?[]^-\\:/"
	state := uint64(1)
	next := func(n int) int {
		state ^= state << 13
		state ^= state >> 7
		state ^= state << 17
		return int(state % uint64(n))
	}
	word := func(max int) string {
		b := make([]byte, next(max+1))
		for i := range b {
			b[i] = alphabet[next(len(alphabet))]
		}
		return string(b)
	}
	for range 200_000 {
		pattern, key := word(8), word(6)
		if got, want := glob.Match(pattern, key), referenceMatch(pattern, key); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", pattern, key, got, want)
		}
	}
}
