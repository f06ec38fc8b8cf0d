//go:build !unix

package main

import "os"

var interruptSignal = os.Interrupt
