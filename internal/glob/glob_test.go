package glob_test

import (
	"strings"
	"testing"

	"github.com/cachekit/cachekit/internal/glob"
)

// globCase is one row of the glob table: whether key matches pattern under Redis's SCAN MATCH.
type globCase struct {
	pattern, key string
	want         bool
	why          string
}

var (
	as1000 = strings.Repeat("a", 1000)
	as1001 = strings.Repeat("a", 1001)
	as32   = strings.Repeat("a", 32)
)

// globCases is the glob table. TestMatchAgreesWithRedis checks every row against a real redis-server
// (see the record in glob_redis_test.go).
var globCases = []globCase{
	// cachekit keys: '*' crosses ':' and '/'.
	{"qrl:v1:*", "qrl:v1:ticker:QRL/USDT", true, "namespace prefix"},
	{"qrl:v1:*", "qrl:v10:x", false, "v1 is not v10"},
	{"qrl:v1:*", "qrl:v1:", true, "trailing star matches nothing"},
	{"qrl:v1:*", "qrl:v1", false, "separator is required"},
	{"*:ticker:*", "qrl:v1:ticker:QRL/USDT", true, "star crosses ':'"},
	{"*/USDT", "qrl:v1:ticker:QRL/USDT", true, "star crosses '/'"},
	{"*/USDT", "qrl:v1:ticker:QRL/USDT2", false, "suffix is anchored"},
	{"qrl:v1:*:QRL/USDT", "qrl:v1:ohlcv:1m:QRL/USDT", true, "star spans several segments"},
	{"qrl:v1:*:QRL/USDT", "qrl:v1:ticker:QRL/USDT2", false, "anchored at the end"},
	{"*:*:*", "a:b:c", true, "three segments"},
	{"*:*:*", "a:b", false, "two separators needed"},
	{`qrl:v1:ticker:\*`, "qrl:v1:ticker:*", true, "escaped star is a literal star"},
	{`qrl:v1:ticker:\*`, "qrl:v1:ticker:QRL/USDT", false, "escaped star is not a wildcard"},
	{`qrl:v1:ticker:\*`, "qrl:v1:ticker:", false, "escaped star needs a byte"},
	{`qrl:v1:\[QRL\]:*`, "qrl:v1:[QRL]:x", true, "escaped brackets are literal"},
	{`qrl:v1:\[QRL\]:*`, "qrl:v1:Q:x", false, "escaped brackets are not a class"},

	// '*' and the empty key.
	{"*", "a/b:c d", true, "star matches anything"},
	{"*", "", true, "SCAN and KEYS treat \"*\" as every key, even the empty one"},
	{"**", "", false, "stringmatchlen never matches the empty key with a star"},
	{"", "", true, "empty matches empty"},
	{"", "a", false, "empty pattern matches only the empty key"},
	{"*?", "", false, "'?' needs a byte"},
	{"*?", "a", true, "star then one byte"},
	{"?*", "a", true, "one byte then nothing"},
	{"*a", "a", true, "star matches nothing"},
	{"*a", "ba", true, "star matches one byte"},
	{"*a", "ab", false, "anchored at the end"},
	{"a*", "a", true, "trailing star matches nothing"},
	{"a*b", "ab", true, "inner star matches nothing"},
	{"a*b", "a/x:y b", true, "inner star matches separators"},
	{"a*b", "abc", false, "anchored at the end"},
	{"a**b", "axxb", true, "a star run is one star"},
	{"**a**", "xxa", true, "leading and trailing runs"},
	{"a*b*c", "abbbc", true, "backtracking over two stars"},
	{"a*a*a*a*a*a*a*a*b", as32, false, "pathological pattern, no match"},
	{"a*a*a*a*a*a*a*a*b", as32 + "b", true, "pathological pattern, match"},
	{strings.Repeat("*a", 1000), as1000, true, "1000 nested stars are within Redis's limit"},
	{strings.Repeat("*a", 1001), as1001, false, "1001 nested stars exceed Redis's limit"},
	{strings.Repeat("*a", 1000) + "*", as1001, true, "a final star is not a nesting level"},
	{strings.Repeat("*", 2000) + "a", "ba", true, "one long star run is one nesting level"},
	{strings.Repeat(`\*`, 1001), strings.Repeat("*", 1001), true, "escaped stars are not nesting levels"},
	{strings.Repeat(`*\*`, 1001), strings.Repeat("*", 1001), false, "stars before escaped stars are"},

	// '?' matches one byte.
	{"?", "", false, "needs a byte"},
	{"?", "a", true, "one byte"},
	{"?", "ab", false, "exactly one byte"},
	{"?", "é", false, "é is two bytes"},
	{"??", "é", true, "two bytes of é"},
	{"a?c", "a/c", true, "'?' matches '/'"},
	{"a?c", "a:c", true, "'?' matches ':'"},

	// Classes.
	{"[abc]", "b", true, "member"},
	{"[abc]", "d", false, "non-member"},
	{"[abc]", "ab", false, "a class is one byte"},
	{"[^abc]", "d", true, "negated non-member"},
	{"[^abc]", "a", false, "negated member"},
	{"[a-z]", "m", true, "in range"},
	{"[a-z]", "M", false, "case-sensitive"},
	{"[z-a]", "m", true, "reversed range is swapped"},
	{"[z-a]", "-", false, "reversed range has no literal '-'"},
	{"[a-c-e]", "-", true, "'-' after a range is literal"},
	{"[a-c-e]", "d", false, "no second range"},
	{"[a-c-e]", "e", true, "e is listed"},
	{"[-a]", "-", true, "leading '-' is literal"},
	{"[a-]", "-", false, "\"a-]\" is the range ']'..'a', not 'a' and '-'"},
	{"[a-]", "_", true, "'_' lies between ']' and 'a'"},
	{"[a-]b]", "b", true, "the class continues after \"a-]\""},
	{"[a-]b]", "]b]", false, "\"[a-]b]\" is one class"},
	{"[]", "]", false, "\"[]\" is an empty class"},
	{"[]a]", "a", false, "']' right after '[' closes the class"},
	{"[]]", "]]", false, "empty class never matches"},
	{"[^]", "x", true, "\"[^]\" matches any byte"},
	{"[^]", "", false, "\"[^]\" needs a byte"},
	{"[^]", "xy", false, "\"[^]\" is one byte"},
	{`[\]]`, "]", true, "escaped ']' in a class"},
	{`[\\]`, `\`, true, "escaped backslash in a class"},
	{`[a\-z]`, "-", true, "escaped '-' is literal"},
	{`[a\-z]`, "m", false, "escaped '-' is not a range"},
	{"[[]", "[", true, "'[' inside a class is literal"},
	{"[*]", "*", true, "'*' inside a class is literal"},
	{"[*]", "a", false, "'*' inside a class is not a wildcard"},
	{"[?]", "a", false, "'?' inside a class is literal"},
	{"[^/]*", "/x", false, "negated class then star"},
	{"[^/]*", "x/y", true, "negated class then star crossing '/'"},

	// Unclosed classes take the rest of the pattern.
	{"[abc", "a", true, "unclosed class still lists a"},
	{"[abc", "[", false, "unclosed '[' is not literal"},
	{"[abc", "ab", false, "unclosed class is one byte"},
	{"a[", "a", false, "trailing '[' needs a byte"},
	{"a[", "a[", false, "trailing '[' is an empty class"},
	{"[^", "x", true, "unclosed \"[^\" matches any byte"},
	{"[^a", "a", false, "unclosed negated class"},
	{"[^a", "b", true, "unclosed negated class, non-member"},
	{"[a-", "-", true, "too short for a range: 'a' and '-'"},
	{"[a-", "b", false, "too short for a range"},
	{`[\`, `\`, true, "trailing backslash in an unclosed class is literal"},
	{`[\]`, "]", true, "escaped ']' leaves the class unclosed"},

	// Escapes outside classes.
	{`\`, `\`, true, "trailing backslash is literal"},
	{`a\`, `a\`, true, "trailing backslash after a byte"},
	{`a\`, "a", false, "trailing backslash needs a byte"},
	{`\*`, "*", true, "escaped star"},
	{`\*`, "x", false, "escaped star is not a wildcard"},
	{`\?`, "?", true, "escaped question mark"},
	{`\?`, "a", false, "escaped question mark is not a wildcard"},
	{`\[a]`, "[a]", true, "escaped '[' is literal"},
	{`\[a]`, "a", false, "escaped '[' is not a class"},
	{`\a`, "a", true, "escaping an ordinary byte"},
	{`\\*`, `\abc`, true, "escaped backslash then star"},

	// Spaces, unicode, raw bytes.
	{"user name*", "user name 1", true, "space is literal"},
	{"user?name", "user name", true, "'?' matches a space"},
	{"qrl:v1:ticker:€*", "qrl:v1:ticker:€/USDT", true, "unicode literal"},
	{"qrl:v1:ticker:?/USDT", "qrl:v1:ticker:€/USDT", false, "€ is three bytes"},
	{"qrl:v1:ticker:???/USDT", "qrl:v1:ticker:€/USDT", true, "three '?' for €"},
	{"[€]", "€", false, "a class matches one byte of €"},
	{"[€][€][€]", "€", true, "each class matches one byte of €"},
	{"日本*", "日本語", true, "unicode prefix"},
	{"a\x00b", "a\x00b", true, "NUL is an ordinary byte"},
	{"[a-\xff]", "A", true, "bytes compare as signed chars: 0xff is -1, so the range is -1..'a'"},
	{"[a-\xff]", "b", false, "signed range -1..'a' excludes 'b'"},
	{"[a-\xff]", "\x80", false, "0x80 is -128, outside -1..'a'"},
	{"[\x7f-\x80]", "A", true, "signed range -128..127 covers every byte"},
}

func TestMatchTable(t *testing.T) {
	for _, c := range globCases {
		if got := glob.Match(c.pattern, c.key); got != c.want {
			t.Errorf("Match(%q, %q) = %v, want %v (%s)", c.pattern, c.key, got, c.want, c.why)
		}
	}
}

func TestMatchAgreesWithReference(t *testing.T) {
	for _, c := range globCases {
		if got := referenceMatch(c.pattern, c.key); got != c.want {
			t.Errorf("reference(%q, %q) = %v, want %v (%s)", c.pattern, c.key, got, c.want, c.why)
		}
	}
}

func TestLiteralPrefix(t *testing.T) {
	cases := []struct{ pattern, want string }{
		{"", ""},
		{"*", ""},
		{"qrl:v1:*", "qrl:v1:"},
		{"qrl:v1:ticker:QRL/USDT", "qrl:v1:ticker:QRL/USDT"},
		{"qrl:v1:?x", "qrl:v1:"},
		{"qrl:v1:[ab]", "qrl:v1:"},
		{`qrl:v1:ticker:\*`, "qrl:v1:ticker:*"},
		{`qrl:v1:\[QRL\]:*`, "qrl:v1:[QRL]:"},
		{`a\\b*`, `a\b`},
		{`a\`, `a\`},
		{"日本*", "日本"},
	}
	for _, c := range cases {
		if got := glob.LiteralPrefix(c.pattern); got != c.want {
			t.Errorf("LiteralPrefix(%q) = %q, want %q", c.pattern, got, c.want)
		}
	}
}

// TestLiteralPrefixIsNecessary checks on the glob table that every matching key starts with the prefix.
func TestLiteralPrefixIsNecessary(t *testing.T) {
	for _, c := range globCases {
		if c.want && !strings.HasPrefix(c.key, glob.LiteralPrefix(c.pattern)) {
			t.Errorf("Match(%q, %q) but the key lacks LiteralPrefix %q", c.pattern, c.key, glob.LiteralPrefix(c.pattern))
		}
	}
}

// TestMatchPathologicalFinishes makes sure many stars over a long key cannot take exponential time; a
// backtracking matcher without Redis's cut-off would not return within the test timeout.
func TestMatchPathologicalFinishes(t *testing.T) {
	key := strings.Repeat("a", 100_000)
	if glob.Match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", key) {
		t.Fatal("pattern ending in b matched a key of a's")
	}
	if !glob.Match("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", key) {
		t.Fatal("pattern of a's and stars did not match a key of a's")
	}
}

// BenchmarkMatch measures Match on a typical namespaced key and on patterns that make a naive
// backtracking matcher exponential.
func BenchmarkMatch(b *testing.B) {
	long := strings.Repeat("a", 4096)
	cases := []struct{ name, pattern, key string }{
		{"prefix", "qrl:v1:*", "qrl:v1:ticker:QRL/USDT"},
		{"symbol", "qrl:v1:*:QRL/USDT", "qrl:v1:ohlcv:1m:QRL/USDT"},
		{"class", "qrl:v1:ticker:[A-Z][A-Z][A-Z]/*", "qrl:v1:ticker:QRL/USDT"},
		{"miss", "qrl:v2:*", "qrl:v1:ticker:QRL/USDT"},
		{"pathological", "a*a*a*a*a*a*a*a*b", long},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.key)))
			for b.Loop() {
				glob.Match(c.pattern, c.key)
			}
		})
	}
}

// BenchmarkLiteralPrefix measures LiteralPrefix on a pattern with and without escapes.
func BenchmarkLiteralPrefix(b *testing.B) {
	for _, p := range []string{"qrl:v1:ticker:*", `qrl:v1:ticker:\*`} {
		b.Run(p, func(b *testing.B) {
			for b.Loop() {
				glob.LiteralPrefix(p)
			}
		})
	}
}

// TestEscape: every metacharacter is escaped, other bytes are kept, and the escaped text matches only
// itself (checked against Match on each input and a few decoys it would match unescaped).
func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"QRL/USDT": "QRL/USDT",
		"*":        `\*`,
		"[QRL]":    `\[QRL\]`,
		`a?b\c`:    `a\?b\\c`,
		"":         "",
	} {
		if got := glob.Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	for in, decoy := range map[string]string{"*": "x", "a?b": "axb", "[QRL]": "Q", `a\b`: "ab"} {
		if p := glob.Escape(in); !glob.Match(p, in) || glob.Match(p, decoy) {
			t.Errorf("Escape(%q) = %q: matches itself %v, matches %q %v; want true, false", in, p, glob.Match(p, in), decoy, glob.Match(p, decoy))
		}
	}
}

// TestLiteral: a pattern without an unescaped '*', '?' or '[' is one key, its escapes resolved.
func TestLiteral(t *testing.T) {
	cases := []struct {
		pattern, key string
		ok           bool
	}{
		{"qrl:v1:ticker:QRL/USDT", "qrl:v1:ticker:QRL/USDT", true},
		{`qrl:v1:\*`, "qrl:v1:*", true},
		{`a\[b\]`, "a[b]", true},
		{"", "", true},
		{"qrl:*", "", false},
		{"a?", "", false},
		{"a[b]", "", false},
		{`a\\*`, "", false}, // an escaped backslash, then a real star
	}
	for _, c := range cases {
		key, ok := glob.Literal(c.pattern)
		if key != c.key || ok != c.ok {
			t.Errorf("Literal(%q) = %q, %v; want %q, %v", c.pattern, key, ok, c.key, c.ok)
		}
		if ok && !glob.Match(c.pattern, key) && key != "" {
			t.Errorf("Literal(%q) = %q, which the pattern does not match", c.pattern, key)
		}
	}
}
