package conformance

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cachekit/cachekit/internal/glob"
)

// TestRuleTable checks the table itself: enough rules, unique names usable with go test -run, and a
// stated rule for each. (The rules' behaviour is exercised by each backend's TestConformance.)
func TestRuleTable(t *testing.T) {
	rules := allRules()
	if len(rules) < 25 {
		t.Errorf("the suite has %d rules, want at least 25", len(rules))
	}
	name := regexp.MustCompile(`^[A-Z][A-Za-z0-9]*/[A-Z][A-Za-z0-9]*$`)
	seen := map[string]bool{}
	for _, r := range rules {
		if !name.MatchString(r.name) {
			t.Errorf("rule name %q is not Group/Name in CamelCase (it must survive go test -run unchanged)", r.name)
		}
		if seen[r.name] {
			t.Errorf("rule name %q is used twice", r.name)
		}
		seen[r.name] = true
		if strings.TrimSpace(r.says) == "" {
			t.Errorf("rule %q states no rule in says", r.name)
		}
		if r.run == nil {
			t.Errorf("rule %q has no run function", r.name)
		}
	}
	// The rules issue 2 requires by topic, each present under its group.
	for _, group := range []string{"Get", "Keys", "RoundTrip", "Set", "TTL", "Add", "GetMany", "SetMany", "Delete",
		"DeletePattern", "Scan", "Namespace", "Copies", "Context", "Concurrency", "Stats", "Close", "Shared",
		"Viewer", "DecodedCache", "TTLReader", "Broadcaster", "Pinger", "CompareDeleter"} {
		if !slices.ContainsFunc(rules, func(r rule) bool { return strings.HasPrefix(r.name, group+"/") }) {
			t.Errorf("no rule in group %s", group)
		}
	}
}

// TestGlobRowsAgreeWithMatch checks each glob row against glob.Match (store.Match), the Redis-compatible
// matcher that in-process backends share (the rows themselves were checked against redis-server, see
// globRows), and that every row's matches are among its keys, so a row cannot pass by matching nothing
// it created.
func TestGlobRowsAgreeWithMatch(t *testing.T) {
	for _, m := range nsModes {
		prefix := m.start + "0123abcd:v1:"
		pat := func(rel string) string { return escapeForTest(prefix) + rel }
		for _, row := range globRows {
			for _, k := range row.match {
				if !slices.Contains(row.keys, k) {
					t.Errorf("%s: match %q is not among the row's keys", row.name, k)
				}
			}
			for _, k := range row.keys {
				want := slices.Contains(row.match, k)
				if got := glob.Match(pat(row.pattern), prefix+k); got != want {
					t.Errorf("ns=%s %s: Match(%q, %q) = %v, the row says %v", m.name, row.name, pat(row.pattern), prefix+k, got, want)
				}
			}
		}
	}
}

// TestGlobNamespaceDecoy checks the premise of the glob namespace: its unescaped form, used as a pattern,
// matches the decoy namespace, and its escaped form matches only itself.
func TestGlobNamespaceDecoy(t *testing.T) {
	for _, m := range nsModes {
		if m.decoy == "" {
			continue
		}
		ns, decoy := m.start+"0123abcd", m.decoy+"0123abcd"
		if !glob.Match(ns+":v1:*", decoy+":v1:x") {
			t.Errorf("the unescaped namespace %q does not match its decoy %q; the decoy tests nothing", ns, decoy)
		}
		if glob.Match(escapeForTest(ns)+":v1:*", decoy+":v1:x") || !glob.Match(escapeForTest(ns)+":v1:*", ns+":v1:x") {
			t.Errorf("the escaped namespace %q does not select exactly itself", ns)
		}
	}
}

func escapeForTest(s string) string {
	return (&env{prefix: s}).pattern("")
}
