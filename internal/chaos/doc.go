// Package chaos is cachekit's fault-injection suite on real Redis: it has no code of its own outside its
// tests. Each scenario runs a concurrent workload (12 goroutines of mixed Get, Set, GetMany and
// FetchResult with a 20 ms loader) through cachekit.Cache over a redis:// and a tiered:// backend at once
// while one fault is injected into the servers redistest started: the server paused (SIGSTOP), killed
// and restarted on the same port, slowed (DEBUG SLEEP), its connections killed (CLIENT KILL), a Sentinel
// failover, a Cluster failover, one Cluster master paused, and network delay and loss on a veth pair into
// a network namespace (tc netem where the kernel has it, else loss alone through nftables).
//
// Every scenario asserts that nothing panics, that every call returns within its bound (each bound is
// derived in bounds_test.go from the documented budgets and the URL options the suite sets), that the
// circuit breaker opens during a long fault and is closed after it, that after recovery every key reads
// its latest acknowledged value (or a later write whose outcome was unknown, never an older one), and that
// no stale value is served outside its window. It then reports, per scenario and backend, the worst and
// p99 Fetch latency against the bound and the goal of issue 12's table, breaker open and close times,
// stale serves, errors seen by the caller and the time to normal after recovery: always with t.Log, and
// as a markdown table in the file named by CACHEKIT_CHAOS_REPORT when that is set:
//
//	CACHEKIT_CHAOS_REPORT=/tmp/chaos.md go test -race -count=1 -v ./internal/chaos/
//
// It runs in the README's test command (CI: .ci/run with CACHEKIT_REQUIRE_REDIS=1) and never skips,
// except the netem delay fault where the kernel refuses netem, which it reports by name.
package chaos
