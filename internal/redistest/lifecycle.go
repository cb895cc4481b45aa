package redistest

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
)

// state is the package's bookkeeping of what it started. It is process-wide on purpose: one test binary
// shares its servers, and the signal handler must reach every running server to stop it.
var state struct {
	mu      sync.Mutex
	sharing bool                   // Main is running the tests
	shared  map[string]*sharedSlot // servers shared by all tests of the binary, by kind
	live    map[int]func()         // stop functions of everything still running
	nextID  int
}

// sharedSlot holds one shared server, or why it could not be had; ready is closed once either is known.
type sharedSlot struct {
	ready chan struct{}
	value any
	err   error
}

// Main runs the tests of m with server sharing on, then stops every server this package started. A
// SIGINT or SIGTERM during the run stops them too before the binary exits. Call it from TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// It returns after cleanup; the testing package then exits with m.Run's status.
func Main(m *testing.M) {
	state.mu.Lock()
	state.sharing = true
	state.mu.Unlock()

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		if s, ok := <-sig; ok {
			fmt.Fprintf(os.Stderr, "redistest: %v: stopping Redis servers\n", s)
			stopAll()
			os.Exit(1)
		}
	}()

	defer func() {
		signal.Stop(sig)
		close(sig)
		stopAll()
	}()
	m.Run()
}

// stopAll stops everything still running, shared or not.
func stopAll() {
	state.mu.Lock()
	stops := make([]func(), 0, len(state.live))
	for _, stop := range state.live {
		stops = append(stops, stop)
	}
	state.shared = nil
	state.mu.Unlock()
	for _, stop := range stops {
		stop()
	}
}

// track registers stop as the way to stop a running resource and returns a function that stops it exactly
// once and forgets it.
func track(stop func()) func() {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.live == nil {
		state.live = map[int]func(){}
	}
	id := state.nextID
	state.nextID++
	var once sync.Once
	stopOnce := func() {
		once.Do(func() {
			state.mu.Lock()
			delete(state.live, id)
			state.mu.Unlock()
			stop()
		})
	}
	state.live[id] = stopOnce
	return stopOnce
}

// obtain returns the resource of the given kind. Under Main, the first caller starts it and every later
// caller gets the same one (or the same error); it stays up until Main ends. Otherwise it is started for
// t alone and stopped in t.Cleanup. start returns the resource and its (tracked) stop function.
func obtain[T any](t testing.TB, kind string, start func(logf func(string, ...any)) (T, func(), error)) (T, error) {
	t.Helper()
	state.mu.Lock()
	if !state.sharing {
		state.mu.Unlock()
		v, stop, err := start(t.Logf)
		if err == nil {
			t.Cleanup(stop)
		}
		return v, err
	}
	if state.shared == nil {
		state.shared = map[string]*sharedSlot{}
	}
	slot, found := state.shared[kind]
	if !found {
		slot = &sharedSlot{ready: make(chan struct{})}
		state.shared[kind] = slot
	}
	state.mu.Unlock()

	if found {
		<-slot.ready
	} else {
		// The stop function is tracked, so stopAll reaches it; nothing else needs to keep it.
		v, _, err := start(t.Logf)
		slot.value, slot.err = v, err
		close(slot.ready)
	}
	if slot.err != nil {
		var zero T
		return zero, slot.err
	}
	return slot.value.(T), nil
}
