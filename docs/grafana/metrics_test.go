package grafana_test

// specMetrics are the metrics cachekitprom exports (the shared metrics spec) with their own labels.
// Histograms are marked: a query names them by their _bucket, _sum or _count series.
var specMetrics = map[string]metric{
	"cachekit_operations_total":                       {labels: []string{"op", "kind", "outcome"}},
	"cachekit_operation_duration_seconds":             {labels: []string{"op"}, histogram: true},
	"cachekit_load_duration_seconds":                  {labels: []string{"kind"}, histogram: true},
	"cachekit_stale_age_seconds":                      {labels: []string{"kind"}, histogram: true},
	"cachekit_fetch_coalesced_total":                  {},
	"cachekit_fetch_store_errors_total":               {},
	"cachekit_leases_taken_total":                     {},
	"cachekit_lease_waits_total":                      {},
	"cachekit_encode_errors_total":                    {},
	"cachekit_store_up":                               {},
	"cachekit_namespace_keys":                         {},
	"cachekit_store_keys":                             {labels: []string{"tier"}},
	"cachekit_store_memory_bytes":                     {labels: []string{"tier"}},
	"cachekit_store_memory_max_bytes":                 {labels: []string{"tier"}},
	"cachekit_store_evictions_total":                  {labels: []string{"tier"}},
	"cachekit_store_rejected_sets_total":              {labels: []string{"tier"}},
	"cachekit_store_hits_total":                       {labels: []string{"tier"}},
	"cachekit_store_misses_total":                     {labels: []string{"tier"}},
	"cachekit_store_eviction_policy_info":             {labels: []string{"tier", "policy"}},
	"cachekit_breaker_state":                          {labels: []string{"endpoint", "state"}},
	"cachekit_breaker_opens_total":                    {labels: []string{"endpoint"}},
	"cachekit_breaker_rejected_total":                 {labels: []string{"endpoint"}},
	"cachekit_invalidations_sent_total":               {},
	"cachekit_invalidations_received_total":           {},
	"cachekit_invalidations_dropped_total":            {},
	"cachekit_l1_flushes_total":                       {},
	"cachekit_backfills_total":                        {},
	"cachekit_l1_stale_served_total":                  {},
	"cachekit_invalidation_lag_seconds":               {histogram: true},
	"cachekit_invalidation_subscription_losses_total": {},
}

// labelValues are the closed sets of values some labels take (the Op, Outcome and breaker state names).
var labelValues = map[string][]string{
	"op":      {"get", "view", "get_many", "fetch", "fetch_many", "set", "set_many", "delete", "load"},
	"outcome": {"hit", "miss", "stale", "error", "type_mismatch", "corrupt", "ok", "panic"},
	"state":   {"closed", "half_open", "open"},
	"tier":    {"l1", "l2"},
}

// targetLabels are the labels any series may carry besides its own: job and instance, which Prometheus
// adds to every series it scrapes, and cache, the constant label cachekitprom.WithConstLabels documents
// for telling two Caches of one process apart.
var targetLabels = []string{"job", "instance", "cache"}

type metric struct {
	labels    []string
	histogram bool
}

// lookup resolves a series name to its spec metric and the labels it may carry.
func lookup(name string) ([]string, bool) {
	if m, ok := specMetrics[name]; ok && !m.histogram {
		return m.labels, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, found := cutSuffix(name, suffix)
		if m, ok := specMetrics[base]; found && ok && m.histogram {
			if suffix == "_bucket" {
				return append([]string{"le"}, m.labels...), true
			}
			return m.labels, true
		}
	}
	return nil, false
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}
