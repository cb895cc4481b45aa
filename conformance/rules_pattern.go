package conformance

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cachekit/cachekit/internal/glob"
	"github.com/cachekit/cachekit/store"
)

// globRow is one case of Redis glob semantics. Keys and pattern are relative to the rule's namespace
// (the suite prepends the escaped namespace to the pattern); match lists the keys the pattern selects.
type globRow struct {
	name    string
	says    string
	pattern string
	keys    []string
	match   []string
}

// globRows states, for each pattern, which keys Redis's matcher (stringmatchlen) selects. Every row was
// checked against redis-server 7.0.15 with SET + SCAN MATCH under the "ns=glob" namespace prefix.
var globRows = []globRow{
	{"StarCrossesSlashAndColon", "'*' matches any run of bytes, including none, '/', ':' and spaces",
		"a*", []string{"a", "a/b", "a:b:c", "a/b:c d", "b", "ba", "Ba"}, []string{"a", "a/b", "a:b:c", "a/b:c d"}},
	{"StarInside", "'*' inside a pattern matches any run between its neighbours",
		"m*z", []string{"mz", "m/a:z", "maz", "mza", "m"}, []string{"mz", "m/a:z", "maz"}},
	{"StarAlone", "'*' alone matches every key under the prefix",
		"*", []string{"a", "b/c", "日本", "x:y"}, []string{"a", "b/c", "日本", "x:y"}},
	{"QuestionMark", "'?' matches exactly one byte, '/' and ':' included",
		"t?x", []string{"tax", "t/x", "t:x", "tx", "taax", "t日x"}, []string{"tax", "t/x", "t:x"}},
	{"QuestionMarkIsOneByte", "'?' matches one byte, not one character: a 3-byte UTF-8 character needs '???'",
		"u???v", []string{"u日v", "uabcv", "uabv", "u日日v"}, []string{"u日v", "uabcv"}},
	{"Class", "'[abc]' matches one byte from the set",
		"k[abc]", []string{"ka", "kb", "kc", "kd", "k", "kab", "kA"}, []string{"ka", "kb", "kc"}},
	{"NegatedClass", "'[^a]' matches one byte other than 'a'",
		"n[^a]", []string{"na", "nb", "n/", "n:", "nab", "n"}, []string{"nb", "n/", "n:"}},
	{"Range", "'[a-c]' matches one byte in the range",
		"r[a-c]", []string{"ra", "rb", "rc", "rd", "rA", "r-"}, []string{"ra", "rb", "rc"}},
	{"ReversedRange", "'[c-a]' matches like '[a-c]' (Redis swaps the ends)",
		"r[c-a]", []string{"ra", "rb", "rc", "rd"}, []string{"ra", "rb", "rc"}},
	{"EscapeInClass", `'[\]x]' matches ']' or 'x': a backslash escapes inside a class`,
		`e[\]x]`, []string{"e]", "ex", `e\`, "e"}, []string{"e]", "ex"}},
	{"EscapedStar", `'\*' matches only a literal '*'`,
		`s\*`, []string{"s*", "s", "sx", "s**"}, []string{"s*"}},
	{"EscapedQuestionMark", `'\?' matches only a literal '?'`,
		`q\?`, []string{"q?", "qa", "q"}, []string{"q?"}},
	{"EscapedBracket", `'\[' matches a literal '[' and the following ']' is literal too`,
		`b\[x]`, []string{"b[x]", "bx", "b[x"}, []string{"b[x]"}},
	{"EscapedBackslash", `'\\' matches a literal backslash`,
		`w\\*`, []string{`w\`, `w\x`, "wx", "w"}, []string{`w\`, `w\x`}},
	{"SymbolWithSlash", "a symbol pattern 'ohlcv:QRL/USDT:*' selects that symbol's keys and not QRL/USDT2's",
		"ohlcv:QRL/USDT:*", []string{"ohlcv:QRL/USDT:1m", "ohlcv:QRL/USDT:1d:120", "ohlcv:QRL/USDT2:1m", "ohlcv:QRL/USDTX", "ohlcv:BTC/USDT:1m", "ticker:QRL/USDT"},
		[]string{"ohlcv:QRL/USDT:1m", "ohlcv:QRL/USDT:1d:120"}},
	{"Unicode", "unicode text in a pattern matches the same bytes in keys",
		"日本*", []string{"日本", "日本:株価", "日", "本日本"}, []string{"日本", "日本:株価"}},
	{"Spaces", "spaces in a pattern are literal",
		"with space*", []string{"with space", "with space/x", "with", "withspace", "with  space"}, []string{"with space", "with space/x"}},
	{"Literal", "a pattern without metacharacters matches only the identical key, case-sensitively",
		"exact", []string{"exact", "exact2", "exac", "Exact"}, []string{"exact"}},
	{"NoMatch", "a pattern matching no key selects nothing",
		"zzz*", []string{"a", "zz", "zz/z"}, nil},
}

func patternRules() []rule {
	var rules []rule
	for _, row := range globRows {
		rules = append(rules, rule{
			name: "DeletePattern/" + row.name,
			says: "DeletePattern removes exactly the keys its Redis glob matches and reports how many: " + row.says,
			run:  func(t testing.TB, e *env) { runDeletePatternRow(t, e, row) },
		})
	}
	for _, row := range globRows {
		rules = append(rules, rule{
			name: "Scan/" + row.name,
			says: "Scan reports exactly the keys its Redis glob matches: " + row.says,
			run: func(t testing.TB, e *env) {
				keys := e.setRelKeys(t, row.keys)
				got := e.scanAll(t, e.pattern(row.pattern))
				wantKeySet(t, fmt.Sprintf("Scan(%q)", e.pattern(row.pattern)), got, keys(row.match))
			},
		})
	}
	return append(rules,
		rule{
			name: "DeletePattern/ThousandKeys",
			says: "DeletePattern removes all 1000 matching keys (every SCAN batch, not just the first) and reports 1000",
			run: func(t testing.TB, e *env) {
				e.requireSetMany(t, relItems(e, "bulk", 1000))
				e.requireSetMany(t, relItems(e, "keep", 10))
				if n, err := e.s.DeletePattern(e.ctx, e.pattern("bulk:*")); err != nil || n != 1000 {
					t.Errorf("DeletePattern(bulk:*) = %d, %v; want 1000, nil", n, err)
				}
				got := e.scanAll(t, e.pattern("*"))
				wantKeySet(t, "keys left", got, itemKeys(relItems(e, "keep", 10)))
			},
		},
		rule{
			name: "Scan/ThousandKeys",
			says: "Scan reports each of 1000 matching keys (at least once) and no other",
			run: func(t testing.TB, e *env) {
				items := relItems(e, "bulk", 1000)
				e.requireSetMany(t, items)
				e.requireSetMany(t, relItems(e, "other", 10))
				wantKeySet(t, "Scan(bulk:*)", e.scanAll(t, e.pattern("bulk:*")), itemKeys(items))
			},
		},
		rule{
			name: "Scan/StopsWhenFnReturnsFalse",
			says: "Scan calls fn no more after fn returns false, and returns no error",
			run: func(t testing.TB, e *env) {
				e.requireSetMany(t, relItems(e, "k", 100))
				calls := 0
				err := e.s.Scan(e.ctx, e.pattern("*"), func(string) bool {
					calls++
					return false
				})
				if err != nil || calls != 1 {
					t.Errorf("Scan with fn returning false: fn called %d times, error %v; want 1 call, nil", calls, err)
				}
			},
		},
		rule{
			name: "Namespace/Isolation",
			says: "DeletePattern of one namespace's escaped prefix + '*' deletes all of it and nothing of another namespace or version, nor un-namespaced keys",
			run:  runIsolation,
		},
	)
}

func runDeletePatternRow(t testing.TB, e *env, row globRow) {
	keys := e.setRelKeys(t, row.keys)
	pat := e.pattern(row.pattern)
	n, err := e.s.DeletePattern(e.ctx, pat)
	if err != nil || n != len(row.match) {
		t.Errorf("DeletePattern(%q) = %d, %v; want %d (%q), nil", pat, n, err, len(row.match), row.match)
	}
	for _, rel := range row.keys {
		if slices.Contains(row.match, rel) {
			e.wantMissing(t, e.key(rel))
		} else {
			e.wantValue(t, e.key(rel), []byte(rel))
		}
	}
	wantKeySet(t, "Scan after DeletePattern", e.scanAll(t, e.pattern("*")), keys(without(row.keys, row.match)))
}

// setRelKeys stores each relative key with itself as the value (skipping the rule if the store refuses,
// since the row's counts depend on every key) and returns a function mapping relative keys to full ones.
func (e *env) setRelKeys(t testing.TB, rels []string) func([]string) []string {
	t.Helper()
	items := make([]store.Item, len(rels))
	for i, rel := range rels {
		items[i] = store.Item{Key: e.key(rel), Value: []byte(rel), TTL: hour}
	}
	e.requireSetMany(t, items)
	return func(rels []string) []string {
		out := make([]string, len(rels))
		for i, rel := range rels {
			out[i] = e.key(rel)
		}
		return out
	}
}

// relItems returns n items "<name>:<i>" under the namespace.
func relItems(e *env, name string, n int) []store.Item {
	items := make([]store.Item, n)
	for i := range items {
		items[i] = store.Item{Key: e.key(fmt.Sprintf("%s:%d", name, i)), Value: []byte{byte(i)}, TTL: hour}
	}
	return items
}

func itemKeys(items []store.Item) []string {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	return keys
}

func without(all, drop []string) []string {
	var out []string
	for _, s := range all {
		if !slices.Contains(drop, s) {
			out = append(out, s)
		}
	}
	return out
}

// runIsolation fills the rule's namespace and its neighbours, clears the namespace, and checks that only
// it went. The neighbours lie outside the namespace, so the rule deletes them itself, by name.
func runIsolation(t testing.TB, e *env) {
	mine := []string{e.key("x"), e.key("y:z"), e.key("QRL/USDT")}
	others := []string{
		e.ns + "x:v1:x",      // a namespace whose name starts with this one's
		e.ns + ":v2:x",       // this namespace, another version
		e.ns + ":v1",         // the prefix without its trailing separator
		e.ns,                 // the bare namespace
		"x" + e.prefix + "x", // the prefix inside another key
		"cf-plain-" + e.tag,  // an un-namespaced key
		"cf-plain-" + e.tag + ":v1:x",
	}
	if e.decoy != "" {
		others = append(others, e.decoy+":v1:x") // matched by the namespace used as a pattern unescaped
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := e.s.Delete(ctx, others...); err != nil {
			t.Errorf("cleanup: Delete(%q): %v", others, err)
		}
	})
	var items []store.Item
	for _, k := range append(slices.Clone(mine), others...) {
		items = append(items, store.Item{Key: k, Value: []byte(k), TTL: hour})
	}
	e.requireSetMany(t, items)
	pat := glob.Escape(e.prefix) + "*"
	if n, err := e.s.DeletePattern(e.ctx, pat); err != nil || n != len(mine) {
		t.Errorf("DeletePattern(%q) = %d, %v; want %d, nil", pat, n, err, len(mine))
	}
	for _, k := range mine {
		e.wantMissing(t, k)
	}
	for _, k := range others {
		e.wantValue(t, k, []byte(k))
	}
}
