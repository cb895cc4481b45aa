//go:build !linux

package redistest

import (
	"testing"
	"time"
)

// NetServer is a redis-server in a network namespace of its own; network namespaces exist on Linux only.
type NetServer struct {
	Server
}

// NetNamespace skips the test: network namespaces and veth pairs exist on Linux only.
func NetNamespace(t testing.TB) *NetServer {
	t.Helper()
	t.Skip("redistest: network faults need Linux network namespaces")
	return nil
}

// Impair is unavailable off Linux (NetNamespace has skipped already).
func (s *NetServer) Impair(t testing.TB, delay time.Duration, lossPercent float64) {
	t.Skip("redistest: network faults need Linux")
}

// Drop is unavailable off Linux (NetNamespace has skipped already).
func (s *NetServer) Drop(t testing.TB, percent int) { t.Skip("redistest: network faults need Linux") }

// Heal does nothing off Linux.
func (s *NetServer) Heal(t testing.TB) {}
