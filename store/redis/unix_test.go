package redis

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// TestUnixSocket opens a Store by unix:// URL on a redis-server of its own (redistest offers TCP
// servers only), listening on a socket and no TCP port.
func TestUnixSocket(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CACHEKIT_REQUIRE_REDIS") == "1" {
			t.Fatal("CACHEKIT_REQUIRE_REDIS=1 but no redis-server on PATH for the unix socket test")
		}
		t.Skip("no redis-server on PATH")
	}
	dir := t.TempDir()
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	s := openT(t, "unix://"+sock+"?db=2")
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer within 5s: %v", sock, s.Ping(ctx))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Set(ctx, "unix:v1:k", []byte("over a socket"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "unix:v1:k"); err != nil || string(v) != "over a socket" {
		t.Errorf("Get over the unix socket = %q, %v", v, err)
	}
	direct := goredis.NewClient(&goredis.Options{Network: "unix", Addr: sock, DB: 2})
	defer direct.Close()
	if v, err := direct.Get(ctx, "unix:v1:k").Result(); err != nil || v != "over a socket" {
		t.Errorf("the value is not in database 2 (?db=2): %q, %v", v, err)
	}
}
