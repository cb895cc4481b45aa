package redistest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// unavailableError says that no way of getting the requested Redis exists on this machine (as opposed to
// one that exists and failed, which is a test failure). It lists why each way was unavailable.
type unavailableError struct {
	reasons []string
}

func (e *unavailableError) Error() string { return strings.Join(e.reasons, "; ") }

// notAvailable builds an unavailableError from reasons.
func notAvailable(reasons ...string) error { return &unavailableError{reasons: reasons} }

// Ways of providing Redis, as named in skip messages.
const (
	waysStandalone = EnvURL + "=redis://127.0.0.1:6379/0, or a Docker engine (image " + EnvImage +
		", default " + DefaultImage + "), or a redis-server binary on PATH"
	waysProcess = "a redis-server binary on PATH (Cluster, Sentinel and outage tests run loopback processes)"
)

// fail ends the test for err: a skip naming ways when err is an unavailableError and EnvRequire is not
// true, a failure otherwise.
func fail(t testing.TB, what, ways string, err error) {
	t.Helper()
	var un *unavailableError
	if !errors.As(err, &un) {
		t.Fatalf("redistest: %s: %v", what, err)
	}
	msg := fmt.Sprintf("redistest: no Redis for %s (%v); provide %s", what, err, ways)
	if required() {
		t.Fatalf("%s [%s is set, so this is a failure, not a skip]", msg, EnvRequire)
	}
	t.Skip(msg)
}

// required reports whether EnvRequire asks for failures instead of skips.
// Required reports whether EnvRequire is set: a test that cannot obtain what it needs must then fail,
// never skip.
func Required() bool { return required() }

func required() bool {
	v, err := strconv.ParseBool(os.Getenv(EnvRequire))
	return err == nil && v
}
