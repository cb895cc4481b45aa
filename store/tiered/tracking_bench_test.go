package tiered

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/cachekit/cachekit/internal/redistest"
)

// BenchmarkTieredSetInvalidation compares what a tiered Set costs on the pub/sub path (a PUBLISH per
// batch of writes, delivered to every subscriber) with the tracking path (no PUBLISH: Redis reports the
// write to every tracker itself), with one other instance listening, over a dedicated loopback Redis.
// Besides ns/op it reports, per Set, the PUBLISH and GET calls the server executed and the server's CPU
// time (INFO cpu, user+sys): the tracking path saves the PUBLISH but pays a GET (with its PTTL, in one
// pipeline) per own write for the refill after the write's echo (fewer when writes of one key merge).
func BenchmarkTieredSetInvalidation(b *testing.B) {
	srv := redistest.Dedicated(b)
	admin := goredis.NewClient(&goredis.Options{Addr: srv.Addr})
	defer admin.Close()
	for _, mode := range []InvalidationMode{InvalidationPubSub, InvalidationTracking} {
		for _, par := range []bool{false, true} {
			name := fmt.Sprintf("path=%s/parallel=%v", mode, par)
			b.Run(name, func(b *testing.B) {
				opts := Options{Invalidation: mode, TrackPrefix: "qrl:"}
				w := openRedisTiered(b, srv.URL, opts)
				_ = openRedisTiered(b, srv.URL, opts) // the listening instance
				ctx := context.Background()
				pub0, get0, cpu0 := serverCounters(b, admin)
				b.ReportAllocs()
				b.ResetTimer()
				if par {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							if err := w.Set(ctx, benchKey, benchValue, time.Hour); err != nil {
								b.Error(err)
								return
							}
						}
					})
				} else {
					for b.Loop() {
						if err := w.Set(ctx, benchKey, benchValue, time.Hour); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StopTimer()
				time.Sleep(20 * time.Millisecond) // let the last publication, or refill, land
				pub1, get1, cpu1 := serverCounters(b, admin)
				b.ReportMetric(float64(pub1-pub0)/float64(b.N), "publish/op")
				b.ReportMetric(float64(get1-get0)/float64(b.N), "get/op")
				b.ReportMetric((cpu1-cpu0)*1e6/float64(b.N), "server-cpu-µs/op")
			})
		}
	}
}

// serverCounters reads the server's PUBLISH and GET call counts and its CPU seconds (user+sys, main
// thread and children).
func serverCounters(b *testing.B, c *goredis.Client) (publishes, gets int64, cpu float64) {
	b.Helper()
	info, err := c.Info(context.Background(), "commandstats", "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch name {
		case "used_cpu_user", "used_cpu_sys":
			f, _ := strconv.ParseFloat(val, 64)
			cpu += f
		case "cmdstat_publish", "cmdstat_get":
			calls, _, _ := strings.Cut(strings.TrimPrefix(val, "calls="), ",")
			n, _ := strconv.ParseInt(calls, 10, 64)
			if name == "cmdstat_get" {
				gets = n
			} else {
				publishes = n
			}
		}
	}
	return publishes, gets, cpu
}
