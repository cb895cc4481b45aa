package redistest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// NetServer is a redis-server in a network namespace of its own, reached from the test over a veth pair,
// so that network faults (delay, loss) can be put on that path alone without touching the host's other
// traffic: the only addresses involved are a private /30 (10.213.x.y) between the namespace and this
// host. Everything is created by NetNamespace and removed in t.Cleanup.
type NetServer struct {
	// Server's Addr is "10.213.x.y:6379", inside the namespace; URL is redis://Addr/0. Source is "process".
	Server

	mu       sync.Mutex
	ns       string // namespace name
	hostIf   string // the host's end of the veth pair
	nsIf     string // the namespace's end
	impaired bool   // a netem qdisc is on both ends
	dropping bool   // the nftables loss table is in the namespace
}

// NetNamespace creates a network namespace, a veth pair into it with a private /30, and a redis-server
// inside it listening on the namespace's address, and returns once the server answers PING from here.
// It needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN) and the ip command (Debian package iproute2); where
// they are missing or the kernel refuses a step, the test is skipped with the command's own message,
// even when EnvRequire is true, since what is missing is the kernel's network plumbing, not Redis.
// Without a redis-server binary it skips or fails like Dedicated. The namespace is named cachekit-<hex>:
// one a killed test binary left behind (its server dies with the binary) is removed with
// ip netns del, which removes its veth pair too.
func NetNamespace(t testing.TB) *NetServer {
	t.Helper()
	bin, err := redisServer()
	if err != nil {
		fail(t, "NetNamespace", waysProcess, err)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		// A missing tool is the machine's setup, not the kernel refusing: .ci/run installs it.
		if required() {
			t.Fatalf("redistest: network faults need the ip command (Debian package iproute2), and %s=1 forbids skipping: %v", EnvRequire, err)
		}
		t.Skip("redistest: network faults need the ip command (Debian package iproute2): " + err.Error())
	}
	began := time.Now()
	id := randomHex(3)
	s := &NetServer{ns: "cachekit-" + id, hostIf: "ckh" + id, nsIf: "ckn" + id}
	dir, err := os.MkdirTemp("", "redistest-netns-")
	if err != nil {
		t.Fatal(err)
	}
	var p *proc
	stop := track(func() {
		if p != nil {
			p.kill()
		}
		_, _ = run("ip", "link", "del", s.hostIf) // deletes the namespace's end too
		_, _ = run("ip", "netns", "del", s.ns)
		os.RemoveAll(dir)
	})
	t.Cleanup(stop)

	// 10.213.0.0/16 cut into /30s, one picked at random: two test binaries creating namespaces at once
	// almost never collide, and a collision fails at "ip addr add", which is retried with another.
	var hostIP, nsIP string
	if out, err := run("ip", "netns", "add", s.ns); err != nil {
		t.Skipf("redistest: this machine refuses a network namespace (ip netns add: %v: %s)", err, out)
	}
	if out, err := run("ip", "link", "add", s.hostIf, "type", "veth", "peer", "name", s.nsIf, "netns", s.ns); err != nil {
		t.Skipf("redistest: this machine refuses a veth pair into a namespace (ip link add: %v: %s)", err, out)
	}
	for attempt := 0; ; attempt++ {
		n := randomInt(1 << 14) // 16384 /30 blocks in a /16
		base := fmt.Sprintf("10.213.%d.%d", n/64, (n%64)*4)
		hostIP, nsIP = offset(base, 1), offset(base, 2)
		out, err := run("ip", "addr", "add", hostIP+"/30", "dev", s.hostIf)
		if err == nil {
			break
		}
		if attempt == 4 {
			t.Fatalf("redistest: ip addr add %s/30 dev %s: %v: %s", hostIP, s.hostIf, err, out)
		}
	}
	steps := [][]string{
		{"ip", "link", "set", s.hostIf, "up"},
		{"ip", "-n", s.ns, "addr", "add", nsIP + "/30", "dev", s.nsIf},
		{"ip", "-n", s.ns, "link", "set", s.nsIf, "up"},
		{"ip", "-n", s.ns, "link", "set", "lo", "up"},
	}
	for _, st := range steps {
		if out, err := run(st[0], st[1:]...); err != nil {
			t.Fatalf("redistest: %s: %v: %s", strings.Join(st, " "), err, out)
		}
	}

	ipBin, _ := exec.LookPath("ip")
	p = &proc{name: "redis-server in namespace " + s.ns, bin: ipBin, port: 6379, host: nsIP, args: []string{
		"netns", "exec", s.ns, bin, // ip netns exec execs the server itself: its pid is the server's
		"--port", "6379", "--bind", nsIP, "--protected-mode", "no",
		"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", "",
		"--enable-debug-command", "yes",
	}}
	if err := p.launch(); err != nil {
		p = nil
		t.Fatalf("redistest: %v", err)
	}
	s.Server = Server{Addr: p.addr(), URL: redisURL(p.addr()), Source: SourceProcess}
	t.Logf("redistest: Redis in network namespace %s at %s over veth %s (up in %v)", s.ns, s.Addr, s.hostIf, time.Since(began).Round(time.Millisecond))
	return s
}

