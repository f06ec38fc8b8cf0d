package etcdtest

import (
	"os/exec"
	"syscall"
)

// DieWithParent has the kernel kill cmd's process (etcd, or a process a
// test starts) when the test binary dies, also when a timeout's panic skips
// the cleanup that stops it.
func DieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
