package redistest

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/redis/go-redis/v9"
)

// CurrentMaster returns the address the sentinel names as the master now (SENTINEL
// GET-MASTER-ADDR-BY-NAME).
func (s *SentinelSetup) CurrentMaster(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	addr, err := s.masterAddr(ctx)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	return addr
}

func (s *SentinelSetup) masterAddr(ctx context.Context) (string, error) {
	sc := s.sentinelClient()
	defer sc.Close()
	hp, err := sc.GetMasterAddrByName(ctx, s.MasterName).Result()
	if err != nil {
		return "", fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME %s: %w", s.MasterName, err)
	}
	if len(hp) != 2 {
		return "", fmt.Errorf("SENTINEL GET-MASTER-ADDR-BY-NAME %s answered %v", s.MasterName, hp)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

func (s *SentinelSetup) sentinelClient() *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{Addr: s.SentinelAddrs[0], Protocol: 2, DisableIdentity: true, MaxRetries: -1})
}

// Failover makes the sentinel fail the master over (SENTINEL FAILOVER, without asking the master:
// writes it acknowledged but had not yet replicated may be lost, as in a real failover) and returns the
// new master's address once the sentinel names it and it reports role:master. The sentinel turns the old
// master into a replica of the new one on its next look at it, which can be up to 10 s later (its INFO
// period); until then the old master still accepts writes from clients that have not followed the switch.
func (s *SentinelSetup) Failover(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failoverTimeout)
	defer cancel()
	old, err := s.masterAddr(ctx)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	sc := s.sentinelClient()
	defer sc.Close()
	if err := sc.Failover(ctx, s.MasterName).Err(); err != nil {
		t.Fatalf("redistest: SENTINEL FAILOVER %s: %v", s.MasterName, err)
	}
	var now string
	err = poll(ctx, nil, func(ctx context.Context) error {
		if now, err = s.masterAddr(ctx); err != nil {
			return err
		}
		if now == old {
			return fmt.Errorf("the sentinel still names %s", old)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("redistest: sentinel failover from %s: %v", old, err)
	}
	if err := waitRole(ctx, now, map[string]string{"role": "master"}); err != nil {
		t.Fatalf("redistest: new master %s: %v", now, err)
	}
	return now
}

// waitRole polls INFO replication at addr until it has every wanted value.
func waitRole(ctx context.Context, addr string, want map[string]string) error {
	cl := adminClient(addr)
	defer cl.Close()
	return poll(ctx, nil, func(ctx context.Context) error {
		info, err := cl.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		return infoHas(info, want)
	})
}

// Pause freezes the data server at addr (the master or the replica, by its address now; SIGSTOP to its
// process group). A paused master is seen down by the sentinel after its down-after 1000 ms, which then
// fails it over on its own. Pausing a paused server does nothing; t.Cleanup resumes it.
func (s *SentinelSetup) Pause(t testing.TB, addr string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.data[addr]
	if !ok {
		t.Fatalf("redistest: pause: %s is not a data server of this setup", addr)
	}
	if s.paused[addr] {
		return
	}
	if err := p.freeze(true); err != nil {
		t.Fatalf("redistest: pause %s: %v", addr, err)
	}
	s.paused[addr] = true
	t.Cleanup(func() { s.Resume(t, addr) })
}

// Resume lets a paused data server run again. Resuming a running one does nothing.
func (s *SentinelSetup) Resume(t testing.TB, addr string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.data[addr]
	if !ok {
		t.Fatalf("redistest: resume: %s is not a data server of this setup", addr)
	}
	if !s.paused[addr] {
		return
	}
	if err := p.freeze(false); err != nil {
		t.Fatalf("redistest: resume %s: %v", addr, err)
	}
	s.paused[addr] = false
}
