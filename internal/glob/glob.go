// Package glob is cachekit's one implementation of Redis glob patterns (the MATCH of SCAN and KEYS): the
// matcher in-process stores use for DeletePattern and Scan, the literal prefix that lets them skip
// entries without matching, and the escaping that makes user text match only itself. It is a leaf
// package (it imports nothing of cachekit's), shared by store, keyspace, conformance and store/memory.
//
// It is internal because its public faces already exist where their users look for them: store.Match
// and store.LiteralPrefix for a Store implementation (a third-party in-process backend uses those), and
// keyspace.EscapeGlob for code that builds patterns. Each of those forwards here.
package glob

import "strings"

// Match reproduces Redis's recursive stringmatchlen, quirks included, with a greedy single-backtrack
// algorithm: every token other than '*' consumes exactly one byte, so remembering only the last '*' is
// enough and matching costs O(len(pattern)*len(key)) at worst, never exponential time.

// maxStarNesting is Redis's guard against abusive patterns: its recursive matcher gives up (no match) once
// it is nested more than this many '*' runs deep.
const maxStarNesting = 1000

// Match reports whether key matches pattern with the semantics of Redis's stringmatchlen (util.c), which
// SCAN MATCH and KEYS use. Matching is on bytes, not runes, and case-sensitive:
//   - '*' matches any sequence of bytes, including '/' and ':'; '?' matches exactly one byte (so one byte
//     of a multi-byte UTF-8 character).
//   - '[abc]' matches one listed byte, '[^abc]' one byte not listed, '[a-z]' a byte in the range; a
//     reversed range such as '[z-a]' means the same as '[a-z]'. Ranges compare bytes as signed C chars,
//     as Redis does on x86-64, so "[a-\xff]" is the range -1..'a' and contains 'A' but not 'b' or 0x80.
//     (Redis built where C char is unsigned, such as arm64, differs for ranges touching bytes >= 0x80.)
//   - '\' makes the next byte literal, outside and inside brackets; a trailing '\' matches a literal '\'.
//   - Redis's edge cases hold: '[]' matches nothing, '[^]' matches any one byte, ']' directly after '['
//     closes the class, a '-' at either edge of a class is literal (but "[a-]" makes ']' the range end and
//     leaves the class open), and an unclosed '[' takes the rest of the pattern as its members.
//   - The empty key matches only the patterns "" and "*" (SCAN and KEYS treat the pattern "*" as "every
//     key" without calling the matcher; for stringmatchlen itself even "*" does not match "").
//   - A pattern with more than 1000 runs of '*' that are followed by another token matches nothing: each
//     such run is a level of recursion in Redis, which gives up beyond 1000 levels. ("**" is one run;
//     "\*" and "[*]" are not runs; a final run does not count.)
//
// Match never panics and runs in time bounded by len(pattern)*len(key).
func Match(pattern, key string) bool {
	if key == "" {
		return pattern == "" || pattern == "*"
	}
	if strings.Count(pattern, "*") > maxStarNesting && innerStarRuns(pattern) > maxStarNesting {
		return false
	}
	p, k := 0, 0
	// Position in pattern just after the last '*' run, and the key position that run is extended from.
	starP, starK := -1, 0
	for k < len(key) {
		if p < len(pattern) && pattern[p] == '*' {
			for p < len(pattern) && pattern[p] == '*' {
				p++
			}
			if p == len(pattern) {
				return true // a final '*' matches the rest of the key
			}
			starP, starK = p, k
			continue
		}
		if p < len(pattern) {
			if ok, next := matchToken(pattern, p, key[k]); ok {
				p, k = next, k+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last '*' swallow one more byte and retry the rest of the pattern from there.
		starK++
		p, k = starP, starK
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchToken matches the single non-star token starting at pattern[p] against byte c. It returns whether
// it matched and the index of the next token; the index does not depend on c.
func matchToken(pattern string, p int, c byte) (bool, int) {
	switch pattern[p] {
	case '?':
		return true, p + 1
	case '[':
		return matchClass(pattern, p+1, c)
	case '\\':
		if p+1 < len(pattern) {
			p++
		}
	}
	return pattern[p] == c, p + 1
}

// matchClass matches byte c against the class whose body starts at pattern[i] (just after '['), following
// Redis's parse exactly, and returns the index just past the class.
func matchClass(pattern string, i int, c byte) (bool, int) {
	n := len(pattern)
	negate := i < n && pattern[i] == '^'
	if negate {
		i++
	}
	matched := false
	for {
		switch {
		case i < n && pattern[i] == '\\' && n-i >= 2:
			i++
			if pattern[i] == c {
				matched = true
			}
		case i < n && pattern[i] == ']':
			return matched != negate, i + 1
		case i >= n:
			// Unclosed class: Redis ends it at the end of the pattern.
			return matched != negate, n
		case n-i >= 3 && pattern[i+1] == '-':
			// Redis compares plain C chars, which are signed on x86-64.
			lo, hi, x := int(int8(pattern[i])), int(int8(pattern[i+2])), int(int8(c))
			if lo > hi {
				lo, hi = hi, lo
			}
			if lo <= x && x <= hi {
				matched = true
			}
			i += 2
		default:
			if pattern[i] == c {
				matched = true
			}
		}
		i++
	}
}

// skipToken returns the index of the token after the non-star token at pattern[p].
func skipToken(pattern string, p int) int {
	_, next := matchToken(pattern, p, 0)
	return next
}

// innerStarRuns counts the runs of '*' tokens that are followed by another token: each one is a level of
// recursion in Redis's matcher, and a final run is not.
func innerStarRuns(pattern string) int {
	runs := 0
	for p := 0; p < len(pattern); {
		if pattern[p] != '*' {
			p = skipToken(pattern, p)
			continue
		}
		for p < len(pattern) && pattern[p] == '*' {
			p++
		}
		if p < len(pattern) {
			runs++
		}
	}
	return runs
}

// LiteralPrefix returns the longest prefix that every key matching pattern starts with, with escapes
// resolved: the bytes before the first '*', '?' or '['. An in-process store can skip entries that lack it
// without calling Match. Matching the prefix is necessary, not sufficient.
func LiteralPrefix(pattern string) string {
	i := strings.IndexAny(pattern, `*?[\`)
	if i < 0 {
		return pattern
	}
	if pattern[i] != '\\' {
		return pattern[:i] // no escape to resolve: the prefix is a substring
	}
	buf := []byte(pattern[:i])
	for p := i; p < len(pattern); p++ {
		switch pattern[p] {
		case '*', '?', '[':
			return string(buf)
		case '\\':
			if p+1 < len(pattern) {
				p++
			}
		}
		buf = append(buf, pattern[p])
	}
	return string(buf)
}

// Literal reports whether pattern has no unescaped '*', '?' or '[', so that it matches exactly one key,
// and returns that key (the pattern with its escapes resolved). An in-process store looks such a key up
// directly instead of visiting every entry.
func Literal(pattern string) (string, bool) {
	for i := 0; i < len(pattern); i++ {
		switch pattern[i] {
		case '*', '?', '[':
			return "", false
		case '\\':
			i++
		}
	}
	return LiteralPrefix(pattern), true
}

// meta are the bytes Redis's glob matcher gives a meaning to.
const meta = `*?[]\`

// Escape backslash-escapes every glob metacharacter (* ? [ ] \) in s, so the result, used as a Redis
// glob, matches exactly s and nothing else.
func Escape(s string) string {
	if !strings.ContainsAny(s, meta) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(meta, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
