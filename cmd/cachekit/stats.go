package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cachekit/cachekit"
	"github.com/cachekit/cachekit/store"
)

func statsCommand() command {
	return command{
		name:    "stats",
		summary: "show the namespace's key count, the backend's stats and hit ratios",
		about: `
Prints the number of keys in the namespace (counted with SCAN, at most 1,000,000) and the backend's
figures: total keys (all namespaces; DBSIZE on Redis), memory in use, peak and limit, evictions, the
eviction policy in force, and for a tiered store each tier. A figure the backend cannot know is shown
as "unknown" (-1 in JSON).

"hit ratio" is the store's Hits / (Hits + Misses) for each tier that counts them. These count this
client's lookups only (the lookups of this stats process, so usually none: "no lookups"), not the
application's; for the application's hit ratios per kind, serve its metrics and run
'cachekit top --metrics URL'. "server hit ratio" is keyspace_hits / (keyspace_hits + keyspace_misses)
of the server (all clients, since its start or CONFIG RESETSTAT), shown when the backend reports them
in its extra figures.

--json prints one JSON object instead:
  {"namespace", "namespace_keys", "namespace_keys_capped",
   "store": {"backend", "keys", "used_bytes", "peak_bytes", "max_bytes" (0 = unlimited), "evictions",
             "rejected_sets", "eviction_policy", "policy_note", "hits", "misses",
             "hit_ratio" (0..1, null without lookups), "server_hit_ratio" (0..1, only when known),
             "extra", "tiers": [store...]}}`,
		setup: func(a *app, fs *flag.FlagSet) func(context.Context, []string) error {
			cf := cacheFlags{ops: true}
			cf.register(fs)
			asJSON := jsonFlag(fs)
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usageErrorf("stats takes no arguments, got %q", args)
				}
				cache, err := cf.open(ctx, a)
				if err != nil {
					return err
				}
				defer cache.Close()
				st, err := cache.Stats(ctx)
				if err != nil {
					return err
				}
				if *asJSON {
					return writeJSON(a.stdout, toStatsJSON(st))
				}
				return writeStats(a.stdout, st)
			}
		},
	}
}

type statsJSON struct {
	Namespace     string         `json:"namespace"`
	NamespaceKeys int64          `json:"namespace_keys"`
	KeysCapped    bool           `json:"namespace_keys_capped"`
	Store         storeStatsJSON `json:"store"`
}

type storeStatsJSON struct {
	Backend        string           `json:"backend"`
	Keys           int64            `json:"keys"`
	UsedBytes      int64            `json:"used_bytes"`
	PeakBytes      int64            `json:"peak_bytes"`
	MaxBytes       int64            `json:"max_bytes"`
	Evictions      int64            `json:"evictions"`
	RejectedSets   int64            `json:"rejected_sets"`
	EvictionPolicy string           `json:"eviction_policy"`
	PolicyNote     string           `json:"policy_note,omitempty"`
	Hits           int64            `json:"hits"`
	Misses         int64            `json:"misses"`
	HitRatio       *float64         `json:"hit_ratio"`
	ServerHitRatio *float64         `json:"server_hit_ratio,omitempty"`
	Extra          map[string]int64 `json:"extra,omitempty"`
	Tiers          []storeStatsJSON `json:"tiers,omitempty"`
}

func toStatsJSON(st cachekit.Stats) statsJSON {
	return statsJSON{Namespace: st.Namespace, NamespaceKeys: st.NamespaceKeys, KeysCapped: st.KeysCapped, Store: toStoreJSON(st.Store)}
}

func toStoreJSON(s store.Stats) storeStatsJSON {
	out := storeStatsJSON{
		Backend: s.Backend, Keys: s.Keys, UsedBytes: s.UsedBytes, PeakBytes: s.PeakBytes, MaxBytes: s.MaxBytes,
		Evictions: s.Evictions, RejectedSets: s.RejectedSets, EvictionPolicy: s.EvictionPolicy,
		PolicyNote: s.PolicyNote, Hits: s.Hits, Misses: s.Misses, Extra: s.Extra,
	}
	out.HitRatio, _ = ratio(s.Hits, s.Misses)
	out.ServerHitRatio, _, _ = serverHitRatio(s)
	for _, t := range s.Tiers {
		out.Tiers = append(out.Tiers, toStoreJSON(t))
	}
	return out
}

