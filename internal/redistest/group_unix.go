//go:build unix

package redistest

import (
	"fmt"
	"os/exec"
	"syscall"
)

// killGroup sends SIGKILL to the process group cmd leads.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// reservePort binds 127.0.0.1:port without listening. While held, connections to the port are refused,
// as by a stopped server, and the kernel hands the port to nobody asking for a free one. SO_REUSEADDR
// lets the bind succeed while the killed server's connections linger in TIME_WAIT.
func reservePort(port int) (release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return nil, fmt.Errorf("reserve port %d: socket: %w", port, err)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("reserve port %d: SO_REUSEADDR: %w", port, err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("reserve port %d: bind: %w", port, err)
	}
	return func() { syscall.Close(fd) }, nil
}
