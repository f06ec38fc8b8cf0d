//go:build !windows

package winservice

import (
	"context"
	"errors"
)

// ErrUnsupported is returned by every SCM operation on an OS that has no
// Service Control Manager.
var ErrUnsupported = errors.New("adjc service manages a Windows service; on this OS run adjc under systemd instead " +
	"(scripts/adjc.service for schedule, scripts/adjc-password-sync.service for password-sync; README: \"Running as a service\")")

// IsService reports whether the SCM started this process: never, here.
func IsService() (bool, error) { return false, nil }

// Run is [Loop] under the SCM; unsupported here.
func Run(string, func(context.Context) error, func(error) uint32) error { return ErrUnsupported }

// Install registers spec with the SCM; unsupported here.
func Install(Spec) ([]string, error) { return nil, ErrUnsupported }

// Uninstall stops and removes a service; unsupported here.
func Uninstall(context.Context, string) error { return ErrUnsupported }

// Start starts a service and waits for it to run; unsupported here.
func Start(context.Context, string) (bool, error) { return false, ErrUnsupported }

// Stop stops a service and waits for it to stop; unsupported here.
func Stop(context.Context, string) (bool, error) { return false, ErrUnsupported }

// Query reports a service's registration and state; unsupported here.
func Query(string) (Info, error) { return Info{}, ErrUnsupported }
