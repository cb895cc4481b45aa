package redistest

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestRequirePassAndDo: after RequirePass a client without the password is refused (NOAUTH) and one
// with it is served; Do keeps working (it authenticates), and a restarted server requires it again.
func TestRequirePassAndDo(t *testing.T) {
	c := Dedicated(t)
	c.RequirePass(t, "s3cret")
	ctx := context.Background()

	if err := dial(t, c.Addr).Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without the password: %v, want NOAUTH", err)
	}
	authed := redis.NewClient(&redis.Options{Addr: c.Addr, Password: "s3cret", MaxRetries: -1, DialerRetries: 1})
	defer authed.Close()
	if err := authed.Ping(ctx).Err(); err != nil {
		t.Fatalf("PING with the password: %v", err)
	}
	if got := c.Do(t, "ACL", "SETUSER", "reader", "on", ">pw", "~*", "+@all", "-get"); got != "OK" {
		t.Fatalf("Do(ACL SETUSER) = %v, want OK", got)
	}

	c.Stop(t)
	c.Start(t)
	if err := dial(t, c.Addr).Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "NOAUTH") {
		t.Fatalf("PING without the password after a restart: %v, want NOAUTH", err)
	}
	if got := c.Do(t, "PING"); got != "PONG" {
		t.Fatalf("Do(PING) after a restart = %v, want PONG", got)
	}
}
