package winservice

import "errors"

// Spec is the service [Install] registers: it starts automatically at
// boot, as LocalSystem, running Exe with Args (never a secret: the command
// line is readable by every local user), and is restarted by the SCM when
// it fails.
type Spec struct {
	Name        string
	DisplayName string
	Description string
	Exe         string   // absolute path of adjc.exe
	Args        []string // after the executable, e.g. service run --config …
	// Manual registers it to start only when asked (tests); the default
	// is automatic start at boot.
	Manual bool
}

// Info is a service's registration and current status.
type Info struct {
	Installed   bool
	State       State
	StartType   string // automatic, manual, disabled
	CommandLine string
	Account     string
	// ExitCode is the service-specific exit code it last stopped with
	// (adjc's exit status: 0 after a requested stop).
	ExitCode uint32
	PID      uint32
}

// ErrNotInstalled is returned when the named service is not registered.
var ErrNotInstalled = errors.New("the service is not installed")
