package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// sentinelTimeout bounds how long replication and the sentinel's discovery of the replica may take.
const sentinelTimeout = 30 * time.Second

// SentinelSetup is one master, one replica and one sentinel monitoring them, all loopback processes.
type SentinelSetup struct {
	// MasterName is the name the sentinel monitors the master under: "mymaster".
	MasterName string
	// SentinelAddrs lists the sentinels' addresses, "127.0.0.1:port".
	SentinelAddrs []string
	// Master and Replica are the data servers as started (after a failover their roles are swapped).
	Master, Replica *Server
	// URL is "redis+sentinel://127.0.0.1:sentinelport/mymaster" (further sentinels as ?addr=host:port),
	// the form store/redis opens.
	URL string

	mu     sync.Mutex
	data   map[string]*proc // the data servers by address, for Pause
	paused map[string]bool
}

// Sentinel starts a new master, a replica of it and a sentinel monitoring the master as "mymaster"
// (quorum 1, down-after 1000 ms, failover-timeout 5000 ms; everything announces 127.0.0.1), owned by this
// test and removed in t.Cleanup, so the test may fail the master over. It returns once the replica is in
// sync and the sentinel knows the replica as a connected, healthy slave. Without a redis-server binary the
// test is skipped (fails when EnvRequire is true).
func Sentinel(t testing.TB) *SentinelSetup {
	t.Helper()
	began := time.Now()
	s, stop, err := startSentinel()
	if err != nil {
		fail(t, "Sentinel", waysProcess, err)
	}
	t.Cleanup(stop)
	t.Logf("redistest: Redis Sentinel %s watching master %s, replica %s (up in %v)",
		s.SentinelAddrs[0], s.Master.Addr, s.Replica.Addr, time.Since(began).Round(time.Millisecond))
	return s
}

func startSentinel() (*SentinelSetup, func(), error) {
	const name = "mymaster"
	bin, err := redisServer()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-sentinel-")
	if err != nil {
		return nil, nil, err
	}
	var procs []*proc
	stop := track(func() {
		for _, p := range procs {
			p.kill()
		}
		os.RemoveAll(dir)
	})
	failed := func(err error) (*SentinelSetup, func(), error) {
		stop()
		return nil, nil, err
	}

	// Each data server gets its own directory: a replica's or a failed-over master's RDB must not collide.
	dataArgs := func(role string, extra ...string) func(port int) []string {
		return func(port int) []string {
			d := filepath.Join(dir, role)
			_ = os.MkdirAll(d, 0o700)
			return append(append(baseArgs(port, d),
				"--replica-announce-ip", "127.0.0.1",
				// Without this, a diskless full sync first waits 5 s for more replicas.
				"--repl-diskless-sync-delay", "0",
			), extra...)
		}
	}
	master, err := startProc("master", bin, freePort, dataArgs("master"))
	if err != nil {
		return failed(err)
	}
	procs = append(procs, master)
	replica, err := startProc("replica", bin, freePort, dataArgs("replica", "--replicaof", "127.0.0.1", strconv.Itoa(master.port)))
	if err != nil {
		return failed(err)
	}
	procs = append(procs, replica)

	ctx, cancel := context.WithTimeout(context.Background(), sentinelTimeout)
	defer cancel()
	// The sentinel learns about replicas from the master's INFO, which it reads at once on start and then
	// only every 10 s: start it after the replica is attached.
	mc := adminClient(master.addr())
	defer mc.Close()
	err = poll(ctx, nil, func(ctx context.Context) error {
		info, err := mc.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		want := fmt.Sprintf("ip=127.0.0.1,port=%d,state=online,", replica.port)
		if got := parseInfo(info)["slave0"]; !strings.HasPrefix(got, want) {
			return fmt.Errorf("slave0 is %q, want a prefix %q", got, want)
		}
		return nil
	})
	if err != nil {
		return failed(fmt.Errorf("replica %s never came online at master %s: %w", replica.addr(), master.addr(), err))
	}

	sentinel, err := startProc("sentinel", bin, freePort, func(port int) []string {
		conf := filepath.Join(dir, "sentinel-"+strconv.Itoa(port)+".conf")
		// The sentinel rewrites its configuration file, so it must be a file of its own.
		_ = os.WriteFile(conf, []byte(strings.Join([]string{
			"port " + strconv.Itoa(port),
			"bind 127.0.0.1",
			"protected-mode no",
			"dir " + dir,
			"sentinel announce-ip 127.0.0.1",
			fmt.Sprintf("sentinel monitor %s 127.0.0.1 %d 1", name, master.port),
			"sentinel down-after-milliseconds " + name + " 1000",
			"sentinel failover-timeout " + name + " 5000",
			"",
		}, "\n")), 0o600)
		return []string{conf, "--sentinel", "--daemonize", "no", "--logfile", ""}
	})
	if err != nil {
		return failed(err)
	}
	procs = append(procs, sentinel)

	sc := redis.NewSentinelClient(&redis.Options{Addr: sentinel.addr(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer sc.Close()
	err = poll(ctx, nil, func(ctx context.Context) error {
		replicas, err := sc.Replicas(ctx, name).Result()
		if err != nil {
			return err
		}
		for _, r := range replicas {
			if r["ip"] == "127.0.0.1" && r["port"] == strconv.Itoa(replica.port) && r["flags"] == "slave" &&
				r["master-link-status"] == "ok" {
				return nil
			}
		}
		return fmt.Errorf("sentinel lists replicas %v", replicas)
	})
	if err != nil {
		return failed(fmt.Errorf("sentinel %s never saw replica %s healthy: %w", sentinel.addr(), replica.addr(), err))
	}

	return &SentinelSetup{
		MasterName:    name,
		SentinelAddrs: []string{sentinel.addr()},
		Master:        &Server{Addr: master.addr(), URL: redisURL(master.addr()), Source: SourceProcess},
		Replica:       &Server{Addr: replica.addr(), URL: redisURL(replica.addr()), Source: SourceProcess},
		URL:           "redis+sentinel://" + sentinel.addr() + "/" + name,
		data:          map[string]*proc{master.addr(): master, replica.addr(): replica},
		paused:        map[string]bool{},
	}, stop, nil
}