// Impair puts a netem qdisc on both ends of the veth pair: every packet is delayed by delay and lost
// with probability lossPercent/100, in each direction. Where the kernel has no netem (CONFIG_NET_SCH_NETEM
// unset, module absent) or refuses it, the test is skipped with tc's message. Heal removes it.
func (s *NetServer) Impair(t testing.TB, delay time.Duration, lossPercent float64) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	args := []string{"qdisc", "replace", "dev", "", "root", "netem",
		"delay", strconv.FormatInt(delay.Microseconds(), 10) + "us",
		"loss", strconv.FormatFloat(lossPercent, 'f', -1, 64) + "%"}
	args[3] = s.hostIf
	if out, err := run("tc", args...); err != nil {
		t.Skipf("redistest: the kernel refuses tc netem on %s (%v: %s); without netem there is no delay fault on this machine", s.hostIf, err, strings.TrimSpace(out))
	}
	s.impaired = true
	args[3] = s.nsIf
	if out, err := run("ip", append([]string{"netns", "exec", s.ns, "tc"}, args...)...); err != nil {
		t.Fatalf("redistest: tc netem in namespace %s: %v: %s", s.ns, err, out)
	}
}

// Drop makes the namespace drop each packet it sends or receives with probability percent/100 (an
// nftables numgen rule in the namespace's own ruleset: the host's is not touched). It is loss without
// delay, for kernels without netem; a TCP connection recovers lost segments by retransmitting them, so
// calls slow down by the retransmission timeouts. Heal removes it. Where nftables is missing or refused,
// the test is skipped with its message.
func (s *NetServer) Drop(t testing.TB, percent int) {
	t.Helper()
	if percent < 0 || percent > 100 {
		t.Fatalf("redistest: Drop needs a percentage from 0 to 100, got %d", percent)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rule := fmt.Sprintf("numgen random mod 100 < %d drop", percent) // numgen's range is 0-99
	if percent == 100 {
		rule = "drop"
	}
	rules := fmt.Sprintf(`table inet cachekit_loss {
	chain in { type filter hook input priority 0; policy accept; %[1]s; }
	chain out { type filter hook output priority 0; policy accept; %[1]s; }
}
`, rule)
	f, err := os.CreateTemp("", "redistest-nft-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	_, _ = f.WriteString(rules)
	f.Close()
	if s.dropping {
		_, _ = run("ip", "netns", "exec", s.ns, "nft", "delete", "table", "inet", "cachekit_loss")
	}
	if out, err := run("ip", "netns", "exec", s.ns, "nft", "-f", f.Name()); err != nil {
		t.Skipf("redistest: nftables refuses a loss rule in namespace %s (%v: %s)", s.ns, err, strings.TrimSpace(out))
	}
	s.dropping = true
}

// Heal removes what Impair and Drop put on the path. Healing a healthy path does nothing.
func (s *NetServer) Heal(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.impaired {
		if out, err := run("tc", "qdisc", "del", "dev", s.hostIf, "root"); err != nil {
			t.Errorf("redistest: tc qdisc del dev %s root: %v: %s", s.hostIf, err, out)
		}
		if out, err := run("ip", "netns", "exec", s.ns, "tc", "qdisc", "del", "dev", s.nsIf, "root"); err != nil {
			t.Errorf("redistest: tc qdisc del in namespace %s: %v: %s", s.ns, err, out)
		}
		s.impaired = false
	}
	if s.dropping {
		if out, err := run("ip", "netns", "exec", s.ns, "nft", "delete", "table", "inet", "cachekit_loss"); err != nil {
			t.Errorf("redistest: nft delete table in namespace %s: %v: %s", s.ns, err, out)
		}
		s.dropping = false
	}
}

// run runs a command and returns its combined output.
func run(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randomInt(n int64) int {
	v, err := rand.Int(rand.Reader, big.NewInt(n))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}

// offset returns the IPv4 address base+n within the same /24 (base's last octet + n).
func offset(base string, n int) string {
	i := strings.LastIndexByte(base, '.')
	last, _ := strconv.Atoi(base[i+1:])
	return base[:i+1] + strconv.Itoa(last+n)
}
