package redistest

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// outcomeTB records how a helper ended a test instead of ending the real one.
type outcomeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (o *outcomeTB) Skip(args ...any) { o.skipped, o.msg = true, fmt.Sprint(args...); runtime.Goexit() }
func (o *outcomeTB) Skipf(f string, args ...any) {
	o.skipped, o.msg = true, fmt.Sprintf(f, args...)
	runtime.Goexit()
}
func (o *outcomeTB) Fatal(args ...any) { o.failed, o.msg = true, fmt.Sprint(args...); runtime.Goexit() }
func (o *outcomeTB) Fatalf(f string, args ...any) {
	o.failed, o.msg = true, fmt.Sprintf(f, args...)
	runtime.Goexit()
}

// runHelper runs fn with an outcomeTB in its own goroutine (Goexit ends only that goroutine).
func runHelper(t *testing.T, fn func(testing.TB)) *outcomeTB {
	o := &outcomeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(o)
	}()
	<-done
	return o
}

func TestNoRedisServerSkipsOrFailsAsRequired(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no redis-server anywhere

	t.Setenv(EnvRequire, "")
	o := runHelper(t, func(tb testing.TB) { Sentinel(tb) })
	if !o.skipped || o.failed {
		t.Fatalf("without %s: skipped=%v failed=%v (%s); want a skip", EnvRequire, o.skipped, o.failed, o.msg)
	}
	if !strings.Contains(o.msg, "redis-server") {
		t.Fatalf("skip message %q does not say how to provide Redis", o.msg)
	}

	t.Setenv(EnvRequire, "1")
	o = runHelper(t, func(tb testing.TB) { Sentinel(tb) })
	if !o.failed || o.skipped {
		t.Fatalf("with %s=1: skipped=%v failed=%v (%s); want a failure", EnvRequire, o.skipped, o.failed, o.msg)
	}
	if !strings.Contains(o.msg, EnvRequire) {
		t.Fatalf("failure message %q does not say why it is not a skip", o.msg)
	}
}

func TestStandaloneSkipNamesAllThreeWaysAndRealErrorsFail(t *testing.T) {
	t.Setenv(EnvRequire, "")
	o := runHelper(t, func(tb testing.TB) {
		fail(tb, "Standalone", waysStandalone, notAvailable("no Docker", "no redis-server"))
	})
	if !o.skipped {
		t.Fatalf("absent Redis: skipped=%v failed=%v (%s); want a skip", o.skipped, o.failed, o.msg)
	}
	for _, want := range []string{EnvURL, "Docker", EnvImage, DefaultImage, "redis-server", "no Docker"} {
		if !strings.Contains(o.msg, want) {
			t.Errorf("skip message %q does not mention %q", o.msg, want)
		}
	}

	// A way that exists but breaks is a failure even when skips are allowed.
	o = runHelper(t, func(tb testing.TB) { fail(tb, "Standalone", waysStandalone, errors.New("container crashed")) })
	if !o.failed || o.skipped || !strings.Contains(o.msg, "container crashed") {
		t.Fatalf("broken Redis: skipped=%v failed=%v (%s); want a failure naming the error", o.skipped, o.failed, o.msg)
	}
}
