package redis

import (
	"bufio"
	"context"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/store"
)

// serverStats are the figures Stats reads from the server(s), summed over the masters of a Cluster.
type serverStats struct {
	keys, used, peak, max, evictions int64
	keyspaceHits, keyspaceMisses     int64 // INFO stats, all clients
	policy                           string
	masters                          int64
}

// unknownServerStats is what Stats reports for server figures it could not read.
var unknownServerStats = serverStats{keys: -1, used: -1, peak: -1, max: -1, evictions: -1}

// Stats reports this client's Hits and Misses and the server's figures: Keys = DBSIZE, UsedBytes and
// PeakBytes = used_memory and used_memory_peak, MaxBytes = maxmemory (0 = unlimited), EvictionPolicy =
// maxmemory_policy, Evictions = evicted_keys. On a Cluster, numbers are summed over the masters (MaxBytes
// is 0 if any master is unlimited), differing policies are listed comma-separated, and Extra["masters"]
// is the number of masters summed. Extra["keyspace_hits"] and Extra["keyspace_misses"] are the server's
// INFO stats counters (every client's lookups since its start or CONFIG RESETSTAT), summed over a
// Cluster's masters, read only when the server part was. Each call costs one pipeline per node: DBSIZE always (Keys is
// current), INFO memory and INFO stats only when the figures last read are older than
// Options.StatsMaxAge, so frequent calls stay cheap. PolicyNote says why a requested eviction policy is
// not in force (see EnsureEvictionPolicy). When the server cannot be read, the error is returned with
// the server fields at -1, and Hits and Misses still set.
//
// Breakers lists the circuit breakers' states from memory: while a breaker is open the server part
// fails at once (an error wrapping store.ErrCircuitOpen) and the rest is still reported.
//
// Bound: the server figures are waited for at most the Store's call budget (Budget; 1 s with the URL
// defaults), or less when ctx ends sooner; past it Stats fails with an error wrapping
// store.ErrUnavailable.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	if err := store.CheckCall(ctx, s.closed.Load(), backendName, "stats", ""); err != nil {
		return store.Stats{}, err
	}
	sctx, cancel := s.bound(ctx)
	srv, err := s.serverStats(sctx)
	cancel()
	st := store.Stats{
		Backend:        backendName,
		Hits:           s.hits.Load(),
		Misses:         s.misses.Load(),
		Keys:           srv.keys,
		UsedBytes:      srv.used,
		PeakBytes:      srv.peak,
		MaxBytes:       srv.max,
		Evictions:      srv.evictions,
		EvictionPolicy: srv.policy,
		Extra:          map[string]int64{"masters": srv.masters},
	}
	if s.breakers != nil {
		st.Breakers = s.breakers.stats()
	}
	if note := s.policyNote.Load(); note != nil {
		st.PolicyNote = *note
	}
	if err != nil {
		return st, s.opErr(ctx, "stats", "", err)
	}
	st.Extra["keyspace_hits"], st.Extra["keyspace_misses"] = srv.keyspaceHits, srv.keyspaceMisses
	return st, nil
}

// serverStats returns the server figures: DBSIZE every time (O(1) on the server, and Keys should reflect
// the writes just made), INFO figures reused for StatsMaxAge. Concurrent callers wait for one fetch
// rather than each sending their own.
func (s *Store) serverStats(ctx context.Context) (serverStats, error) {
	s.statsMu.Lock()
	defer s.statsMu.Unlock()
	fresh := !s.statsAt.IsZero() && s.opts.StatsMaxAge > 0 && time.Since(s.statsAt) < s.opts.StatsMaxAge
	var (
		mu       sync.Mutex
		sum      serverStats
		policies = map[string]bool{}
		unlimit  bool
	)
	err := s.forEachNode(ctx, func(ctx context.Context, node goredis.Cmdable) error {
		var mem, stats *goredis.StringCmd
		var size *goredis.IntCmd
		_, err := node.Pipelined(ctx, func(p goredis.Pipeliner) error {
			size = p.DBSize(ctx)
			if !fresh {
				mem = p.Info(ctx, "memory")
				stats = p.Info(ctx, "stats")
			}
			return nil
		})
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		sum.masters++
		sum.keys += size.Val()
		if fresh {
			return nil
		}
		m, st := parseInfo(mem.Val()), parseInfo(stats.Val())
		sum.used += infoInt(m, "used_memory")
		sum.peak += infoInt(m, "used_memory_peak")
		sum.evictions += infoInt(st, "evicted_keys")
		sum.keyspaceHits += infoInt(st, "keyspace_hits")
		sum.keyspaceMisses += infoInt(st, "keyspace_misses")
		if mx := infoInt(m, "maxmemory"); mx > 0 {
			sum.max += mx
		} else {
			unlimit = true
		}
		if p := m["maxmemory_policy"]; p != "" {
			policies[p] = true
		}
		return nil
	})
	if err != nil {
		return unknownServerStats, err
	}
	if fresh {
		cached := s.statsCache
		cached.keys, cached.masters = sum.keys, sum.masters
		return cached, nil
	}
	if unlimit {
		sum.max = 0
	}
	names := make([]string, 0, len(policies))
	for p := range policies {
		names = append(names, p)
	}
	sort.Strings(names)
	sum.policy = strings.Join(names, ",")
	s.statsCache, s.statsAt = sum, time.Now()
	return sum, nil
}

// invalidateStats makes the next Stats fetch fresh figures (after a policy change, say).
func (s *Store) invalidateStats() {
	s.statsMu.Lock()
	s.statsAt = time.Time{}
	s.statsMu.Unlock()
}

// parseInfo reads the "field:value" lines of an INFO reply.
func parseInfo(info string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// infoInt returns an integer INFO field, or 0 when it is absent or not a number (a server that hides a
// field then contributes nothing rather than poisoning a sum).
func infoInt(m map[string]string, field string) int64 {
	n, err := strconv.ParseInt(m[field], 10, 64)
	if err != nil {
		return 0
	}
	return n
}
