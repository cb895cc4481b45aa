package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// Environment variables naming the Redis servers (run.sh sets them to processes it started).
const (
	envRedis   = "CACHEKIT_BENCH_REDIS"   // standalone, "127.0.0.1:port"
	envCluster = "CACHEKIT_BENCH_CLUSTER" // cluster masters, "127.0.0.1:p1,127.0.0.1:p2,..."
)

// TestMain states the parallelism every figure was measured with, as benchfmt configuration lines
// (so benchstat prints them above its tables).
func TestMain(m *testing.M) {
	fmt.Printf("gomaxprocs: %d\nnumcpu: %d\ngoversion: %s\n", runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.Version())
	os.Exit(m.Run())
}

// standaloneAddr returns the standalone server's address, or skips.
func standaloneAddr(tb testing.TB) string {
	tb.Helper()
	addr := os.Getenv(envRedis)
	if addr == "" {
		tb.Skipf("no standalone Redis: set %s=host:port (bench/run.sh starts one and sets it)", envRedis)
	}
	return addr
}

// clusterAddrs returns the cluster masters' addresses, or skips.
func clusterAddrs(tb testing.TB) []string {
	tb.Helper()
	v := os.Getenv(envCluster)
	if v == "" {
		tb.Skipf("no Redis Cluster: set %s=host:p1,host:p2,... (bench/run.sh starts one and sets it)", envCluster)
	}
	return strings.Split(v, ",")
}

// Client settings shared by cachekit and the raw baseline, which use one client object. The pool is
// go-redis's default (10 per GOMAXPROCS); timeouts are cachekit's recommended ones, loose enough that a
// loaded 2-core machine never times out.
const (
	dialTimeout = 2 * time.Second
	ioTimeout   = 2 * time.Second
)

// newClient returns a go-redis client of the standalone server, closed at cleanup.
func newClient(tb testing.TB) *goredis.Client {
	tb.Helper()
	c := goredis.NewClient(&goredis.Options{
		Addr: standaloneAddr(tb), DialTimeout: dialTimeout, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout,
	})
	if err := c.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("standalone Redis at %s: %v", c.Options().Addr, err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// newClusterClient returns a go-redis Cluster client, closed at cleanup.
func newClusterClient(tb testing.TB) *goredis.ClusterClient {
	tb.Helper()
	c := goredis.NewClusterClient(&goredis.ClusterOptions{
		Addrs: clusterAddrs(tb), DialTimeout: dialTimeout, ReadTimeout: ioTimeout, WriteTimeout: ioTimeout,
	})
	if err := c.ForEachMaster(context.Background(), func(ctx context.Context, n *goredis.Client) error {
		return n.Ping(ctx).Err()
	}); err != nil {
		tb.Fatalf("Redis Cluster at %s: %v", os.Getenv(envCluster), err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// newClientOf returns a client of the given topology ("standalone" or "cluster").
func newClientOf(tb testing.TB, topology string) goredis.UniversalClient {
	if topology == "cluster" {
		return newClusterClient(tb)
	}
	return newClient(tb)
}

// newRueidis returns a rueidis client of the standalone server with its defaults (auto-pipelining,
// client-side caching over RESP3 tracking), closed at cleanup.
func newRueidis(tb testing.TB) rueidis.Client {
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{standaloneAddr(tb)}})
	if err != nil {
		tb.Fatalf("rueidis: %v", err)
	}
	tb.Cleanup(c.Close)
	return c
}

// topologies lists the Redis topologies a benchmark runs on.
var topologies = []string{"standalone", "cluster"}
