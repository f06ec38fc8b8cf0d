//go:build !windows

package preflight

// windowsFilter reports nothing outside Windows.
func windowsFilter() (windows, dc, registered bool, err error) { return false, false, false, nil }
