//go:build !unix

package redistest

import (
	"os/exec"
	"syscall"
)

// sysProcAttr has nothing to add where process groups do not exist.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// killGroup kills the process itself (there is no process group to kill).
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

// reservePort cannot hold a port without listening here; Stop leaves it free and Start hopes to get it back.
func reservePort(int) (release func(), err error) { return func() {}, nil }
