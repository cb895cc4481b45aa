package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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

// storeLog is a Store's own logging state: the logger of (*Store).SetLogger and which eviction-policy
// note has been logged already, so that one refusal is logged once however often SetLogger is called.
type storeLog struct {
	mu     sync.Mutex
	to     *slog.Logger
	logged *string // the Store's policyNote when it was last logged (notes are compared by identity)
	noted  *string // the note that policy belongs to (set by EnsureEvictionPolicy)
	policy string  // the policy asked for, when known
}

// SetLogger sends the Store's own warnings to l, and routes go-redis' process-wide log messages to l as
// the package function SetLogger does (nil leaves that route as it is: other Stores may still log
// there). The warning today is the eviction policy not applied: a CONFIG SET maxmemory-policy that the
// server refused, or a server unreachable when the URL's eviction_policy was applied at open. It is
// logged once, at Warn, with the Store's description (credentials redacted), the policy when known and
// Stats.PolicyNote: by SetLogger when the refusal happened before (as at open), else when it happens.
// A later refusal (another EnsureEvictionPolicy) is logged again, once. nil stops the Store's warnings.
//
// go-redis has one logger per process: the last SetLogger, of any Store or of the package, wins. The
// Cache's WithLogger calls this method on its store and on every tier.
func (s *Store) SetLogger(l *slog.Logger) {
	s.log.mu.Lock()
	s.log.to = l
	s.log.mu.Unlock()
	if l != nil {
		SetLogger(l)
	}
	s.warnPolicy()
}

// policyRefused is called by EnsureEvictionPolicy after it recorded a refusal of policy in policyNote.
func (s *Store) policyRefused(policy string) {
	s.log.mu.Lock()
	s.log.noted, s.log.policy = s.policyNote.Load(), policy
	s.log.mu.Unlock()
	s.warnPolicy()
}

// warnPolicy logs the current policy note if there is a logger and the note was not logged yet. It
// logs outside the lock: a slow handler must not hold up other calls.
func (s *Store) warnPolicy() {
	s.log.mu.Lock()
	note, to := s.policyNote.Load(), s.log.to
	if note == nil || to == nil || note == s.log.logged {
		s.log.mu.Unlock()
		return
	}
	s.log.logged = note
	attrs := []slog.Attr{slog.String("store", s.desc)}
	if note == s.log.noted && s.log.policy != "" {
		attrs = append(attrs, slog.String("policy", s.log.policy))
	}
	s.log.mu.Unlock()
	attrs = append(attrs, slog.String("note", *note))
	to.LogAttrs(context.Background(), slog.LevelWarn,
		"redis: maxmemory-policy not applied; the server's own policy stays in force", attrs...)
}
