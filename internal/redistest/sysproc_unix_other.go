//go:build unix && !linux

package redistest

import "syscall"

// sysProcAttr puts a server in its own process group, so killGroup kills it with any child it forked.
// Without PR_SET_PDEATHSIG, a test binary killed outright leaves its servers running; Main's signal handler
// and t.Cleanup cover the ordinary ways a test ends.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
