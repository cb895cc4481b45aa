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
		summary: "show the namespace's key count and the backend's stats",
		about: `
Prints the number of keys in the namespace (counted with SCAN, at most 1,000,000) and the backend's
figures: total keys (all namespaces; DBSIZE on Redis), memory in use, peak and limit, evictions, the
eviction policy in force, and for a tiered store each tier. A figure the backend cannot know is shown
as "unknown" (-1 in JSON). Hit and miss counters are per process and therefore not shown.

--json prints one JSON object instead:
  {"namespace", "namespace_keys", "namespace_keys_capped",
   "store": {"backend", "keys", "used_bytes", "peak_bytes", "max_bytes" (0 = unlimited), "evictions",
             "rejected_sets", "eviction_policy", "policy_note", "extra", "tiers": [store...]}}`,
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
		PolicyNote: s.PolicyNote, Extra: s.Extra,
	}
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