func writeStats(w io.Writer, st cachekit.Stats) error {
	var b strings.Builder
	keys := countText(st.NamespaceKeys)
	if st.KeysCapped {
		keys = "at least " + keys
	}
	fmt.Fprintf(&b, "namespace:         %s\n", st.Namespace)
	fmt.Fprintf(&b, "namespace keys:    %s\n", keys)
	writeStoreStats(&b, st.Store, "")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStoreStats(b *strings.Builder, s store.Stats, indent string) {
	line := func(label, value string) { fmt.Fprintf(b, "%s%-18s %s\n", indent, label+":", value) }
	line("backend", s.Backend)
	line("keys (all)", countText(s.Keys))
	limit := "unlimited"
	if s.MaxBytes > 0 {
		limit = fmtBytes(s.MaxBytes)
	} else if s.MaxBytes < 0 {
		limit = "unknown"
	}
	line("memory", fmt.Sprintf("%s used, %s peak, limit %s", fmtBytes(s.UsedBytes), fmtBytes(s.PeakBytes), limit))
	line("evictions", countText(s.Evictions))
	if s.RejectedSets > 0 {
		line("rejected sets", itoa(s.RejectedSets))
	}
	policy := s.EvictionPolicy
	if policy == "" {
		policy = "unknown"
	}
	line("eviction policy", policy)
	line("hit ratio", hitRatioText(s.Hits, s.Misses)+" (this client's lookups)")
	if r, hits, misses := serverHitRatio(s); r != nil {
		line("server hit ratio", fmt.Sprintf("%s (keyspace_hits %d, keyspace_misses %d; all clients)", pct(*r), hits, misses))
	}
	if s.PolicyNote != "" {
		line("policy note", s.PolicyNote)
	}
	if len(s.Extra) > 0 {
		names := make([]string, 0, len(s.Extra))
		for k := range s.Extra {
			names = append(names, k)
		}
		sort.Strings(names)
		parts := make([]string, len(names))
		for i, k := range names {
			parts[i] = fmt.Sprintf("%s=%d", k, s.Extra[k])
		}
		line("extra", strings.Join(parts, " "))
	}
	for i, t := range s.Tiers {
		fmt.Fprintf(b, "%stier %d:\n", indent, i+1)
		writeStoreStats(b, t, indent+"  ")
	}
}

// Names of the server-wide lookup counters (Redis INFO stats) a backend may report in Stats.Extra.
const (
	extraKeyspaceHits   = "keyspace_hits"
	extraKeyspaceMisses = "keyspace_misses"
)

// ratio returns hits / (hits + misses) and whether it is defined: nil when a count is unknown (< 0) or
// there was no lookup.
func ratio(hits, misses int64) (*float64, bool) {
	if hits < 0 || misses < 0 || hits+misses == 0 {
		return nil, false
	}
	r := float64(hits) / float64(hits+misses)
	return &r, true
}

// serverHitRatio returns the server's keyspace hit ratio when the backend reports keyspace_hits and
// keyspace_misses in Extra, with the two counts.
func serverHitRatio(s store.Stats) (*float64, int64, int64) {
	hits, okH := s.Extra[extraKeyspaceHits]
	misses, okM := s.Extra[extraKeyspaceMisses]
	if !okH || !okM {
		return nil, 0, 0
	}
	r, _ := ratio(hits, misses)
	return r, hits, misses
}

// hitRatioText shows a hit ratio with its counts: "75.0% (3 hits, 1 miss)", "no lookups", "unknown".
func hitRatioText(hits, misses int64) string {
	if hits < 0 || misses < 0 {
		return "unknown"
	}
	r, ok := ratio(hits, misses)
	if !ok {
		return "no lookups"
	}
	return fmt.Sprintf("%s (%s, %s)", pct(*r), plural(hits, "hit", "hits"), plural(misses, "miss", "misses"))
}

// pct formats a 0..1 ratio as a percentage with one decimal.
func pct(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return itoa(n) + " " + many
}
