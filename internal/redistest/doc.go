// Package redistest hands tests a real Redis server, never a mock or a fake of one.
//
// Standalone tries, in order: the server named by CACHEKIT_TEST_REDIS_URL; a testcontainers Redis (image
// CACHEKIT_REDIS_IMAGE, default redis:7) when a Docker engine answers and the image is present or can be
// pulled; a redis-server binary on PATH started on a free loopback port. When none of the three exists the
// test is skipped with a message naming them, or fails when CACHEKIT_REQUIRE_REDIS=1 (set by .ci/run, so CI
// can never pass by skipping). Dedicated, Cluster and Sentinel start servers of their own and follow the
// same skip rule.
//
// Fault tests get servers they may break: Controlled (Dedicated) can be stopped, restarted on its
// port, paused (SIGSTOP) and sent commands such as DEBUG SLEEP (test servers run with
// --enable-debug-command yes); ClusterWithReplicas and Sentinel can be failed over and have single
// nodes paused; NetNamespace (Linux, root) puts a server behind a veth pair in a network namespace of its
// own, where Impair (tc netem delay and loss) and Drop (nftables loss) degrade only that path.
//
// A test binary whose TestMain calls Main shares one standalone server and one cluster per size among all
// its tests, and stops them when the tests end:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// Tests on a shared server isolate their keys with Namespace and never flush. Without Main, every call
// starts a server for its test alone and stops it in t.Cleanup.
//
// Every address handed out is a loopback address (127.0.0.1). Processes run in their own process group,
// are killed with it, and on Linux die with the test binary even when it is killed (PR_SET_PDEATHSIG).
// Containers carry the label cachekit.redistest (value: EnvRun, else "true"), so
//
//	docker rm -f $(docker ps -aq --filter label=cachekit.redistest)
//
// removes any that a killed test binary left behind (.ci/run removes its own run's on exit).
package redistest

// Environment variables read by this package.
const (
	// EnvURL names an existing Redis to use for Standalone ("redis://127.0.0.1:6379/0"); it must be on a
	// loopback address. Dedicated, Cluster and Sentinel never use it.
	EnvURL = "CACHEKIT_TEST_REDIS_URL"
	// EnvImage names the container image Standalone and Dedicated run; DefaultImage when unset.
	EnvImage = "CACHEKIT_REDIS_IMAGE"
	// EnvRequire, when true ("1"), turns every "no Redis available" skip into a test failure.
	EnvRequire = "CACHEKIT_REQUIRE_REDIS"
	// EnvRun, when set, is the value of the cachekit.redistest label on every container started, so that
	// a script can remove exactly its own run's leftovers.
	EnvRun = "CACHEKIT_REDISTEST_RUN"
	// DefaultImage is the container image used when EnvImage is unset.
	DefaultImage = "redis:7"
)

// containerLabel marks every container this package starts, so leftovers can be found and removed.
const containerLabel = "cachekit.redistest"
