package redistest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// KillPubSub closes, on each server at addrs, the pub/sub connections of the clients named name (the
// go-redis ClientName, URL option client_name), as a network failure would, and returns how many it
// closed. It touches no other client, so tests sharing a server (or CACHEKIT_TEST_REDIS_URL's) are not
// disturbed; CLIENT KILL TYPE pubsub would drop everyone's. For a Cluster pass every master's address:
// a subscription's connection may be on any of them. The test fails on a server that does not answer.
func KillPubSub(t testing.TB, name string, addrs ...string) int {
	t.Helper()
	if name == "" {
		t.Fatal("redistest: KillPubSub needs a client name; an empty one would match every unnamed client")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	killed := 0
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
		list, err := c.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").Text()
		if err != nil {
			_ = c.Close()
			t.Fatalf("redistest: CLIENT LIST TYPE pubsub on %s: %v", addr, err)
		}
		for _, id := range clientIDs(list, name) {
			n, err := c.Do(ctx, "CLIENT", "KILL", "ID", id).Int()
			if err != nil {
				_ = c.Close()
				t.Fatalf("redistest: CLIENT KILL ID %s on %s: %v", id, addr, err)
			}
			killed += n
		}
		_ = c.Close()
	}
	return killed
}

// clientIDs returns the ids of the CLIENT LIST lines whose name is name.
func clientIDs(list, name string) []string {
	var ids []string
	for _, line := range strings.Split(list, "\n") {
		var id, n string
		for _, field := range strings.Fields(line) {
			k, v, _ := strings.Cut(field, "=")
			switch k {
			case "id":
				id = v
			case "name":
				n = v
			}
		}
		if n == name && id != "" {
			if _, err := strconv.ParseUint(id, 10, 64); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
