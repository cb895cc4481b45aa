// Package bench holds cachekit's side-by-side benchmarks: every benchmark has sub-benchmarks named
// impl=raw (the client cachekit wraps, used directly), impl=cachekit and, where a peer library does the
// same job, impl=gorediscache, impl=rueidis or impl=otter, with the same keys, values, TTLs and
// configuration on every side, so that `benchstat -col /impl` prints the ratios.
//
// It is its own module (go.mod replaces cachekit with ../) so that peers and benchmark tooling never
// become dependencies of the library. Run it with run.sh, which starts the Redis servers, runs the
// benchmark binary several times interleaved and writes RESULTS.md. By hand:
//
//	CACHEKIT_BENCH_REDIS=127.0.0.1:6379 \
//	CACHEKIT_BENCH_CLUSTER=127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 \
//	go test -run '^$' -bench . -benchmem
//
// Benchmarks that need Redis skip, saying so, when their variable is unset. They write keys under the
// namespaces they use and delete them afterwards; never point them at a server holding data you need.
package bench
