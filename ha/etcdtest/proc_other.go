//go:build !linux

package etcdtest

import "os/exec"

// DieWithParent does nothing here: only Linux has a parent-death signal,
// and only the cleanup stops etcd.
func DieWithParent(*exec.Cmd) {}
