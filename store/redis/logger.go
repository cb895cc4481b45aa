package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"
)

// go-redis (v9.23) writes its pool and connection messages ("connection pool: failed to dial after 1
// attempts: ...", sentinel and auto-pipeline notices) through one process-wide logger, printing to stderr
// by default; it has no per-client logger option. A library must not write to stderr unasked, so this
// package installs a logger of its own once, when it is initialised, that drops those messages until
// SetLogger routes them somewhere. A program that calls go-redis' own redis.SetLogger after importing
// this package replaces it, as go-redis documents.

// goredisLogger is the logger installed in go-redis: it forwards to the *slog.Logger of SetLogger, or
// drops the message when there is none.
type goredisLogger struct {
	to atomic.Pointer[slog.Logger]
}

var logger = &goredisLogger{}

func init() { goredis.SetLogger(logger) }

// Printf implements go-redis' logging interface.
func (l *goredisLogger) Printf(ctx context.Context, format string, v ...any) {
	to := l.to.Load()
	if to == nil || !to.Enabled(ctx, slog.LevelWarn) {
		return
	}
	to.Log(ctx, slog.LevelWarn, trimRedisPrefix(fmt.Sprintf(format, v...)), slog.String("component", "go-redis"))
}

// SetLogger routes go-redis' own log messages (pool and connection failures, Sentinel and auto-pipeline
// notices), which this package otherwise drops, to l at level Warn with the attribute component=go-redis;
// nil drops them again. Nothing is written to stderr unless l does so. go-redis has one logger per
// process, so this applies to every go-redis client of the program, not only to cachekit's; it is safe
// to call at any time, concurrently with running clients.
func SetLogger(l *slog.Logger) {
	logger.to.Store(l)
	goredis.SetLogger(logger) // reclaim it if the program had replaced go-redis' logger meanwhile
}
