//go:build unix

package main

import "syscall"

// interruptSignal stops `adjc schedule` gracefully.
var interruptSignal = syscall.SIGINT
