package redis

import (
	"context"
	"strconv"
	"testing"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStatsStandalone(t *testing.T) {
	s, c, prefix := standaloneWithCounter(t, Options{StatsMaxAge: time.Hour})
	ctx := context.Background()
	keys := fill(t, s, prefix, 5)
	if _, err := s.Get(ctx, keys[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, prefix+"missing"); err == nil {
		t.Fatal("Get of a missing key succeeded")
	}
	if _, err := s.GetMany(ctx, []string{keys[1], keys[2], prefix + "missing"}); err != nil {
		t.Fatal(err)
	}
	c.reset()
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Backend != "redis" || st.Hits != 3 || st.Misses != 2 {
		t.Errorf("Backend %q Hits %d Misses %d, want redis 3 2", st.Backend, st.Hits, st.Misses)
	}
	if st.Keys < 5 || st.UsedBytes <= 0 || st.PeakBytes <= 0 || st.MaxBytes < 0 || st.Evictions < 0 {
		t.Errorf("server figures Keys %d Used %d Peak %d Max %d Evictions %d", st.Keys, st.UsedBytes, st.PeakBytes, st.MaxBytes, st.Evictions)
	}
	if st.EvictionPolicy == "" || st.Extra["masters"] != 1 {
		t.Errorf("EvictionPolicy %q masters %d", st.EvictionPolicy, st.Extra["masters"])
	}
	// The server's own counters cover every client: at least this test's 3 hits and 2 misses.
	if st.Extra["keyspace_hits"] < 3 || st.Extra["keyspace_misses"] < 2 {
		t.Errorf("server keyspace_hits %d misses %d, want at least 3 and 2", st.Extra["keyspace_hits"], st.Extra["keyspace_misses"])
	}
	if _, _, pipes := c.snapshot(); pipes != 1 || c.pipedCount() != 3 {
		t.Errorf("first Stats sent %d pipelines of %d commands, want 1 of 3 (DBSIZE, INFO memory, INFO stats)", pipes, c.pipedCount())
	}

	// Within StatsMaxAge only DBSIZE is asked again, and Keys follows writes at once.
	fill(t, s, prefix+"more:", 4)
	c.reset()
	st2, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, pipes := c.snapshot(); pipes != 1 || c.pipedCount() != 1 {
		t.Errorf("cached Stats sent %d pipelines of %d commands, want 1 of 1 (DBSIZE)", pipes, c.pipedCount())
	}
	if st2.Keys < st.Keys+4 || st2.UsedBytes != st.UsedBytes || st2.EvictionPolicy != st.EvictionPolicy {
		t.Errorf("cached Stats: Keys %d (before %d, +4 written), Used %d (cached %d)", st2.Keys, st.Keys, st2.UsedBytes, st.UsedBytes)
	}
}

func TestStatsCluster(t *testing.T) {
	s, _, prefix := clusterWithCounter(t)
	fill(t, s, prefix, 30)
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Extra["masters"] != 3 || st.Keys < 30 || st.UsedBytes <= 0 || st.EvictionPolicy == "" {
		t.Errorf("cluster Stats: masters %d Keys %d Used %d policy %q; want 3 masters summed", st.Extra["masters"], st.Keys, st.UsedBytes, st.EvictionPolicy)
	}
}
