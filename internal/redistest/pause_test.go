package redistest

import (
	"context"
	"testing"
	"time"
)

func TestPauseFreezesAndResumeThaws(t *testing.T) {
	c := Dedicated(t)
	cli := adminClient(c.Addr)
	defer cli.Close()
	ctx := context.Background()
	if err := cli.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if c.Source == SourceProcess {
		if err := cli.Do(ctx, "DEBUG", "SLEEP", "0").Err(); err != nil {
			t.Fatalf("DEBUG is not enabled on test servers: %v", err)
		}
	}
	c.Pause(t)
	if !c.Paused() {
		t.Fatal("Paused() = false after Pause")
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	err := cli.Get(short, "k").Err()
	cancel()
	if err == nil {
		t.Fatal("a paused server answered GET")
	}
	c.Resume(t)
	if got, err := cli.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("after Resume: GET = %q, %v; want v", got, err)
	}
}
