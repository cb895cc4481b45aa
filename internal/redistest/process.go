package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// startAttempts is how many fresh ports a process gets: a port found free may be taken by someone else
// (another test binary) before the server binds it.
const startAttempts = 5

// proc is one redis-server process (plain, cluster node or sentinel) on a fixed loopback port. It can be
// killed and launched again on the same port.
type proc struct {
	name string   // what it is, for messages: "redis-server", "cluster node", "sentinel"
	bin  string   // path of redis-server
	port int      // port it listens on
	host string   // address it listens on; "" means 127.0.0.1 (NetNamespace's servers use their own)
	args []string // arguments after the binary

	mu  sync.Mutex
	cur *running // nil while stopped
}

// running is one launch of a proc.
type running struct {
	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{} // closed when the process has exited and been reaped
}

// redisServer finds the redis-server binary, or reports it unavailable.
func redisServer() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", notAvailable("no redis-server binary on PATH")
	}
	return bin, nil
}

// baseArgs are the arguments every server process gets: loopback only, nothing persisted, logs on stdout.
func baseArgs(port int, dir string) []string {
	return []string{
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--protected-mode", "no",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", "",
		// DEBUG SLEEP and friends, for the fault tests (Redis 7 refuses DEBUG unless enabled).
		"--enable-debug-command", "yes",
	}
}

// startProc starts a server on a port from pick (args builds its arguments for that port) and waits until
// it answers PING, trying fresh ports when it fails to start.
func startProc(name, bin string, pick func() (int, error), args func(port int) []string) (*proc, error) {
	var last error
	for range startAttempts {
		port, err := pick()
		if err != nil {
			return nil, err
		}
		p := &proc{name: name, bin: bin, port: port, args: args(port)}
		if last = p.launch(); last == nil {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%s did not start on %d fresh ports; last attempt: %w", name, startAttempts, last)
}

// addr is the server's address: loopback, unless the proc was started in a network namespace.
func (p *proc) addr() string {
	host := p.host
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(p.port))
}

// launch starts the process on p.port and waits until it answers PING. On failure the process is killed
// and the error carries the tail of its output.
func (p *proc) launch() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		return fmt.Errorf("%s on %s is already running", p.name, p.addr())
	}
	r := &running{out: &tailBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(p.bin, p.args...)
	r.cmd.Stdout, r.cmd.Stderr = r.out, r.out
	r.cmd.SysProcAttr = sysProcAttr()
	if err := spawn(r.cmd); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	go func() {
		_ = r.cmd.Wait()
		close(r.done)
	}()
	if err := waitPing(p.addr(), r.done, startTimeout); err != nil {
		r.kill()
		return fmt.Errorf("%s on %s: %w; its output:\n%s", p.name, p.addr(), err, r.out)
	}
	p.cur = r
	return nil
}

// kill kills the process group and waits for it to be reaped. Killing a stopped proc does nothing.
func (p *proc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur != nil {
		p.cur.kill()
		p.cur = nil
	}
}

// kill kills the whole process group (a replica's or master's fork included) and waits, boundedly, until
// the process is reaped.
func (r *running) kill() {
	killGroup(r.cmd)
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "redistest: process %d not reaped 10 s after SIGKILL\n", r.cmd.Process.Pid)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// freeClusterPort returns a free loopback port p whose cluster bus port p+10000 is free too (Redis
// derives the bus port that way unless cluster-port is set, which Redis 6 lacks).
func freeClusterPort() (int, error) {
	var held []net.Listener
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	for range 64 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free loopback port: %w", err)
		}
		held = append(held, l) // held until we return, so the next try gets another port
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		if err != nil {
			continue
		}
		held = append(held, bus)
		return port, nil
	}
	return 0, errors.New("no free loopback port p with p+10000 free too after 64 tries")
}

// tailBuffer keeps the last tailSize bytes written to it: enough of a server's log to explain a failure.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

const tailSize = 4096

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if len(w.b) > tailSize {
		w.b = append(w.b[:0:0], w.b[len(w.b)-tailSize:]...)
	}
	return len(p), nil
}

func (w *tailBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.b)
}

// spawnJobs feeds the spawner goroutine.
var (
	spawnOnce sync.Once
	spawnJobs chan spawnJob
)

type spawnJob struct {
	cmd *exec.Cmd
	err chan error
}

// spawn starts cmd from one goroutine locked to its OS thread for the life of the binary. On Linux a child
// gets SIGKILL when the thread that forked it exits (PR_SET_PDEATHSIG); forking from a thread that never
// exits ties the child's life to the test binary's, not to a thread the Go runtime might retire.
func spawn(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnJobs = make(chan spawnJob)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must live as long as the process
			for j := range spawnJobs {
				j.err <- j.cmd.Start()
			}
		}()
	})
	j := spawnJob{cmd: cmd, err: make(chan error, 1)}
	spawnJobs <- j
	return <-j.err
}
