package redistest

import "syscall"

// sysProcAttr puts a server in its own process group (killGroup kills it with any child it forked) and
// has the kernel kill it when the spawning thread, and so the test binary, dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
